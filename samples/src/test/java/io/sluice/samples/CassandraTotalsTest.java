package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.testing.PipelineTestDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cassandra-sink sample without Cassandra: its pipeline on the test driver with a collecting
 * sink, and its parameters. Writing to and reading from the real table is OperatorKindsChaosIT's.
 */
class CassandraTotalsTest {
  private static final Generator G = Generator.keyed(300, 25);

  private static Pipeline pipeline(CollectingSink<Total> out) {
    return CassandraTotals.pipeline(G.withSplits(2), JobConfig.defaults().withBatching(59, Duration.ZERO)
        .withSnapshotEvery(4), out);
  }

  @Test
  void whenRun_thenEveryTotalIsRight() {
    CollectingSink<Total> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(out))) {
      d.run();
      TotalsVerifier.Verdict v = TotalsVerifier.verify(G, d.results(out));
      assertTrue(v.exact(), v.summary());
    }
  }

  /** Design of this test: every instance crashes three times mid-run; the totals stay exact. */
  @Test
  void whenAnyInstanceCrashesMidRun_thenTotalsStayExact() {
    List<CollectingSink<Total>> sink = new ArrayList<>(List.of(Sinks.collecting("out")));
    int runs = DriverRuns.crashEachInstance(() -> {
      sink.set(0, Sinks.collecting("out"));
      return pipeline(sink.get(0));
    }, new double[] {0.1, 0.4, 0.75}, (label, d) -> {
      TotalsVerifier.Verdict v = TotalsVerifier.verify(G, d.results(sink.get(0)));
      assertTrue(v.exact(), label + ": " + v.summary());
    });
    assertEquals(6, runs);
  }

  @Test
  void theSinkIsTheCassandraTableOfTheParameters() {
    String d = new CassandraTotals().create(Parameters.of(Map.of("keyspace", "shop", "table", "sums",
        "contact-point", "10.0.0.7:9043"))).describe();
    assertTrue(d.contains("cassandra(shop.sums at 10.0.0.7:9043, upsert per total) (EXACTLY_ONCE)"), d);
    assertTrue(new CassandraTotals().verify(Parameters.of(Map.of("discard", "true")), "x").isEmpty());
  }

  @Test
  void badParametersAreExplained() {
    CassandraTotals f = new CassandraTotals();
    assertEquals("keyspace and table must be lower-case CQL identifiers (a letter, then letters, digits or '_', at"
        + " most 48), was 'Drop;'", assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("table", "Drop;")))).getMessage());
  }
}
