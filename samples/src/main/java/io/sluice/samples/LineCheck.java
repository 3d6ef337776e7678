package io.sluice.samples;

import io.sluice.core.dsl.Verdict;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares delivered result lines with the right answer when every result has an identity (a key
 * and a period, say) and exactly one right line: each expected line must be delivered exactly once.
 * Problems name the result by its identity and show the expected and the delivered line.
 */
final class LineCheck {
  private static final int MAX_PROBLEMS = 12;

  private final String what;
  private final String format;
  private final Map<String, String> expected;
  private final Set<String> seen = new HashSet<>();
  private final List<String> problems = new ArrayList<>();
  private long delivered;
  private long duplicated;
  private long wrong;

  /**
   * @param what what a result is, plural, for the summary ("periods", "buckets")
   * @param format the line format, for messages ("key,start,count,...")
   * @param expected identity (readable: "key 4 period [...)") to its right line
   */
  LineCheck(String what, String format, Map<String, String> expected) {
    this.what = what;
    this.format = format;
    this.expected = expected;
  }

  void problem(String p) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(p);
    }
  }

  /** A delivered line that could not even be parsed. */
  void malformed(String line) {
    delivered++;
    wrong++;
    problem("malformed line '" + line + "' (expected " + format + ")");
  }

  /** A delivered line of result {@code id}. */
  void add(String id, String line) {
    delivered++;
    String want = expected.get(id);
    if (want == null) {
      wrong++;
      problem(id + ": no such result in the right answer (got '" + line + "')");
      return;
    }
    if (!seen.add(id)) {
      duplicated++;
      problem(id + " delivered again ('" + line + "')");
      return;
    }
    if (!want.equals(line)) {
      wrong++;
      problem(id + ": expected '" + want + "', got '" + line + "' (" + format + ")");
    }
  }

  Verdict verdict() {
    long lost = expected.size() - seen.size();
    if (lost > 0) {
      int shown = 0;
      for (Map.Entry<String, String> e : new java.util.TreeMap<>(expected).entrySet()) {
        if (!seen.contains(e.getKey())) {
          problem(e.getKey() + " missing (expected '" + e.getValue() + "')");
          if (++shown == 3) {
            break;
          }
        }
      }
      problem(lost + " of " + expected.size() + " " + what + " missing in all");
    }
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0 && delivered == expected.size();
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + delivered + " results for " + expected.size() + " "
        + what + "; lost " + lost + ", duplicated " + duplicated + ", wrong " + wrong;
    return new Verdict(exact, expected.size(), delivered, lost, duplicated, wrong, problems, summary);
  }
}
