package com.example.letters;

import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Per first letter of the words of a text file: how many words start with it, how many letters
 * they have together, and the longest of them. Every word updates its letter's statistics, and
 * every update is written to the output as one line {@code letter<TAB>words<TAB>letters<TAB>longest}.
 *
 * <p>Submit it with {@code input=<text file> output=<directory>} (and optionally
 * {@code parallelism=<n>}).
 */
public final class LetterStats implements PipelineFactory {
  public static final String NAME = "letter-stats";

  /** The statistics of one letter: the accumulator, persisted by Sluice as this record. */
  public record Stats(long words, long letters, String longest) {
    static final Stats EMPTY = new Stats(0, 0, "");

    Stats add(String word) {
      return new Stats(words + 1, letters + word.length(), longer(longest, word));
    }

    Stats merge(Stats o) {
      return new Stats(words + o.words, letters + o.letters, longer(longest, o.longest));
    }

    /** The longer word; of two as long, the first in alphabetical order (so the answer does not depend on order). */
    static String longer(String a, String b) {
      if (a.length() != b.length()) {
        return a.length() > b.length() ? a : b;
      }
      return a.compareTo(b) <= 0 ? a : b;
    }

    /** One output line. */
    String line(String letter) {
      return letter + "\t" + words + "\t" + letters + "\t" + longest;
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "statistics of words by first letter; input=<text file> output=<dir> [parallelism=2]";
  }

  @Override
  public Pipeline create(Parameters params) {
    Path input = params.path("input");
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("parameter 'input': " + input.toAbsolutePath() + " is not a readable file");
    }
    FileSink<KV<String, Stats>> sink = Sinks.<KV<String, Stats>>files("out", params.path("output"))
        .withFormatter(kv -> kv.value().line(kv.key()));
    return pipeline(input, JobConfig.defaults().withParallelism(params.intValue("parallelism", 2)), sink);
  }

  /** The pipeline, with any sink (the unit test collects in memory). */
  public static Pipeline pipeline(Path input, JobConfig config, Sink<? super KV<String, Stats>> sink) {
    // Stats is persisted (it is the aggregate's state) under a logical name, never its class name:
    // the class can be renamed or moved, and a later version can add a component to it
    Pipeline.Builder p = Pipeline.builder(NAME).config(config.withType(Stats.class, "letters.Stats"));
    p.readFrom(Sources.textFile("lines", input))
        .<String>flatMap((line, out) -> {
          for (String w : words(line)) {
            out.collect(w);
          }
        }).named("words")
        .keyBy(w -> w.substring(0, 1))
        .aggregate("stats", new AggregateFunction<String, Stats, Stats>() {
          @Override
          public Stats createAccumulator() {
            return Stats.EMPTY;
          }

          @Override
          public Stats add(Stats acc, String word) {
            return acc.add(word);
          }

          @Override
          public Stats merge(Stats a, Stats b) {
            return a.merge(b);
          }

          @Override
          public Stats result(Stats acc) {
            return acc;
          }
        })
        .writeTo(sink);
    return p.build();
  }

  /** The words of a line: runs of letters, lower-cased. */
  public static List<String> words(String line) {
    List<String> out = new ArrayList<>();
    for (String w : line.toLowerCase(Locale.ROOT).split("\\P{L}+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  /** The right answer, computed without Sluice: the final statistics of every letter. */
  public static Map<String, Stats> expected(Path input) {
    Map<String, Stats> stats = new TreeMap<>();
    try {
      for (String line : Files.readAllLines(input)) {
        for (String w : words(line)) {
          stats.merge(w.substring(0, 1), Stats.EMPTY.add(w), Stats::merge);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return stats;
  }

  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    return Optional.of(verify(expected(params.path("input")),
        FileSink.readLines(params.path("output").toAbsolutePath().resolve(jobId))));
  }

  /**
   * Checks output lines against the right answer: each letter's updates must carry the word counts
   * 1, 2, ..., n once each (one per word: none lost, none twice), and the update with count n the
   * right statistics.
   */
  public static Verdict verify(Map<String, Stats> expected, List<String> lines) {
    Map<String, Map<Long, Integer>> seen = new HashMap<>();
    Map<String, String> last = new HashMap<>();
    long wrong = 0;
    List<String> problems = new ArrayList<>();
    for (String line : lines) {
      String[] f = line.split("\t", -1);
      Stats e = f.length == 4 ? expected.get(f[0]) : null;
      long words;
      try {
        words = f.length == 4 ? Long.parseLong(f[1]) : -1;
      } catch (NumberFormatException x) {
        words = -1;
      }
      if (e == null || words < 1 || words > e.words()) {
        wrong++;
        if (problems.size() < 20) {
          problems.add("unexpected line '" + line + "'");
        }
        continue;
      }
      seen.computeIfAbsent(f[0], k -> new HashMap<>()).merge(words, 1, Integer::sum);
      if (words == e.words()) {
        last.put(f[0], line);
      }
    }
    long expectedLines = 0;
    long lost = 0;
    long duplicated = 0;
    for (Map.Entry<String, Stats> e : expected.entrySet()) {
      expectedLines += e.getValue().words();
      Map<Long, Integer> s = seen.getOrDefault(e.getKey(), Map.of());
      for (long n = 1; n <= e.getValue().words(); n++) {
        int c = s.getOrDefault(n, 0);
        if (c == 0) {
          lost++;
          if (problems.size() < 20) {
            problems.add("letter '" + e.getKey() + "': no update for word " + n);
          }
        } else if (c > 1) {
          duplicated += c - 1;
          if (problems.size() < 20) {
            problems.add("letter '" + e.getKey() + "': word " + n + " counted " + c + " times");
          }
        }
      }
      String want = e.getValue().line(e.getKey());
      String got = last.get(e.getKey());
      if (got != null && !got.equals(want)) {
        wrong++;
        if (problems.size() < 20) {
          problems.add("letter '" + e.getKey() + "': final statistics '" + got + "', expected '" + want + "'");
        }
      }
    }
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0;
    return new Verdict(exact, expectedLines, lines.size(), lost, duplicated, wrong, problems,
        (exact ? "EXACT: " : "NOT EXACT: ") + lines.size() + " updates for " + expected.size() + " letters, "
            + expectedLines + " expected; lost " + lost + ", duplicated " + duplicated + ", wrong " + wrong);
  }
}
