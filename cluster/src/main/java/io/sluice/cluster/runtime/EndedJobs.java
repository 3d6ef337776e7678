package io.sluice.cluster.runtime;

import java.util.Set;
import java.util.function.LongSupplier;

/**
 * INTERNAL API: the jobs that ended, as the job coordinator on this node last listed them, for
 * {@link OperatorAllocationStrategy}: the shard coordinator keeps the shards of ended jobs
 * allocated, and only the instances of jobs that still run are worth counting and moving. Both
 * singletons run on the oldest node; on any other node (or while the job coordinator has not
 * published for a while) the list is stale and nothing is balanced.
 */
public final class EndedJobs {
  private final LongSupplier nanos;
  private volatile Set<String> jobIds = Set.of();
  private volatile long publishedAt = Long.MIN_VALUE;

  public EndedJobs() {
    this(System::nanoTime);
  }

  EndedJobs(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /** Called by the job coordinator: the ids of every job it knows that is not running. */
  public void publish(Set<String> ended) {
    jobIds = Set.copyOf(ended);
    publishedAt = nanos.getAsLong();
  }

  /** The ended jobs' ids, if published within {@code maxAgeNanos}; null if stale or never published here. */
  Set<String> fresh(long maxAgeNanos) {
    long at = publishedAt;
    return at != Long.MIN_VALUE && nanos.getAsLong() - at <= maxAgeNanos ? jobIds : null;
  }
}
