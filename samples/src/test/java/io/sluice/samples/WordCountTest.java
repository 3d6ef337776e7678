package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.FileSink;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.testing.PipelineTestDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The word-count sample on the test driver over a generated text whose counts the test knows
 * because it wrote them: mixed case, non-ASCII letters, punctuation and digits between words,
 * empty lines and CRLF line ends.
 */
class WordCountTest {
  private static final String[] VOCABULARY = {"the", "Quick", "BROWN", "fox", "jumps", "over", "lazy", "dog",
      "Straße", "école", "ÉCOLE", "λόγος", "Λόγος", "naïve", "zebra", "a", "I", "stream", "Sluice", "sluice"};
  private static final String[] SEPARATORS = {" ", "  ", ", ", "; ", " - ", "42", "\t", "' ", "...", "_", " 3.14 "};

  @TempDir
  Path dir;

  /** Writes a text of {@code words} words and returns how often each lower-cased word occurs in it. */
  private Map<String, Long> writeText(Path file, int words, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    Map<String, Long> counts = new TreeMap<>();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      String w = VOCABULARY[rnd.nextInt(VOCABULARY.length)];
      counts.merge(w.toLowerCase(Locale.ROOT), 1L, Long::sum);
      sb.append(w);
      if (rnd.nextInt(8) == 0) {
        sb.append(rnd.nextInt(5) == 0 ? "\r\n" : "\n");
        if (rnd.nextInt(10) == 0) {
          sb.append('\n'); // an empty line
        }
      } else {
        sb.append(SEPARATORS[rnd.nextInt(SEPARATORS.length)]);
      }
    }
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    return counts;
  }

  private Parameters params(Path input, Path output, int parallelism) {
    return Parameters.of(Map.of("input", input.toString(), "output", output.toString(), "fsync", "false",
        "parallelism", Integer.toString(parallelism)));
  }

  /** Every word's running counts must arrive as 1, 2, ..., n, in order. */
  private static void assertRunningCountsInOrder(List<String> lines) {
    Map<String, Long> last = new HashMap<>();
    for (String line : lines) {
      int tab = line.indexOf('\t');
      String w = line.substring(0, tab);
      long c = Long.parseLong(line.substring(tab + 1));
      assertEquals(last.getOrDefault(w, 0L) + 1, c, "running count of '" + w + "'");
      last.put(w, c);
    }
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2, 3})
  void whenRun_thenFinalCountsMatchAnIndependentCount(int parallelism) throws IOException {
    Path input = dir.resolve("text.txt");
    Map<String, Long> written = writeText(input, 20_000, parallelism);
    assertEquals(written, WordCount.expectedCounts(input), "the expected-counts helper agrees with the writer");
    Path output = dir.resolve("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(new WordCount().create(params(input, output, parallelism)))) {
      d.run();
      assertTrue(d.isFinished());
      Path jobDir = output.resolve(d.jobId());
      assertEquals(parallelism, FileSink.endedInstances(jobDir));
      assertEquals(written, WordCount.finalCounts(jobDir));
      List<String> lines = FileSink.readLines(jobDir);
      assertEquals(20_000, lines.size(), "one running count per word occurrence");
      assertRunningCountsInOrder(lines);
      Verdict v = new WordCount().verify(params(input, output, parallelism), d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary());
      assertEquals(20_000, v.expected());
    }
  }

  @Test
  void theVerifierReportsLostDuplicatedAndWrongCounts() {
    Map<String, Long> expected = Map.of("a", 3L, "b", 2L);
    List<String> right = List.of("a\t1", "b\t1", "a\t2", "b\t2", "a\t3");
    assertTrue(WordCount.verify(expected, right).exact());
    Verdict lost = WordCount.verify(expected, List.of("a\t1", "b\t1", "a\t2", "a\t3"));
    assertEquals(1, lost.lost());
    assertTrue(lost.summary().startsWith("NOT EXACT"), lost.summary());
    Verdict dup = WordCount.verify(expected, List.of("a\t1", "b\t1", "a\t2", "b\t2", "a\t2", "a\t3"));
    assertEquals(1, dup.duplicated());
    assertEquals(0, dup.lost());
    Verdict reordered = WordCount.verify(expected, List.of("a\t2", "b\t1", "a\t1", "b\t2", "a\t3"));
    assertEquals(1, reordered.wrong());
    Verdict wrong = WordCount.verify(expected, List.of("a\t1", "b\t1", "a\t2", "b\t2", "a\t3", "c\t1", "a\t4"));
    assertEquals(2, wrong.wrong());
    assertTrue(!wrong.exact());
  }

  @Test
  void whenEveryStepIsReplayed_thenCountsAreReproduced() throws IOException {
    Path input = dir.resolve("text.txt");
    Map<String, Long> written = writeText(input, 5_000, 7);
    Path output = dir.resolve("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(new WordCount().create(params(input, output,
        2)))) {
      d.run();
      assertEquals(written, WordCount.finalCounts(output.resolve(d.jobId())));
    }
  }

  /**
   * Design of this test: small batches (many steps), then crash the text-file splits, the counting
   * instances and the sink instances in the middle of the run, twice; counts must stay exact and
   * running counts in order (the file sink replaces a re-written part, it never doubles it).
   */
  @Test
  void whenInstancesCrashMidRun_thenCountsStayExact() throws IOException {
    Path input = dir.resolve("text.txt");
    Map<String, Long> written = writeText(input, 30_000, 11);
    Path output = dir.resolve("out");
    Pipeline p = WordCount.pipeline(input, io.sluice.core.dsl.JobConfig.defaults().withParallelism(2)
        .withBatching(40, java.time.Duration.ZERO).withSnapshotEvery(4),
        io.sluice.core.connector.Sinks.<io.sluice.core.dsl.KV<String, Long>>files("out", output)
            .withFormatter(WordCount::format).withFsync(false));
    try (PipelineTestDriver d = PipelineTestDriver.of(p)) {
      assertTrue(d.runSteps(30));
      d.crash("lines", 0).crash("counts", 1).crash("out", 0);
      assertTrue(d.runSteps(45));
      d.crash("lines", 1).crash("counts", 0).crash("counts", 1).crash("out", 1);
      d.run();
      assertTrue(d.isFinished());
      assertEquals(7, d.recoveries());
      Path jobDir = output.resolve(d.jobId());
      assertEquals(written, WordCount.finalCounts(jobDir));
      List<String> lines = FileSink.readLines(jobDir);
      assertEquals(30_000, lines.size());
      assertRunningCountsInOrder(lines);
    }
  }

  @Test
  void wordsAreRunsOfLettersLowerCased() {
    List<String> words = new ArrayList<>();
    WordCount.words("Hello, WORLD! it's 42nd-street; Straße/ÉCOLE  λόγος", words::add);
    assertEquals(List.of("hello", "world", "it", "s", "nd", "street", "straße", "école", "λόγος"), words);
    words.clear();
    WordCount.words("  1 2 3 ...", words::add);
    assertEquals(List.of(), words);
  }

  @Test
  void badParametersAreExplained() throws IOException {
    WordCount f = new WordCount();
    assertEquals("missing parameter 'input'",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.empty())).getMessage());
    Path missing = dir.resolve("nope.txt");
    assertEquals("parameter 'input': " + missing.toAbsolutePath() + " is not a readable file",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("input", missing.toString())))).getMessage());
    Path input = dir.resolve("text.txt");
    writeText(input, 10, 1);
    assertEquals("parameter 'parallelism' must be at least 1, was 0",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("input", input.toString(), "parallelism", "0")))).getMessage());
  }
}
