package io.sluice.persistence.runtime;

import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a bounded pipeline on the in-memory runtime until every sink instance finished, killing a
 * random instance every ~120 ms up to {@code kills} times; for integration tests of sinks.
 */
public final class RuntimeHarness {
  private RuntimeHarness() {}

  private static volatile String lastJobId;
  private static volatile Map<String, Long> lastJournalWrites = Map.of();

  /** The job id of the last run. */
  public static String lastJobId() {
    return lastJobId;
  }

  /** Events the last run wrote to the journal, by operator name. */
  public static Map<String, Long> lastJournalWrites() {
    return lastJournalWrites;
  }

  /** Returns how many kills happened before the job finished. */
  public static int runWithKills(Pipeline pipeline, int kills, Duration timeout) {
    return runWithKills(pipeline, kills, timeout, id -> true);
  }

  /** As {@link #runWithKills(Pipeline, int, Duration)}, killing only instances that {@code victims} accepts. */
  public static int runWithKills(Pipeline pipeline, int kills, Duration timeout,
      java.util.function.Predicate<InstanceId> victims) {
    PhysicalPlan plan = PipelineImpl.physical(pipeline);
    try (InMemoryRuntime rt = new InMemoryRuntime(pipeline, id -> true)) {
      lastJobId = rt.job.jobId();
      List<InstanceId> all = rt.job.instances().stream().filter(victims).toList();
      List<InstanceId> sinks = rt.job.sinkInstances();
      Random random = new Random(7);
      int done = 0;
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!finished(rt, sinks)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the job did not finish within " + timeout + " (plan: " + plan.describe() + ")");
        }
        rt.keepAlive();
        if (done < kills && random.nextInt(2) == 0) {
          rt.kill(all.get(random.nextInt(all.size())));
          done++;
        }
        LockSupport.parkNanos(Duration.ofMillis(60).toNanos());
      }
      Map<String, Long> writes = new TreeMap<>();
      rt.journalWrites.forEach((op, n) -> writes.put(op, n.sum()));
      lastJournalWrites = writes;
      return done;
    }
  }

  private static boolean finished(InMemoryRuntime rt, List<InstanceId> sinks) {
    for (InstanceId s : sinks) {
      boolean f = false;
      for (InstanceReport r : rt.peers.reports()) {
        if (r.instance().equals(s) && r.finished()) {
          f = true;
        }
      }
      if (!f) {
        return false;
      }
    }
    return true;
  }
}
