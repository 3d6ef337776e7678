package io.sluice.samples;

import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code word-count}: the words of a UTF-8 text file, counted exactly.
 *
 * <pre>
 *   textFile(input) -> flatMap(words) -> keyBy(word) -> aggregate "counts" (counting) -> sink
 * </pre>
 *
 * A word is a maximal run of letters ({@link Character#isLetter(int)}), lower-cased with
 * {@link Locale#ROOT}; everything else separates words. The running count of a word is emitted for
 * every occurrence, so the sink receives {@code word 1}, {@code word 2}, ... in order; the
 * largest count of a word is its final count ({@link #finalCounts}).
 *
 * <p>Parameters:
 *
 * <ul>
 *   <li>{@code input}: the text file (required; must exist on every node);
 *   <li>{@code output}: directory of a {@link io.sluice.core.connector.Sinks#files file sink},
 *       default {@code out/word-count}; each line is {@code word<TAB>count}. Or
 *       {@code discard=true} to drop the results (benchmarks). {@code fsync=false} skips the
 *       fsync of each part file;
 *   <li>{@code parallelism}: instances of every step, default 2; {@code batch-size},
 *       {@code batch-linger} and {@code snapshot-every} as in {@link io.sluice.core.dsl.JobConfig}.
 * </ul>
 *
 * <pre>{@code
 * sluice submit word-count input=/data/books.txt output=/data/counts parallelism=2
 * }</pre>
 */
public final class WordCount implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "word-count";
  private static final Pattern NON_LETTERS = Pattern.compile("\\P{L}+");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "counts the words of a text file; input=<file> [output=<dir> | discard=true] [parallelism=2]";
  }

  @Override
  public Pipeline create(Parameters params) {
    Path input = params.path("input");
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("parameter 'input': " + input.toAbsolutePath()
          + " is not a readable file");
    }
    Sink<KV<String, Long>> sink = SampleSinks.sink(params, NAME, WordCount::format);
    return pipeline(input, SampleSinks.config(params), sink);
  }

  /** The pipeline, with any sink of running counts (for tests and benchmarks). */
  public static Pipeline pipeline(Path input, JobConfig config, Sink<? super KV<String, Long>> sink) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.textFile("lines", input))
        .<String>flatMap(WordCount::words).named("words")
        .keyBy(w -> w)
        .aggregate("counts", Aggregations.counting())
        .writeTo(sink);
    return p.build();
  }

  /** The file sink's line for a running count: {@code word<TAB>count}. */
  public static String format(KV<String, Long> count) {
    return count.key() + "\t" + count.value();
  }

  /** Emits the words of {@code line}, lower-cased, in order. */
  public static void words(String line, Collector<String> out) {
    int n = line.length();
    int i = 0;
    while (i < n) {
      char c = line.charAt(i);
      if (c < 0x80) {
        if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
          i++;
          continue;
        }
      } else {
        int cp = line.codePointAt(i);
        if (!Character.isLetter(cp)) {
          i += Character.charCount(cp);
          continue;
        }
      }
      int start = i;
      boolean plain = true; // ASCII lower case only: no need to lower-case
      while (i < n) {
        char d = line.charAt(i);
        if (d >= 'a' && d <= 'z') {
          i++;
        } else if (d >= 'A' && d <= 'Z') {
          plain = false;
          i++;
        } else if (d < 0x80) {
          break;
        } else {
          int cp = line.codePointAt(i);
          if (!Character.isLetter(cp)) {
            break;
          }
          plain = false;
          i += Character.charCount(cp);
        }
      }
      String w = line.substring(start, i);
      out.collect(plain ? w : w.toLowerCase(Locale.ROOT));
    }
  }

  /**
   * Checks the file-sink output of job {@code jobId} against {@link #expectedCounts} of the input:
   * every word's running counts must arrive as 1, 2, ..., n, once each and in order. Empty for
   * {@code discard=true}.
   */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    Path input = params.path("input");
    return SampleSinks.jobDirectory(params, NAME, jobId)
        .map(dir -> verify(expectedCounts(input), SampleSinks.lines(dir)));
  }

  /**
   * Checks running-count lines ({@code word<TAB>count}, in delivery order) against the final
   * counts they must reach: per word, counts 1..n each once, in order. {@code wrong} counts lines
   * that are not such a count (unknown word, count out of range, malformed) or arrive after a
   * higher count of their word.
   */
  public static Verdict verify(Map<String, Long> expected, List<String> lines) {
    long total = 0;
    for (long n : expected.values()) {
      total += n;
    }
    Map<String, BitSet> seen = new HashMap<>();
    Map<String, Long> highest = new HashMap<>();
    List<String> problems = new ArrayList<>();
    long duplicated = 0;
    long wrong = 0;
    long distinct = 0;
    for (String line : lines) {
      int tab = line.lastIndexOf('\t');
      long c = -1;
      if (tab > 0) {
        try {
          c = Long.parseLong(line.substring(tab + 1));
        } catch (NumberFormatException e) {
          c = -1;
        }
      }
      String w = tab > 0 ? line.substring(0, tab) : line;
      Long n = expected.get(w);
      if (c < 1 || n == null || c > n) {
        wrong++;
        problem(problems, "unexpected line '" + line + "'" + (n == null ? "" : " (the word occurs " + n + " times)"));
        continue;
      }
      BitSet s = seen.computeIfAbsent(w, k -> new BitSet());
      if (s.get((int) c)) {
        duplicated++;
        problem(problems, "'" + w + "' count " + c + " delivered again");
        continue;
      }
      s.set((int) c);
      distinct++;
      long high = highest.getOrDefault(w, 0L);
      if (c < high) {
        wrong++;
        problem(problems, "'" + w + "' count " + c + " delivered after count " + high);
      }
      highest.put(w, Math.max(high, c));
    }
    long lost = total - distinct;
    if (lost > 0) {
      for (Map.Entry<String, Long> e : expected.entrySet()) {
        BitSet s = seen.get(e.getKey());
        long have = s == null ? 0 : s.cardinality();
        if (have < e.getValue()) {
          problem(problems, "'" + e.getKey() + "': " + have + " of " + e.getValue() + " running counts delivered");
          break;
        }
      }
    }
    long delivered = lines.size();
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0 && delivered == total;
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + delivered + " of " + total + " running counts of "
        + expected.size() + " words delivered; lost " + lost + ", duplicated " + duplicated + ", wrong " + wrong;
    return new Verdict(exact, total, delivered, lost, duplicated, wrong, problems, summary);
  }

  private static void problem(List<String> problems, String p) {
    if (problems.size() < 10) {
      problems.add(p);
    }
  }

  /**
   * The final count of every word in the output of a finished job: {@code jobDirectory} is the
   * file sink's {@link FileSink#jobDirectory job directory}. The last running count of a word is
   * its largest.
   */
  public static Map<String, Long> finalCounts(Path jobDirectory) {
    Map<String, Long> counts = new TreeMap<>();
    for (String line : FileSink.readLines(jobDirectory)) {
      int tab = line.lastIndexOf('\t');
      if (tab <= 0) {
        throw new IllegalArgumentException(jobDirectory + ": not a word-count line: '" + line + "'");
      }
      long c;
      try {
        c = Long.parseLong(line.substring(tab + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(jobDirectory + ": not a word-count line: '" + line + "'", e);
      }
      counts.merge(line.substring(0, tab), c, Math::max);
    }
    return counts;
  }

  /**
   * The right answer, counted directly from the file with a regular expression (independently of
   * {@link #words}): what {@link #finalCounts} must return after a job over {@code input}.
   */
  public static Map<String, Long> expectedCounts(Path input) {
    Map<String, Long> counts = new TreeMap<>();
    try (Stream<String> lines = Files.lines(input, StandardCharsets.UTF_8)) {
      lines.forEach(line -> {
        for (String w : NON_LETTERS.split(line)) {
          if (!w.isEmpty()) {
            counts.merge(w.toLowerCase(Locale.ROOT), 1L, Long::sum);
          }
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + input, e);
    }
    return counts;
  }
}
