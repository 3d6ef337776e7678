package io.sluice.cluster.runtime;

import io.sluice.cluster.internal.CborMessage;
import io.sluice.core.internal.engine.InstanceEngine;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.plan.LogicalOperator;
import io.sluice.core.internal.plan.Partitioning;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.JobCatalog;
import io.sluice.persistence.runtime.JobRuntime;
import io.sluice.persistence.state.StateStores;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INTERNAL API: reading a dead node's keyed state ahead of its recovery. The shard coordinator's
 * {@link OperatorAllocationStrategy} tells every node where the live instances are (when that
 * changes, and every 10 s). When a node becomes unreachable, each node works out where the
 * strategy will allocate that node's instances once it is downed and removed (the same rule, among
 * the reachable nodes, with the coordinator's own region first among equals, as it will be on the
 * oldest node), and reads ahead the stored key groups of those that will come to it
 * ({@link StateStores#prefetch}). The recovery then takes them from memory. Detecting, downing and
 * removing a node takes seconds (about 4-5 s with conf/base.conf) in which the survivors' CPUs are
 * mostly idle: reading ahead moves most of a large recovery's reads into that time. Every node
 * decides for itself, so this works when the coordinator's node is the one that died.
 *
 * <p>Reading ahead is only an optimisation: a wrong guess (the instance goes elsewhere, the node
 * comes back) costs one read of its state, held until the recovery takes it or for at most
 * {@code sluice.state.prefetch.ttl}, within {@code sluice.state.prefetch.max-heap-fraction} of the
 * heap. What is read ahead cannot differ from what the recovery would read (see
 * {@code PrefetchedChunks}).
 */
public final class StatePrefetch implements OperatorAllocationStrategy.Placement {
  private static final Logger log = LoggerFactory.getLogger(StatePrefetch.class);
  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "sluice-state-prefetch");

  /** Messages of the actor. */
  public interface Command {}

  /** Where the live instances are: each node's address and its shard ids. Sent between nodes. */
  public record Placement(Map<String, List<String>> byNode) implements Command, CborMessage {}

  private record Publish(Map<Address, List<String>> byRegion) implements Command, NoSerializationVerificationNeeded {}

  private record Listed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {}

  private record Reachability(ClusterEvent.ReachabilityEvent event) implements Command,
      NoSerializationVerificationNeeded {}

  private volatile ActorRef<Command> actor;
  private volatile Address self;
  /** The placement last told, for {@link #lastTold}: written by the actor, read by the shard coordinator. */
  private volatile Map<Address, List<String>> told = Map.of();

  /** Starts this node's actor. */
  public void start(ActorSystem<?> system) {
    self = Cluster.get(system).selfMember().address();
    actor = system.systemActorOf(behavior(), "sluice-state-prefetch", Props.empty());
  }

  @Override
  public Map<Address, List<String>> lastTold() {
    return told;
  }

  @Override
  public Address self() {
    return self;
  }

  /** Tells every node where the live instances are (from the shard coordinator's strategy). */
  @Override
  public void placed(Map<Address, List<String>> byRegion) {
    ActorRef<Command> a = actor;
    if (a != null) {
      a.tell(new Publish(byRegion));
    }
  }

  private Behavior<Command> behavior() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY, listings));
      Cluster cluster = Cluster.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new),
          ClusterEvent.ReachabilityEvent.class));
      Address self = cluster.selfMember().address();
      Set<ActorRef<Command>> nodes = new HashSet<>();
      Map<Address, List<String>> placement = new HashMap<>();
      Map<String, Address> asked = new HashMap<>(); // shards read ahead, and the unreachable node they lived on
      return Behaviors.receive(Command.class)
          .onMessage(Listed.class, l -> {
            nodes.clear();
            nodes.addAll(l.listing().getServiceInstances(KEY));
            return Behaviors.same();
          })
          .onMessage(Publish.class, p -> {
            Map<String, List<String>> byNode = new TreeMap<>();
            p.byRegion().forEach((a, shards) -> byNode.put((a.hasGlobalScope() ? a : self).toString(), shards));
            Placement msg = new Placement(byNode);
            nodes.forEach(n -> n.tell(msg));
            if (nodes.stream().noneMatch(n -> n.equals(ctx.getSelf()))) {
              ctx.getSelf().tell(msg);
            }
            return Behaviors.same();
          })
          .onMessage(Placement.class, p -> {
            placement.clear();
            p.byNode().forEach((a, shards) -> placement.put(AddressFromURIString.parse(a), List.copyOf(shards)));
            told = Map.copyOf(placement);
            return Behaviors.same();
          })
          .onMessage(Reachability.class, r -> {
            // once per shard and unreachable node: a node that was removed or came back is forgotten
            Set<Address> unreachable = new HashSet<>();
            cluster.state().getUnreachable().forEach(m -> unreachable.add(m.address()));
            if (r.event() instanceof ClusterEvent.UnreachableMember u) {
              unreachable.add(u.member().address()); // whether or not the cluster's state has it yet
            }
            asked.values().removeIf(a -> !unreachable.contains(a));
            if (r.event() instanceof ClusterEvent.UnreachableMember u) {
              Address dead = u.member().address();
              for (String shard : comingHere(cluster, self, dead, placement)) {
                if (asked.putIfAbsent(shard, dead) == null) {
                  readAhead(ctx, shard, dead.toString());
                }
              }
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  /**
   * The instances of {@code dead} that the shard coordinator will allocate to {@code self} once
   * {@code dead} is removed: what {@link OperatorAllocationStrategy#allocateShard} chooses among the
   * reachable nodes, the coordinator's (the oldest node's) own region first, as its local region
   * sorts before the remote ones.
   */
  static List<String> comingHere(Cluster cluster, Address self, Address dead, Map<Address, List<String>> placement) {
    List<String> orphans = placement.get(dead);
    if (orphans == null || orphans.isEmpty()) {
      return List.of();
    }
    Set<Address> unreachable = new HashSet<>();
    cluster.state().getUnreachable().forEach(m -> unreachable.add(m.address()));
    unreachable.add(dead);
    Member oldest = null;
    Address lowest = null;
    int members = 0;
    int reachable = 0;
    for (Member m : cluster.state().getMembers()) {
      members++;
      lowest = lowest == null || Member.addressOrdering().compare(m.address(), lowest) < 0 ? m.address() : lowest;
      if (m.status() == MemberStatus.up() && !unreachable.contains(m.address())) {
        reachable++;
        oldest = oldest == null || m.isOlderThan(oldest) ? m : oldest;
      }
    }
    // keep-majority downs the minority, and of two halves the one without the lowest address
    if (2 * reachable < members || 2 * reachable == members && unreachable.contains(lowest)) {
      return List.of();
    }
    return comingTo(self, oldest == null ? null : oldest.address(), orphans, placement, unreachable);
  }

  /** {@link #comingHere} once the cluster's state is read: which of {@code orphans} go to {@code self}. */
  static List<String> comingTo(Address self, Address coordinator, List<String> orphans,
      Map<Address, List<String>> placement, Set<Address> unreachable) {
    Map<String, List<String>> survivors = new TreeMap<>();
    for (Map.Entry<Address, List<String>> e : placement.entrySet()) {
      if (!unreachable.contains(e.getKey())) {
        survivors.put(regionKey(e.getKey(), coordinator), e.getValue());
      }
    }
    String here = regionKey(self, coordinator);
    List<String> out = new ArrayList<>();
    OperatorAllocationStrategy.targets(survivors, new TreeSet<>(orphans), s -> true).forEach((shard, to) -> {
      if (to.equals(here)) {
        out.add(shard);
      }
    });
    return out;
  }

  /** Orders regions as the coordinator does: its local region (no host in its path) before the others. */
  private static String regionKey(Address a, Address coordinator) {
    return (a.equals(coordinator) ? "0" : "1") + a;
  }

  private static void readAhead(ActorContext<Command> ctx, String shard, String deadNode) {
    InstanceId id;
    try {
      id = InstanceId.parse(shard);
    } catch (IllegalArgumentException e) {
      return;
    }
    JobRuntime job = JobCatalog.get(ctx.getSystem()).get(id.jobId()).orElse(null);
    PhysicalPlan.PhysicalOperator op = job == null ? null : job.plan().operator(id.operator()).orElse(null);
    if (op == null) { // the job is not built on this node: its instance's recovery reads it all itself
      ctx.getLog().debug("{}: not reading ahead, its job is not known on this node", shard);
      return;
    }
    LogicalOperator head = job.plan().logical().get(op.head());
    if (head.inputs().size() != 1 || !(head.input().partitioning() instanceof Partitioning.Keyed)) {
      return; // no keyed state stored by key group
    }
    int operator = job.operatorIndex(id.operator());
    long t0 = System.nanoTime();
    StateStores.get(ctx.getSystem()).prefetch("sluice-op|" + id.entityId(), id.jobId() + "/" + id.operator(),
        snapshot -> InstanceEngine.storedParts(OperatorInstance.create(job.exec(), operator, id.index()), snapshot))
        .whenComplete((r, err) -> {
          if (err != null) {
            log.info("{}: reading its stored state ahead failed ({}); its recovery reads it", shard, err.toString());
          } else if (r.snapshotSeq() >= 0) {
            log.info("{}: read {} bytes of its stored state ahead (key groups {}, {} left to its recovery; its"
                + " snapshot at {}) in {} ms, as {} is unreachable", shard, r.bytes(), r.keyGroups(),
                r.skippedGroups(), r.snapshotSeq(), (System.nanoTime() - t0) / 1_000_000, deadNode);
          }
        });
  }
}
