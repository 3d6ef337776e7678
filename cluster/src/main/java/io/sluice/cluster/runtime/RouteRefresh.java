package io.sluice.cluster.runtime;

import io.sluice.cluster.internal.CborMessage;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * INTERNAL API: requests to refresh the routes to operator instances, from any node to the shard
 * coordinator, wherever it runs.
 *
 * <p>Why: a node's shard region caches where each shard lives and forgets an entry only when it
 * sees the old home terminate. When a node is killed and restarted on the same address within
 * seconds, a region can miss that, and keep sending one instance's messages to the dead
 * incarnation forever (seen in the 10-minute soak: one channel silent until the job stalled).
 * An instance whose resends go unanswered for {@code sluice.runtime.route-stale-after} asks here
 * for fresh routes; {@link OperatorAllocationStrategy} then rebalances the shards named. A
 * rebalance makes the coordinator tell every region to drop its entry for the shard before the
 * shard is handed off and placed again: the stale entry is gone wherever it was, and the
 * instances recover from their journal as after any move.
 *
 * <p>How: each node runs one actor, registered with the receptionist. A request is sent to all of
 * them, and each keeps it in this node-local table; only the node of the shard coordinator acts on
 * it, and a request not acted on within {@link #EXPIRES_AFTER_NANOS} is dropped.
 */
public final class RouteRefresh {
  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "sluice-route-refresh");
  /** A request older than this is dropped rather than acted on (by a coordinator that moved late). */
  static final long EXPIRES_AFTER_NANOS = 60_000_000_000L;
  /**
   * Requests for a shard that arrive this soon after it was moved are dropped: they describe a
   * silence from before the move (a sender needs route-stale-after, 30 s by default, of silence to
   * report). So a shard moves at most once in this time, however many senders report it.
   */
  static final long QUIET_AFTER_MOVE_NANOS = 30_000_000_000L;

  /** Messages of the actor. */
  public interface Command {}

  /** Refresh the routes to these shards; from {@code node}, for the log. Sent between nodes. */
  public record Request(List<String> shardIds, String node) implements Command, CborMessage {}

  private record Broadcast(Request request) implements Command, NoSerializationVerificationNeeded {}

  private record Listed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {}

  private final Map<String, Long> requested = new ConcurrentHashMap<>();
  /** When this node's strategy last moved each shard (only on the coordinator's node). */
  private final Map<String, Long> movedAt = new ConcurrentHashMap<>();
  private final LongSupplier clock;
  private volatile ActorRef<Command> actor;

  public RouteRefresh() {
    this(System::nanoTime);
  }

  RouteRefresh(LongSupplier clock) {
    this.clock = clock;
  }

  /** Starts this node's actor. */
  public void start(ActorSystem<?> system) {
    actor = system.systemActorOf(behavior(), "sluice-route-refresh", Props.empty());
  }

  /** Asks every node (the one of the shard coordinator among them) to refresh the routes to these shards. */
  public void request(List<String> shardIds, String fromNode) {
    ActorRef<Command> a = actor;
    Request r = new Request(List.copyOf(shardIds), fromNode);
    if (a != null) {
      a.tell(new Broadcast(r));
    } else {
      add(r);
    }
  }

  void add(Request r) {
    long now = clock.getAsLong();
    requested.values().removeIf(t -> now - t > EXPIRES_AFTER_NANOS);
    movedAt.values().removeIf(t -> now - t > QUIET_AFTER_MOVE_NANOS);
    for (String shard : r.shardIds()) {
      if (!movedAt.containsKey(shard)) { // entries older than the quiet time were just removed
        requested.put(shard, now);
      }
    }
  }

  /**
   * Takes the requested shards to rebalance now: those that are allocated and not already moving.
   * A shard that is not allocated cannot be rebalanced (the coordinator ignores it); its request
   * waits until a message places the shard, or expires. Those already moving wait too.
   */
  Set<String> take(Set<String> allocated, Set<String> inProgress) {
    long now = clock.getAsLong();
    Set<String> out = new HashSet<>();
    for (Map.Entry<String, Long> e : requested.entrySet()) {
      String shard = e.getKey();
      if (now - e.getValue() > EXPIRES_AFTER_NANOS) {
        requested.remove(shard, e.getValue());
      } else if (allocated.contains(shard) && !inProgress.contains(shard)
          && requested.remove(shard, e.getValue())) {
        movedAt.put(shard, now);
        out.add(shard);
      }
    }
    return out;
  }

  boolean isEmpty() {
    return requested.isEmpty();
  }

  private Behavior<Command> behavior() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY, listings));
      Set<ActorRef<Command>> nodes = new HashSet<>();
      nodes.add(ctx.getSelf());
      return Behaviors.receive(Command.class)
          .onMessage(Listed.class, l -> {
            nodes.clear();
            nodes.addAll(l.listing().getServiceInstances(KEY));
            nodes.add(ctx.getSelf());
            return Behaviors.same();
          })
          .onMessage(Broadcast.class, b -> {
            ctx.getLog().info("asking {} node(s) for fresh routes to {}", nodes.size(), b.request().shardIds());
            for (ActorRef<Command> node : nodes) {
              node.tell(b.request());
            }
            return Behaviors.same();
          })
          .onMessage(Request.class, r -> {
            add(r);
            return Behaviors.same();
          })
          .build();
    });
  }
}
