package io.sluice.core.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exactly-once part files: one per batch id, written atomically, read back in order. */
class FileSinkTest {
  @TempDir
  Path dir;

  /** A writer's context in job {@code job}, instance {@code instance} of 2 (also for other sinks' tests). */
  static Sink.Context context(String job, int instance) {
    return new Sink.Context() {
      @Override
      public String jobId() {
        return job;
      }

      @Override
      public int instanceIndex() {
        return instance;
      }

      @Override
      public int parallelism() {
        return 2;
      }
    };
  }

  private static List<String> files(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writingTheSameBatchIdTwiceLeavesOnePart() throws Exception {
    FileSink<Integer> sink = Sinks.<Integer>files("out", dir).withFsync(false);
    SinkWriter<Integer> w = sink.createWriter(context("job-a", 1));
    BatchId id = new BatchId(1, "sum", 0, 42);
    w.write(id, List.of(1, 2, 3));
    w.write(id, List.of(1, 2, 3));
    w.endOfStream();
    w.endOfStream();
    Path jobDir = sink.jobDirectory("job-a");
    assertEquals(List.of("_END-1", "part-0001-sum-0000-000000000042.txt"), files(jobDir));
    assertEquals("1\n2\n3\n", Files.readString(jobDir.resolve("part-0001-sum-0000-000000000042.txt")));
    assertEquals(1, FileSink.endedInstances(jobDir));
  }

  @Test
  void readLinesReturnsPartsInBatchOrder() throws Exception {
    FileSink<String> sink = Sinks.<String>files("out", dir).withFormatter(s -> "<" + s + ">");
    SinkWriter<String> w0 = sink.createWriter(context("job-b", 0));
    SinkWriter<String> w1 = sink.createWriter(context("job-b", 1));
    w1.write(new BatchId(1, "up", 0, 1), List.of("d"));
    w0.write(new BatchId(0, "up", 1, 2), List.of("c"));
    w0.write(new BatchId(0, "up", 0, 10), List.of("b"));
    w0.write(new BatchId(0, "up", 0, 9), List.of("a1", "a2"));
    assertEquals(List.of("<a1>", "<a2>", "<b>", "<c>", "<d>"), FileSink.readLines(sink.jobDirectory("job-b")));
  }

  @Test
  void leftoverTemporaryFilesAreRemovedWhenTheInstanceOpensAgain() throws Exception {
    FileSink<String> sink = Sinks.files("out", dir);
    Path jobDir = sink.jobDirectory("job-c");
    Files.createDirectories(jobDir);
    Files.writeString(jobDir.resolve(".tmp-0-crashed"), "half a batch");
    Files.writeString(jobDir.resolve(".tmp-1-other-instance"), "not mine");
    sink.createWriter(context("job-c", 0));
    assertEquals(List.of(".tmp-1-other-instance"), files(jobDir));
  }

  @Test
  void aRecordFormattedWithALineBreakIsRefused() throws Exception {
    SinkWriter<String> w = Sinks.<String>files("out", dir).createWriter(context("job-d", 0));
    assertEquals("sink 'out': the formatted record contains a line break: a\nb", assertThrows(
        IllegalArgumentException.class, () -> w.write(new BatchId(0, "x", 0, 1), List.of("a\nb"))).getMessage());
  }

  private List<String> runSums(String name, boolean crash) throws Exception {
    List<Integer> input = IntStream.rangeClosed(1, 100).boxed().toList();
    FileSink<Integer> sink = Sinks.files(name, dir.resolve(name));
    Pipeline.Builder p = Pipeline.builder("files");
    p.config(JobConfig.defaults().withParallelism(2).withBatching(7, Duration.ZERO).withSnapshotEvery(3));
    p.readFrom(Sources.collection("numbers", input)).keyBy(i -> i % 5).reduce("sum", Integer::sum).writeTo(sink);
    try (PipelineTestDriver d = PipelineTestDriver.of(p.build())) {
      if (crash) {
        assertTrue(d.runSteps(4));
        d.crash(name, 0).crash(name, 1);
        assertTrue(d.runSteps(4));
        d.crash(name, 1).crash("sum", 0);
      }
      d.run();
      assertTrue(d.isFinished());
      Path jobDir = sink.jobDirectory(d.jobId());
      assertEquals(2, FileSink.endedInstances(jobDir));
      assertFalse(files(jobDir).stream().anyMatch(f -> f.startsWith(".tmp")));
      return FileSink.readLines(jobDir);
    }
  }

  /**
   * Design of this test: a keyed pipeline of running sums writes part files while its sink
   * instances are crashed mid-run; a batch written again after recovery replaces its own part, so
   * the output is line for line the output of the same run without crashes.
   */
  @Test
  void aPipelineWritesEveryRecordOnceAcrossSinkCrashes() throws Exception {
    List<String> calm = runSums("calm", false);
    assertEquals(100, calm.size());
    List<String> lastPerKey = List.of("1050", "970", "990", "1010", "1030"); // sums of i = k mod 5 over 1..100
    for (String s : lastPerKey) {
      assertTrue(calm.contains(s), s);
    }
    assertEquals(calm, runSums("crashed", true));
  }
}
