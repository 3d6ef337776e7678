package io.sluice.persistence.runtime;

import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Test double of Cluster Sharding in one JVM: routes a command to the entity of an instance id,
 * spawning it on first use and again after it stopped (as sharding starts an entity on a message).
 */
final class LocalShard {
  record Envelope(InstanceId target, OperatorCommand command) implements org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** Stops an entity as a crash would (no graceful step), to test recovery. */
  record Kill(InstanceId target) implements org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  static Behavior<Object> create(java.util.function.Function<InstanceId, Behavior<OperatorCommand>> factory) {
    return Behaviors.setup(ctx -> {
      Map<String, ActorRef<OperatorCommand>> live = new HashMap<>();
      Map<ActorRef<?>, String> names = new HashMap<>();
      int[] generation = {0};
      return Behaviors.receive(Object.class)
          .onMessage(Envelope.class, e -> {
            String key = e.target().entityId();
            ActorRef<OperatorCommand> ref = live.get(key);
            if (ref == null) {
              ref = ctx.spawn(factory.apply(e.target()), key.replace('/', '~') + "-" + (generation[0]++));
              ctx.watch(ref);
              live.put(key, ref);
              names.put(ref, key);
            }
            ref.tell(e.command());
            return Behaviors.same();
          })
          .onMessage(Kill.class, k -> {
            ActorRef<OperatorCommand> ref = live.remove(k.target().entityId());
            if (ref != null) {
              names.remove(ref);
              ctx.stop(ref);
            }
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            String key = names.remove(t.getRef());
            if (key != null && (Object) live.get(key) == t.getRef()) {
              live.remove(key);
            }
            return Behaviors.same();
          })
          .build();
    });
  }
}
