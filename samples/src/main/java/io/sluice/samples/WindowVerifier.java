package io.sluice.samples;

import io.sluice.core.connector.Generator;
import io.sluice.core.dsl.Verdict;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the output of the {@code tumbling-windows} and {@code sliding-windows} samples against
 * their right answer, which it computes by brute force from the definition of {@link TimedEvents}
 * and of epoch-aligned windows, without watermarks, timers or any of Sluice's window code: every
 * record belongs to each window {@code [start, start + size)} with {@code start} a multiple of the
 * slide and {@code start <= t < start + size}.
 *
 * <p>Each window of each key must be delivered exactly once, as a {@link WindowCount} line, with
 * the count and sum of the values of its records. With late records (tumbling windows only), the
 * late output decides which late-by-design records left their window: such a record must appear
 * in the late output once, or be counted in its window, never both and never neither; any other
 * record in the late output is wrong, because it can never be late.
 */
public final class WindowVerifier {
  private static final int MAX_PROBLEMS = 12;

  private WindowVerifier() {}

  /**
   * One window of one key: its line in the file sink is {@code key,start,end,count,sum}.
   *
   * @param key the generator key
   * @param start window start, inclusive, ms since the epoch
   * @param end window end, exclusive
   * @param count records in the window
   * @param sum sum of their values
   */
  public record WindowCount(long key, long start, long end, long count, long sum) {
    public String toLine() {
      return key + "," + start + "," + end + "," + count + "," + sum;
    }

    /** Parses {@link #toLine()}; IllegalArgumentException naming the line otherwise. */
    public static WindowCount parse(String line) {
      String[] f = line.split(",", -1);
      if (f.length != 5) {
        throw new IllegalArgumentException("not a key,start,end,count,sum line: '" + line + "'");
      }
      try {
        return new WindowCount(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
            Long.parseLong(f[3]), Long.parseLong(f[4]));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a key,start,end,count,sum line: '" + line + "'", e);
      }
    }

    String describe() {
      return "key " + key + " window " + window(start, end);
    }
  }

  private record Id(long key, long start, long end) {}

  static String window(long start, long end) {
    return "[" + Instant.ofEpochMilli(start) + ", " + Instant.ofEpochMilli(end) + ")";
  }

  /**
   * The right answer without late records: every window of every key of {@code model} for windows
   * of {@code sizeMillis} starting every {@code slideMillis}, sorted by key and start.
   */
  public static List<WindowCount> expectedWindows(TimedEvents model, long sizeMillis, long slideMillis) {
    List<WindowCount> l = new ArrayList<>(expected(model, sizeMillis, slideMillis, new BitSet()).values());
    l.sort(ORDER);
    return l;
  }

  private static final java.util.Comparator<WindowCount> ORDER = java.util.Comparator
      .comparingLong(WindowCount::key).thenComparingLong(WindowCount::start).thenComparingLong(WindowCount::end);

  /**
   * Every window of every key of {@code model} for windows of {@code sizeMillis} starting every
   * {@code slideMillis}, leaving out the records whose index ({@code key * recordsPerKey + seq - 1})
   * is set in {@code leftOut}.
   */
  private static Map<Id, WindowCount> expected(TimedEvents model, long sizeMillis, long slideMillis, BitSet leftOut) {
    Map<Id, long[]> acc = new HashMap<>();
    for (long k = 0; k < model.keys(); k++) {
      for (long seq = 1; seq <= model.recordsPerKey(); seq++) {
        if (leftOut.get((int) (k * model.recordsPerKey() + seq - 1))) {
          continue;
        }
        long t = model.timestamp(k, seq);
        long v = Generator.value(k, seq);
        for (long start = Math.floorDiv(t, slideMillis) * slideMillis; start > t - sizeMillis; start -= slideMillis) {
          if (start <= t && t < start + sizeMillis) {
            long[] a = acc.computeIfAbsent(new Id(k, start, start + sizeMillis), id -> new long[2]);
            a[0]++;
            a[1] += v;
          }
        }
      }
    }
    Map<Id, WindowCount> out = new HashMap<>(acc.size() * 2);
    acc.forEach((id, a) -> out.put(id, new WindowCount(id.key(), id.start(), id.end(), a[0], a[1])));
    return out;
  }

  /** Checks the window lines of a job without late records. */
  public static Verdict verify(TimedEvents model, long sizeMillis, long slideMillis, List<String> windowLines) {
    if (model.lateEvery() > 0) {
      throw new IllegalArgumentException("a model with late records needs its late output too");
    }
    Counts c = new Counts();
    Map<Id, WindowCount> expected = expected(model, sizeMillis, slideMillis, new BitSet());
    checkWindows(expected, windowLines, c);
    boolean exact = c.lost == 0 && c.duplicated == 0 && c.wrong == 0 && windowLines.size() == expected.size();
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + windowLines.size() + " window results for "
        + expected.size() + " windows of " + model.keys() + " keys; lost " + c.lost + ", duplicated " + c.duplicated
        + ", wrong " + c.wrong;
    return new Verdict(exact, expected.size(), windowLines.size(), c.lost, c.duplicated, c.wrong, c.problems,
        summary);
  }

