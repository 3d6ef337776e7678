package io.sluice.persistence.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * INTERNAL API: the meters of one actor system (one node). Instances and the node record into
 * {@link #registry()}, a composite that holds nothing until a node adds the registry that exposes
 * it (Prometheus, at {@code /metrics}); until then, recording costs next to nothing. One per
 * actor system, so that several nodes in one JVM (tests) keep apart.
 */
public final class SluiceMetrics implements Extension {
  private static final Id ID = new Id();
  private final CompositeMeterRegistry registry = new CompositeMeterRegistry();

  private SluiceMetrics() {}

  public static SluiceMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Exposes every meter, recorded before or after, through {@code r} too. */
  public void add(MeterRegistry r) {
    registry.add(r);
  }

  private static final class Id extends ExtensionId<SluiceMetrics> {
    @Override
    public SluiceMetrics createExtension(ActorSystem<?> system) {
      return new SluiceMetrics();
    }
  }
}
