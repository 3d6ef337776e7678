package io.sluice.persistence.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.internal.engine.InMemoryStateStore;
import io.sluice.persistence.state.StateStores;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A whole pipeline — generator, keyed running totals, collecting sink, two instances each — run
 * by the runtime on the in-memory journal, with instances killed while it runs. The output must
 * be exact: every key's sequence numbers 1..n in order, once each, and its final total right.
 */
@ExtendWith(LogCapturingExtension.class)
class RuntimePipelineTest {
  private static final long KEYS = 200;
  private static final long PER_KEY = 200;

  private static Pipeline pipeline(CollectingSink<GeneratedRecord> out) {
    Pipeline.Builder p = Pipeline.builder("totals").config(JobConfig.defaults().withParallelism(2)
        .withBatching(97, Duration.ofMillis(2)).withCreditWindow(4).withSnapshotEvery(7));
    // 40,000 records at 10,000 per second: the job lasts 4 s, the 12 kills take about 1.5 s
    p.readFrom(Sources.generator("events", Generator.keyed(KEYS, PER_KEY).withRate(10_000)))
        .keyBy(GeneratedRecord::key)
        .reduce("totals", (acc, r) -> new GeneratedRecord(r.key(), r.seq(), acc.value() + r.value(), r.timestamp()))
        .writeTo(out);
    return p.build();
  }

  private static void verify(List<GeneratedRecord> results) {
    Map<Long, Long> lastSeq = new HashMap<>();
    Map<Long, Long> total = new HashMap<>();
    for (GeneratedRecord r : results) {
      long expected = lastSeq.getOrDefault(r.key(), 0L) + 1;
      assertEquals(expected, r.seq(), "key " + r.key() + ": sequence must advance by exactly 1");
      assertEquals(Generator.sumOfFirst(r.key(), r.seq()), r.value(), "key " + r.key() + " running total at " + r.seq());
      lastSeq.put(r.key(), r.seq());
      total.put(r.key(), r.value());
    }
    assertEquals(KEYS, lastSeq.size(), "every key reached the sink");
    for (long k = 0; k < KEYS; k++) {
      assertEquals(PER_KEY, lastSeq.get(k), "key " + k + " got all its records");
    }
    assertEquals(KEYS * PER_KEY, results.size(), "no record lost or duplicated");
  }

  private static void run(boolean chaos) {
    CollectingSink<GeneratedRecord> out = Sinks.collecting("out");
    Pipeline pipeline = pipeline(out);
    long snapshotsBefore = ProtocolSerializer.SNAPSHOTS.sum();
    try (InMemoryRuntime rt = new InMemoryRuntime(pipeline, id -> true)) {
      List<InstanceId> all = rt.job.instances();
      Random random = new Random(42);
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      int kills = 0;
      while (!(out.ended(rt.job.jobId(), 0) && out.ended(rt.job.jobId(), 1))) {
        assertTrue(System.nanoTime() < deadline, "the job did not finish in time; " + out.results(rt.job.jobId()).size()
            + " records at the sink");
        rt.keepAlive();
        if (chaos && kills < 12 && random.nextInt(2) == 0) {
          rt.kill(all.get(random.nextInt(all.size())));
          kills++;
        }
        LockSupport.parkNanos(Duration.ofMillis(chaos ? 60 : 100).toNanos());
      }
      if (chaos) {
        assertEquals(12, kills, "the job finished before the test could kill 12 instances");
        long incarnations = rt.peers.reports().stream().map(InstanceReport::incarnation).distinct().count();
        assertTrue(incarnations >= all.size() + 6, "instances were not recovered: " + incarnations + " incarnations");
      }
      verify(out.results(rt.job.jobId()));
      out.clear(rt.job.jobId());
      // the keyed state went through the stored path: captures in the state store, snapshots after them
      InMemoryStateStore store = (InMemoryStateStore) StateStores.get(rt.kit.system()).store();
      assertTrue(store.versionCount() > 0, "no key group was captured");
      assertTrue(ProtocolSerializer.SNAPSHOTS.sum() > snapshotsBefore, "no snapshot was taken");
    }
  }

  @Test
  void whenNothingFails_thenTheOutputIsExact() {
    run(false);
  }

  /*
   * Design of this test: while the job runs, a random instance (source, keyed or sink) is stopped
   * without warning every ~120 ms, twelve times. Each comes back on the next message (the test's
   * keep-alive plays the job coordinator) from its snapshot and journal, resends its outbox and
   * asks its upstream to resend; receivers drop duplicates by sequence number.
   */
  @Test
  void whenInstancesAreKilledWhileRunning_thenTheOutputIsStillExact() {
    run(true);
  }
}
