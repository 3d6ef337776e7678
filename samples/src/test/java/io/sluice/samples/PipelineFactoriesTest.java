package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.PipelineFactory;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Nodes find the samples by name through {@link ServiceLoader}, as they find any pipeline. */
class PipelineFactoriesTest {
  @Test
  void theSamplesAreRegistered() {
    Map<String, PipelineFactory> byName = new TreeMap<>();
    for (PipelineFactory f : ServiceLoader.load(PipelineFactory.class)) {
      byName.put(f.name(), f);
    }
    assertTrue(byName.keySet().containsAll(java.util.Set.of("click-sessions", "keyed-totals", "word-count",
        "tumbling-windows", "sliding-windows", "process-state", "two-hops", "rebalance-broadcast", "at-least-once",
        "cassandra-sink", "upgrade-totals")), byName.keySet().toString());
    for (PipelineFactory f : byName.values()) {
      assertTrue(!f.description().isBlank(), f.name());
    }
  }

  @Test
  void defaultsDescribeARunnablePipeline() {
    String keyed = new KeyedTotals().create(Parameters.empty()).describe();
    assertTrue(keyed.contains("totals"), keyed);
    String clicks = new ClickSessions().create(Parameters.empty()).describe();
    assertTrue(clicks.contains("sessions"), clicks);
    for (io.sluice.core.dsl.PipelineFactory f : java.util.List.of(new TumblingWindows(), new SlidingWindows(),
        new ProcessState(), new TwoHops(), new RebalanceBroadcast(), new AtLeastOnce(), new CassandraTotals())) {
      String d = f.create(Parameters.empty()).describe();
      assertTrue(d.contains("pipeline '" + f.name() + "'"), d);
    }
    // upgrade-totals' version 2 adds a stateless step before, and a stateful one after, "totals"
    String v1 = new UpgradeTotals().create(Parameters.empty()).describe();
    String v2 = new UpgradeTotals().create(Parameters.of(java.util.Map.of("version", "2"))).describe();
    assertTrue(v1.contains("totals") && !v1.contains("audit") && !v1.contains("checked"), v1);
    assertTrue(v2.contains("totals") && v2.contains("audit") && v2.contains("checked"), v2);
  }
}
