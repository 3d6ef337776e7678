package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.testing.JobFailedException;
import io.sluice.core.testing.PipelineTestDriver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The large-state sample on the test driver: totals exact and every payload found as written. */
class LargeStateTest {
  private static final Generator G = Generator.keyed(400, 9).withSplits(2);

  @Test
  void payloadsAreFixedFunctionsOfKeyAndSeq() {
    assertEquals(LargeState.payload(7, 3, 50), LargeState.payload(7, 3, 50));
    assertTrue(!LargeState.payload(7, 3, 50).equals(LargeState.payload(7, 4, 50)));
    assertEquals(0, LargeState.writtenBefore(1, 3));
    assertEquals(1, LargeState.writtenBefore(2, 3));
    assertEquals(1, LargeState.writtenBefore(4, 3));
    assertEquals(4, LargeState.writtenBefore(5, 3));
    assertEquals(4, LargeState.writtenBefore(7, 3));
    assertEquals(7, LargeState.writtenBefore(8, 3));
    assertEquals(1, LargeState.writtenBefore(9, 0), "never rewritten: the first record's payload");
  }

  /**
   * Design of this test: both keyed instances crash again and again while payloads are written and
   * rewritten, with frequent snapshots in small chunks, so that recoveries restore payloads from
   * stored bases and deltas; every record checks the payload it finds, so a lost or stale one
   * fails the job, and the totals must be exact.
   */
  @Test
  void whenTheKeyedInstancesCrashRepeatedly_thenEveryPayloadIsFoundAsWrittenAndTotalsAreExact() {
    CollectingSink<Total> out = Sinks.collecting("out");
    JobConfig config = JobConfig.defaults().withParallelism(2).withBatching(150, Duration.ZERO).withSnapshotEvery(2);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(LargeState.pipeline(G, config, out, 300, 3))) {
      int crashes = 0;
      while (d.runSteps(2)) {
        d.crash("totals", crashes++ % 2);
      }
      d.run();
      assertTrue(d.isFinished());
      assertTrue(crashes >= 8, "crashes: " + crashes);
      TotalsVerifier.Verdict v = TotalsVerifier.verify(G, d.results(out));
      assertTrue(v.exact(), v.summary());
      assertEquals(G.totalRecords(), v.delivered());
    }
  }

  /** A key's first record finds a payload although none was written: the job fails, naming key and seq. */
  @Test
  void aPayloadThatIsNotTheOneWrittenFailsTheJobNamingKeyAndSeq() {
    CollectingSink<Total> out = Sinks.collecting("out");
    JobConfig config = JobConfig.defaults().withParallelism(1).withRestartStrategy(RestartStrategy.none());
    Pipeline.Builder p = Pipeline.builder("bad").config(config);
    p.readFrom(Sources.collection("events", List.of(new GeneratedRecord(0, 1, 1, 0), new GeneratedRecord(0, 1, 1, 0))))
        .keyBy(GeneratedRecord::key)
        .process("totals", () -> new LargeState.TotalWithPayload(20, 0))
        .writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.of(p.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertTrue(e.getMessage().contains("key 0 seq 1: the stored payload is 20 chars starting"), e.getMessage());
    }
  }

  @Test
  void parametersDefaultToAGigabyteOfState() {
    LargeState s = new LargeState();
    assertEquals(1_000_000, LargeState.generator(Parameters.of(Map.of())).keys());
    assertEquals(1000, LargeState.valueBytes(Parameters.of(Map.of())));
    assertThrows(IllegalArgumentException.class, () -> s.create(Parameters.of(Map.of("value-bytes", "2000000"))));
  }
}
