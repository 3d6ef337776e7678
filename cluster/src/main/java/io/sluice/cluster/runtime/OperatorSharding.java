package io.sluice.cluster.runtime;

import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.OperatorCommand;
import io.sluice.persistence.runtime.OperatorEntity;
import io.sluice.persistence.runtime.RuntimeSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * INTERNAL API: operator instances as sharded entities: one shard per instance (shard id = entity
 * id {@code job/operator/index}), placed by {@link OperatorAllocationStrategy} (which also acts on
 * the {@link RouteRefresh} requests of this node), running on the
 * {@code sluice.operator-dispatcher} so that a slow sink never starves the cluster's own actors.
 */
public final class OperatorSharding {
  public static final EntityTypeKey<OperatorCommand> TYPE_KEY = EntityTypeKey.create(OperatorCommand.class,
      "sluice-operator");

  private OperatorSharding() {}

  public static void init(ActorSystem<?> system, ShardedPeers peers, RuntimeSettings settings,
      RouteRefresh refresh, RunningJobs jobs, OperatorAllocationStrategy.Balance balance, StatePrefetch prefetch) {
    Cluster cluster = Cluster.get(system);
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY,
            ctx -> OperatorEntity.create(InstanceId.parse(ctx.getEntityId()), peers, settings))
        .withMessageExtractor(new ShardingMessageExtractor<ShardingEnvelope<OperatorCommand>, OperatorCommand>() {
          @Override
          public String entityId(ShardingEnvelope<OperatorCommand> envelope) {
            return envelope.entityId();
          }

          @Override
          public String shardId(String entityId) {
            return entityId;
          }

          @Override
          public OperatorCommand unwrapMessage(ShardingEnvelope<OperatorCommand> envelope) {
            return envelope.message();
          }
        })
        .withAllocationStrategy(new OperatorAllocationStrategy(refresh,
            () -> cluster.state().getUnreachable().isEmpty(), () -> allUp(cluster), jobs, balance,
            prefetch))
        .withStopMessage(OperatorCommand.HandOff.INSTANCE)
        .withEntityProps(DispatcherSelector.fromConfig("sluice.operator-dispatcher")));
  }

  private static boolean allUp(Cluster cluster) {
    for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
      if (m.status() != org.apache.pekko.cluster.MemberStatus.up()) {
        return false;
      }
    }
    return true;
  }
}
