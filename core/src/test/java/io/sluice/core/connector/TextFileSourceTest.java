package io.sluice.core.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.testing.JobFailedException;
import io.sluice.core.testing.PipelineTestDriver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lines of a text file, split into byte ranges: every line once, whatever the split count. */
class TextFileSourceTest {
  @TempDir
  Path dir;

  /** Lines of varied length, some non-ASCII, one longer than the reader's 64 KiB buffer. */
  private static List<String> lines() {
    Random random = new Random(7);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      int len = random.nextInt(60);
      StringBuilder sb = new StringBuilder("line " + i + " ");
      for (int j = 0; j < len; j++) {
        sb.append(j % 17 == 0 ? 'é' : (char) ('a' + random.nextInt(26)));
      }
      lines.add(sb.toString());
      if (i == 150) {
        lines.add("x".repeat(100_000));
        lines.add("");
      }
    }
    return lines;
  }

  private Path write(String name, List<String> lines, String eol, boolean finalEol) throws Exception {
    Path f = dir.resolve(name);
    String text = String.join(eol, lines) + (finalEol ? eol : "");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  private static List<String> readAll(Source<String> src, int splits) throws Exception {
    List<String> all = new ArrayList<>();
    for (int s = 0; s < splits; s++) {
      try (SourceReader<String> r = src.createReader(s, splits)) {
        while (!r.isEnd()) {
          r.read(7, all::add);
        }
      }
    }
    return all;
  }

  @Test
  void everySplitCountReadsEveryLineOnceInOrder() throws Exception {
    List<String> lines = lines();
    for (String eol : List.of("\n", "\r\n")) {
      for (boolean finalEol : List.of(true, false)) {
        Source<String> src = Sources.textFile("lines", write("f.txt", lines, eol, finalEol));
        for (int splits = 1; splits <= 9; splits++) {
          assertEquals(lines, readAll(src, splits), "eol " + eol.length() + " final " + finalEol + " splits " + splits);
        }
      }
    }
  }

  /**
   * Design of this test: with three splits over a file of uneven lines, both split boundaries fall
   * inside lines; the pipeline (with replay checks, which re-read every batch from its persisted
   * byte range) must produce every line exactly once.
   */
  @Test
  void aPipelineWithThreeSplitsReadsEveryLineExactlyOnce() throws Exception {
    List<String> lines = lines();
    Path f = write("crlf.txt", lines, "\r\n", true);
    long size = Files.size(f);
    byte[] bytes = Files.readAllBytes(f);
    for (int s = 1; s < 3; s++) {
      long boundary = s * size / 3;
      assertTrue(bytes[(int) boundary - 1] != '\n', "boundary " + boundary + " is inside a line");
    }
    CollectingSink<String> out = Sinks.collecting("out");
    Pipeline.Builder p = Pipeline.builder("text");
    p.config(JobConfig.defaults().withParallelism(3).withBatching(16, Duration.ZERO));
    p.readFrom(Sources.textFile("lines", f)).writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p.build())) {
      d.run();
      assertTrue(d.isFinished());
      List<String> got = d.results(out);
      assertEquals(lines.size(), got.size());
      List<String> sortedGot = new ArrayList<>(got);
      List<String> sortedExpected = new ArrayList<>(lines);
      sortedGot.sort(null);
      sortedExpected.sort(null);
      assertEquals(sortedExpected, sortedGot);
      assertEquals(lines, got, "splits are read in order and collected by upstream instance");
    }
  }

  @Test
  void seekingToAReportedPositionReadsTheSameLinesAgain() throws Exception {
    Source<String> src = Sources.textFile("lines", write("seek.txt", List.of("a", "bb", "ccc", "dddd"), "\r\n", false));
    try (SourceReader<String> r = src.createReader(0, 1)) {
      List<String> first = new ArrayList<>();
      r.read(1, first::add);
      long mark = r.position();
      assertEquals(3, mark, "a position is the byte offset of the next line");
      r.read(2, first::add);
      r.seek(mark);
      List<String> again = new ArrayList<>();
      r.read(10, again::add);
      assertEquals(List.of("a", "bb", "ccc"), first);
      assertEquals(List.of("bb", "ccc", "dddd"), again);
      assertTrue(r.isEnd());
      assertEquals("seek.txt: position 99 outside [0, 16]", assertThrows(IllegalArgumentException.class,
          () -> r.seek(99)).getMessage().replace(dir.toAbsolutePath() + "/", ""));
    }
  }

  @Test
  void anEmptyFileHasNoLines() throws Exception {
    Path f = dir.resolve("empty.txt");
    Files.write(f, new byte[0]);
    assertEquals(List.of(), readAll(Sources.textFile("lines", f), 3));
  }

  @Test
  void invalidUtf8FailsNamingTheFileAndTheByteOffset() throws Exception {
    Path f = dir.resolve("bad.txt");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("fine\nalso fine\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes(new byte[] {'o', 'k', (byte) 0xC3, 0x28, '\n'});
    b.writeBytes("after\n".getBytes(StandardCharsets.UTF_8));
    Files.write(f, b.toByteArray());
    Pipeline.Builder p = Pipeline.builder("bad-text");
    p.config(JobConfig.defaults().withParallelism(1).withRestartStrategy(RestartStrategy.none()));
    p.readFrom(Sources.textFile("lines", f)).writeTo(Sinks.collecting("out"));
    try (PipelineTestDriver d = PipelineTestDriver.of(p.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'lines (reading split 0)' after 1 attempt(s): java.io.IOException: "
          + f.toAbsolutePath() + ": invalid UTF-8 in the line starting at byte offset 15", e.getMessage());
    }
  }

  @Test
  void aMissingFileFailsTheJobNamingTheSourceAndThePath() {
    Path missing = dir.resolve("missing.txt");
    Pipeline.Builder p = Pipeline.builder("missing");
    p.config(JobConfig.defaults().withParallelism(1).withRestartStrategy(RestartStrategy.none()));
    p.readFrom(Sources.textFile("lines", missing)).writeTo(Sinks.collecting("out"));
    Pipeline pipeline = p.build();
    JobFailedException e = assertThrows(JobFailedException.class, () -> PipelineTestDriver.of(pipeline).run());
    assertEquals("job failed: stage 'lines (split 0)' after 1 attempt(s): java.io.IOException: source 'lines': "
        + missing.toAbsolutePath() + " is not a readable file", e.getMessage());
  }
}
