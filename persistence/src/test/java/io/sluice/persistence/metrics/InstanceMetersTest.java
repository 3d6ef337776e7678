package io.sluice.persistence.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.core.internal.engine.LatencyHistogram;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An instance's meters: what they read, and that a stopped instance leaves none behind. */
class InstanceMetersTest {
  @Test
  void anInstanceStoppingHereRemovesEveryMeterItRegistered_soMetersStayBoundedByTheInstancesRunning() {
    CompositeMeterRegistry node = new CompositeMeterRegistry();
    SimpleMeterRegistry exposed = new SimpleMeterRegistry();
    node.add(exposed);
    for (int round = 0; round < 3; round++) { // an instance moving back and forth
      InstanceMeters sink = new InstanceMeters(node, "job-1", "out", 0, true);
      InstanceMeters map = new InstanceMeters(node, "job-1", "map", 0, false);
      assertEquals(sink.meterCount() + map.meterCount(), node.getMeters().size());
      assertEquals(map.meterCount() + 1, sink.meterCount(), "only a sink measures end-to-end latency");
      sink.close();
      map.close();
      assertTrue(exposed.getMeters().isEmpty(), "left behind: " + exposed.getMeters());
      assertTrue(node.getMeters().isEmpty(), "left behind: " + node.getMeters());
    }
  }

  @Test
  void countsAreTheLatestReportedAndTimingsAreRecorded() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    try (InstanceMeters m = new InstanceMeters(r, "job-1", "out", 3, true)) {
      m.counts(10, 7, 2, 4, 5);
      m.counts(12, 9, 2, 1, 0);
      m.step(TimeUnit.MILLISECONDS.toNanos(3));
      m.journalWrite(TimeUnit.MILLISECONDS.toNanos(8));
      m.captured(4096, TimeUnit.MILLISECONDS.toNanos(20));
      LatencyHistogram h = new LatencyHistogram();
      h.record(100, 3);
      m.endToEnd(h.counts());
      assertEquals(12.0, r.get("sluice.instance.records.in").tag("instance", "3").functionCounter().count());
      assertEquals(9.0, r.get("sluice.instance.records.out").functionCounter().count());
      assertEquals(1.0, r.get("sluice.instance.backlog").gauge().value());
      assertEquals(0.0, r.get("sluice.instance.unacked").gauge().value());
      assertEquals(1, r.get("sluice.instance.step").timer().count());
      assertEquals(8.0, r.get("sluice.instance.journal.write").timer().totalTime(TimeUnit.MILLISECONDS));
      assertEquals(4096.0, r.get("sluice.instance.state.capture.size").summary().totalAmount());
      assertEquals(3, r.get("sluice.instance.latency").timer().count());
      double mean = r.get("sluice.instance.latency").timer().mean(TimeUnit.MILLISECONDS);
      assertTrue(mean >= 100 && mean <= 105, "within the histogram's 5 %: " + mean);
    }
  }
}
