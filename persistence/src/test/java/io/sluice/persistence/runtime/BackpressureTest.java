package io.sluice.persistence.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A slow sink must slow the sources down, never let memory grow without bound.
 *
 * <p>Design of this test: an unbounded generator (millions of records per second if let loose)
 * feeds keyed running totals into a sink that writes a batch only when the test grants it a
 * permit — about 20 batches per second here. The credit window (4 unacknowledged batches per
 * channel) must stop the keyed instance when its outbox to the sink is full, and the source when
 * its outbox to the keyed instance is full. So at every moment, the records the source has read
 * minus the records the sink has written stay below a bound set by the window and the batch size,
 * however long it runs; and the heap does not grow.
 */
@ExtendWith(LogCapturingExtension.class)
class BackpressureTest {
  private static final int WINDOW = 4;
  private static final int BATCH = 100;
  static final Semaphore PERMITS = new Semaphore(0);
  static final AtomicLong WRITTEN = new AtomicLong();

  /** A sink that writes a batch only after taking a permit. */
  static final class GatedSink implements Sink<GeneratedRecord> {
    @Override
    public String name() {
      return "gated";
    }

    @Override
    public DeliveryGuarantee guarantee() {
      return DeliveryGuarantee.EXACTLY_ONCE;
    }

    @Override
    public SinkWriter<GeneratedRecord> createWriter(Context context) {
      return (BatchId id, List<GeneratedRecord> records) -> {
        if (!PERMITS.tryAcquire(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never granted a permit");
        }
        WRITTEN.addAndGet(records.size());
      };
    }
  }

  @Test
  void whenTheSinkIsSlow_thenTheSourceIsSlowedAndInFlightRecordsStayBounded() {
    Pipeline.Builder p = Pipeline.builder("slow").config(JobConfig.defaults().withParallelism(1)
        .withBatching(BATCH, Duration.ofMillis(1)).withCreditWindow(WINDOW).withSnapshotEvery(50));
    p.readFrom(Sources.generator("events", Generator.keyed(100, Generator.UNBOUNDED)))
        .keyBy(GeneratedRecord::key)
        .reduce("totals", (a, r) -> new GeneratedRecord(r.key(), r.seq(), a.value() + r.value(), r.timestamp()))
        .writeTo(new GatedSink());
    // In flight at most: W unacknowledged batches from the source to the keyed instance, W
    // unacknowledged batches from the keyed instance to the sink, each merging up to the W inputs
    // one step can take, and the batch being written. Reports lag the source by up to one report
    // interval, so the test allows twice that.
    long analytic = (long) WINDOW * BATCH + (long) WINDOW * WINDOW * BATCH + BATCH;
    long bound = 2 * analytic;
    InMemoryRuntime rt = new InMemoryRuntime(p.build(), id -> true);
    try {
      InstanceId source = rt.instance("events", 0);
      Runtime heap = Runtime.getRuntime();
      System.gc();
      long heapBefore = heap.totalMemory() - heap.freeMemory();
      long maxGap = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      while (System.nanoTime() < deadline) {
        rt.keepAlive();
        PERMITS.release(1);
        long start = System.nanoTime();
        while (System.nanoTime() - start < 50_000_000L) {
          long read = latestRecordsOut(rt, source);
          maxGap = Math.max(maxGap, read - WRITTEN.get());
          Thread.onSpinWait();
        }
      }
      long read = latestRecordsOut(rt, source);
      System.gc();
      long heapGrowth = heap.totalMemory() - heap.freeMemory() - heapBefore;
      System.out.printf("[backpressure] source read %,d records, sink wrote %,d; largest gap %,d (bound %,d);"
          + " heap growth %,d KB%n", read, WRITTEN.get(), maxGap, bound, heapGrowth / 1024);
      assertTrue(WRITTEN.get() >= 20 * BATCH, "the sink made progress: " + WRITTEN.get());
      assertTrue(maxGap <= bound, "records read but not written exceeded " + bound + ": " + maxGap);
      assertTrue(read < 200_000, "the source was not slowed down: it read " + read + " records");
      assertTrue(heapGrowth < 64L * 1024 * 1024, "heap grew by " + heapGrowth / 1024 / 1024 + " MB");
    } finally {
      PERMITS.release(1_000_000); // let a writer blocked on a permit finish, then shut down
      rt.close();
    }
  }

  private static long latestRecordsOut(InMemoryRuntime rt, InstanceId source) {
    List<InstanceReport> reports = rt.peers.reports();
    for (int i = reports.size() - 1; i >= 0; i--) {
      if (reports.get(i).instance().equals(source)) {
        return reports.get(i).recordsOut();
      }
    }
    return 0;
  }
}