  /**
   * Checks the window lines and the late-record lines ({@link TimedEvents#lateLine}) of a tumbling
   * window job of {@code sizeMillis} over {@code model}.
   */
  public static Verdict verifyWithLate(TimedEvents model, long sizeMillis, List<String> windowLines,
      List<String> lateLines) {
    Counts c = new Counts();
    BitSet late = new BitSet();
    long lateDelivered = 0;
    for (String line : lateLines) {
      String[] f = line.split(",", -1);
      long key;
      long seq;
      long value;
      long ts;
      try {
        if (f.length != 4) {
          throw new NumberFormatException();
        }
        key = Long.parseLong(f[0]);
        seq = Long.parseLong(f[1]);
        value = Long.parseLong(f[2]);
        ts = Long.parseLong(f[3]);
      } catch (NumberFormatException e) {
        c.wrong("late output: malformed line '" + line + "' (expected key,seq,value,eventTime)");
        continue;
      }
      if (key < 0 || key >= model.keys() || seq < 1 || seq > model.recordsPerKey()) {
        c.wrong("late output: no such record: key " + key + " seq " + seq);
        continue;
      }
      if (value != Generator.value(key, seq) || ts != model.timestamp(key, seq)) {
        c.wrong("late output: key " + key + " seq " + seq + ": expected value " + Generator.value(key, seq)
            + " at " + model.timestamp(key, seq) + ", got value " + value + " at " + ts);
        continue;
      }
      if (!model.lateByDesign(key, seq)) {
        c.wrong("late output: key " + key + " seq " + seq + " at " + Instant.ofEpochMilli(ts) + " is at most the"
            + " out-of-orderness behind every earlier record of its split, so it can never be late");
        continue;
      }
      int index = (int) (key * model.recordsPerKey() + seq - 1);
      if (late.get(index)) {
        c.duplicated++;
        c.problem("late output: key " + key + " seq " + seq + " delivered again");
        continue;
      }
      late.set(index);
      lateDelivered++;
    }
    long lateByDesign = 0;
    if (model.lateEvery() > 0) {
      lateByDesign = model.keys() * (model.recordsPerKey() / model.lateEvery());
    }
    Map<Id, WindowCount> expected = expected(model, sizeMillis, sizeMillis, late);
    checkWindows(expected, windowLines, c);
    long expectedLines = expected.size() + lateDelivered;
    long delivered = windowLines.size() + lateLines.size();
    boolean exact = c.lost == 0 && c.duplicated == 0 && c.wrong == 0 && delivered == expectedLines;
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + windowLines.size() + " window results for "
        + expected.size() + " windows of " + model.keys() + " keys, and " + lateLines.size() + " late records ("
        + lateByDesign + " records were late by design, " + (lateByDesign - lateDelivered)
        + " of them arrived before their window fired and were counted in it); lost " + c.lost + ", duplicated "
        + c.duplicated + ", wrong " + c.wrong;
    return new Verdict(exact, expectedLines, delivered, c.lost, c.duplicated, c.wrong, c.problems, summary);
  }

  private static final class Counts {
    long lost;
    long duplicated;
    long wrong;
    final List<String> problems = new ArrayList<>();

    void problem(String p) {
      if (problems.size() < MAX_PROBLEMS) {
        problems.add(p);
      }
    }

    void wrong(String p) {
      wrong++;
      problem(p);
    }
  }

  private static void checkWindows(Map<Id, WindowCount> expected, List<String> lines, Counts c) {
    Set<Id> seen = new HashSet<>(expected.size() * 2);
    for (String line : lines) {
      WindowCount got;
      try {
        got = WindowCount.parse(line);
      } catch (IllegalArgumentException e) {
        c.wrong("malformed window line '" + line + "'");
        continue;
      }
      Id id = new Id(got.key(), got.start(), got.end());
      WindowCount want = expected.get(id);
      if (want == null) {
        c.wrong(got.describe() + ": no such window in the right answer (got count " + got.count() + ", sum "
            + got.sum() + ")");
        continue;
      }
      if (!seen.add(id)) {
        c.duplicated++;
        c.problem(got.describe() + " delivered again (count " + got.count() + ", sum " + got.sum() + ")");
        continue;
      }
      if (want.count() != got.count() || want.sum() != got.sum()) {
        c.wrong(got.describe() + ": expected count " + want.count() + ", sum " + want.sum() + "; got count "
            + got.count() + ", sum " + got.sum());
      }
    }
    c.lost = expected.size() - seen.size();
    if (c.lost > 0) {
      List<WindowCount> missing = new ArrayList<>();
      for (Map.Entry<Id, WindowCount> e : expected.entrySet()) {
        if (!seen.contains(e.getKey())) {
          missing.add(e.getValue());
        }
      }
      missing.sort(ORDER);
      for (WindowCount w : missing.subList(0, Math.min(3, missing.size()))) {
        c.problem(w.describe() + " missing (expected count " + w.count() + ", sum " + w.sum() + ")");
      }
      c.problem(c.lost + " of " + expected.size() + " windows missing in all");
    }
  }
}
