package io.sluice.cluster.runtime;

import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * INTERNAL API: what the job coordinator on this node last knew of the jobs, for {@link
 * OperatorAllocationStrategy}: which jobs ended (the shard coordinator keeps their shards
 * allocated, and only the instances of jobs that still run are worth counting and moving), and the
 * incarnation each running instance last reported (a moved instance has recovered on its new node
 * once it reports from a new one). Both singletons run on the oldest node; on any other node, or
 * while the job coordinator has not published for a while, the view is stale and nothing is
 * balanced.
 */
public final class RunningJobs {
  /** One publication: the ids of the jobs that ended; per running instance (entity id) its latest incarnation. */
  record View(Set<String> ended, Map<String, Long> incarnations) {}

  private final LongSupplier nanos;
  private volatile View view = new View(Set.of(), Map.of());
  private volatile long publishedAt = Long.MIN_VALUE;

  public RunningJobs() {
    this(System::nanoTime);
  }

  RunningJobs(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /** Called by the job coordinator. */
  public void publish(Set<String> runningJobs, Map<String, Long> incarnations) {
    view = new View(Set.copyOf(runningJobs), Map.copyOf(incarnations));
    publishedAt = nanos.getAsLong();
  }

  /** The last publication, if made within {@code maxAgeNanos}; null if stale or never made here. */
  View fresh(long maxAgeNanos) {
    long at = publishedAt;
    return at != Long.MIN_VALUE && nanos.getAsLong() - at <= maxAgeNanos ? view : null;
  }
}
