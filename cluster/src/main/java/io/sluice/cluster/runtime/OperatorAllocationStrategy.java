package io.sluice.cluster.runtime;

import io.sluice.persistence.runtime.InstanceId;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * INTERNAL API: places each operator instance (one shard per instance, shard id = entity id
 * {@code job/operator/index}) on the node that has the fewest instances of the same operator of
 * the same job, then the fewest shards overall, so that one operator's instances spread over the
 * nodes and a node's death takes as few of them as possible.
 *
 * <p>It does not rebalance for balance: moving a live instance means stopping it and replaying it
 * elsewhere, a pause for nothing. A node that (re)joins gets instances of the jobs submitted after
 * it joined and of the nodes that die later. It rebalances only the shards whose routes an
 * instance reported stale ({@link RouteRefresh}), and only while every member is reachable (a
 * hand-off to an unreachable region would wait for its timeout).
 */
public final class OperatorAllocationStrategy extends ShardCoordinator.AbstractShardAllocationStrategy {
  private static final Logger log = LoggerFactory.getLogger(OperatorAllocationStrategy.class);
  private final RouteRefresh refresh;
  private final BooleanSupplier allReachable;

  /**
   * @param refresh this node's table of route refresh requests
   * @param allReachable whether every cluster member is reachable now
   */
  public OperatorAllocationStrategy(RouteRefresh refresh, BooleanSupplier allReachable) {
    this.refresh = refresh;
    this.allReachable = allReachable;
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId,
      Map<ActorRef, IndexedSeq<String>> current) {
    String group = group(shardId);
    ActorRef best = null;
    int bestSame = Integer.MAX_VALUE;
    int bestTotal = Integer.MAX_VALUE;
    for (ActorRef region : current.keySet().stream().sorted(Comparator.comparing(r -> r.path().toString())).toList()) {
      IndexedSeq<String> shards = current.get(region);
      int same = 0;
      int total = shards.size();
      scala.collection.Iterator<String> it = shards.iterator();
      while (it.hasNext()) {
        if (group.equals(group(it.next()))) {
          same++;
        }
      }
      if (same < bestSame || same == bestSame && total < bestTotal) {
        best = region;
        bestSame = same;
        bestTotal = total;
      }
    }
    if (best == null) {
      return Futures.failed(new IllegalStateException("no shard region to allocate " + shardId + " to"));
    }
    return Futures.successful(best);
  }

  /** job/operator of an instance's shard id; other shard ids form their own group. */
  static String group(String shardId) {
    try {
      InstanceId id = InstanceId.parse(shardId);
      return id.jobId() + "/" + id.operator();
    } catch (IllegalArgumentException e) {
      return shardId;
    }
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    if (refresh.isEmpty() || !allReachable.getAsBoolean()) {
      return Futures.successful(Collections.emptySet());
    }
    Set<String> allocated = new HashSet<>();
    for (IndexedSeq<String> shards : current.values()) {
      scala.collection.Iterator<String> it = shards.iterator();
      while (it.hasNext()) {
        allocated.add(it.next());
      }
    }
    Set<String> shards = refresh.take(allocated, inProgress);
    if (!shards.isEmpty()) {
      log.warn("refreshing the routes to {}: handing the shards off, every region forgets where they ran", shards);
    }
    return Futures.successful(shards);
  }
}
