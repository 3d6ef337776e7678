package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CsvFormat;
import io.sluice.core.connector.CsvSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The csv-windows sample on the test driver, checking every instance's recovery after each step:
 * prepared input files (quoted commas, quotes and line breaks in user names) to CSV output, judged
 * by the sample's own verifier; and the verifier notices a lost part and a changed total.
 */
class CsvWindowsTest {
  @TempDir
  Path dir;

  @Test
  void theSameJobInSqlGivesTheSameExactTotals() throws Exception {
    Parameters params = Parameters.of(Map.of("input", dir.resolve("in").toString(), "output",
        dir.resolve("out").toString(), "keys", "23", "records", "15000", "files", "2", "window", "2s", "sql", "true",
        "parallelism", "3", "fsync", "false"));
    CsvWindows factory = new CsvWindows();
    factory.prepare(params);
    String jobId;
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(factory.create(params))) {
      d.run();
      assertTrue(d.isFinished());
      jobId = d.jobId();
    }
    Verdict v = factory.verify(params, jobId).orElseThrow();
    assertTrue(v.exact(), v.summary() + " " + v.problems());
    assertEquals(23 * 8, v.expected(), "every user has orders in each of the 8 two-second windows");
  }

  @Test
  void theWindowTotalsAreExactAndTheVerifierNoticesLossAndChange() throws Exception {
    Parameters params = Parameters.of(Map.of("input", dir.resolve("in").toString(), "output",
        dir.resolve("out").toString(), "keys", "37", "records", "20000", "files", "3", "window", "1s"));
    CsvWindows factory = new CsvWindows();
    factory.prepare(params);
    try (Stream<Path> s = Files.list(dir.resolve("in"))) {
      assertEquals(List.of("orders-000.csv", "orders-001.csv", "orders-002.csv"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    String text = Files.readString(dir.resolve("in/orders-001.csv"));
    assertTrue(text.startsWith("user,amount,ts\n") && text.contains("\"\"vip\"\"") && text.contains("\nsecond line\",")
        && text.contains("Zürich"), "quoting is needed");
    CsvWindows.Settings settings = CsvWindows.settings(params);
    CsvSink sink = Sinks.csv("out", settings.output(), CsvWindows.TOTALS, CsvFormat.defaults().withHeader(true))
        .withFsync(false);
    String jobId;
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(CsvWindows.pipeline(settings.input(),
        settings.window(), JobConfig.defaults().withParallelism(3).withBatching(97, Duration.ZERO)
            .withSnapshotEvery(5), sink))) {
      d.run();
      assertTrue(d.isFinished());
      jobId = d.jobId();
    }
    Verdict v = factory.verify(params, jobId).orElseThrow();
    assertTrue(v.exact(), v.summary() + " " + v.problems());
    assertEquals(37 * 20, v.expected(), "every user has orders in each of the 20 one-second windows");

    Path jobDir = settings.output().resolve(jobId);
    List<Path> parts;
    try (Stream<Path> s = Files.list(jobDir)) {
      parts = s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
    String first = Files.readString(parts.get(0));
    Files.writeString(parts.get(0), first.replaceFirst(",(\\d+)\\.(\\d\\d)\n", ",1$1.$2\n"));
    Files.delete(parts.get(1));
    Verdict broken = factory.verify(params, jobId).orElseThrow();
    assertFalse(broken.exact());
    assertTrue(broken.lost() > 0 && broken.wrong() == 1, broken.summary());
  }
}
