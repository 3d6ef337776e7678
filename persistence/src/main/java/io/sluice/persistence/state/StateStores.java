package io.sluice.persistence.state;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.sluice.core.internal.engine.InMemoryStateStore;
import io.sluice.core.internal.engine.StateStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.persistence.cassandra.cleanup.Cleanup;
import org.apache.pekko.persistence.cassandra.cleanup.CleanupSettings;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import scala.jdk.javaapi.FutureConverters;

/**
 * INTERNAL API: a node's {@link StateStore} for stored keyed state, and the retention of its
 * snapshots and events, from {@code sluice.state} (see reference.conf): in Cassandra next to the
 * journal (sharing its driver session), or in memory for unit tests on the in-memory journal.
 */
public final class StateStores implements Extension {
  private static final Id ID = new Id();

  private final StateStore store;
  private final Retention retention;
  private final org.apache.pekko.serialization.Serialization serialization;

  /**
   * Deletes the snapshots of an instance but the newest {@code keep}, and with {@code events} the
   * events up to the oldest kept.
   */
  public interface Retention {
    CompletionStage<?> keepNewest(String persistenceId, int keep, boolean events);
  }

  private StateStores(ActorSystem<?> system) {
    Config c = system.settings().config();
    serialization = org.apache.pekko.serialization.SerializationExtension.get(
        org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
    String kind = c.getString("sluice.state.store");
    if (kind.equals("memory")) {
      store = new InMemoryStateStore();
      retention = (pid, keep, events) -> CompletableFuture.completedFuture(null);
    } else if (kind.equals("cassandra")) {
      String plugin = "pekko.persistence.cassandra";
      store = new CassandraStateStore(CassandraSessionRegistry.get(system).sessionFor(plugin).underlying(),
          c.getString("sluice.cassandra.keyspace"), c.getBoolean("sluice.cassandra.schema-autocreate"),
          c.getInt("sluice.cassandra.replication-factor"), c.getDuration("sluice.state.timeout"),
          c.getInt("sluice.state.max-in-flight"), new CassandraStateStore.Prefetch(
              (long) (Runtime.getRuntime().maxMemory() * c.getDouble("sluice.state.prefetch.max-heap-fraction")),
              c.getDuration("sluice.state.prefetch.ttl"), c.getString(plugin + ".snapshot.table")));
      // The plugin's cleanup is a dry run by default (it only logs what it would delete); Sluice's
      // retention is the job's setting (deleteEventsOnSnapshot, keepSnapshots), so it runs for real.
      Cleanup cleanup = new Cleanup(system, new CleanupSettings(c.getConfig(plugin + ".cleanup")
          .withValue("dry-run", ConfigValueFactory.fromAnyRef(false))));
      boolean deleteEvents = c.getBoolean("sluice.state.delete-events");
      retention = (pid, keep, events) -> events && deleteEvents
          ? FutureConverters.asJava(cleanup.cleanupBeforeSnapshot(pid, keep))
          : FutureConverters.asJava(cleanup.deleteBeforeSnapshot(pid, keep));
    } else {
      throw new IllegalArgumentException("sluice.state.store must be 'cassandra' or 'memory', was '" + kind + "'");
    }
  }

  public static StateStores get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private static final class Id extends ExtensionId<StateStores> {
    @Override
    public StateStores createExtension(ActorSystem<?> system) {
      return new StateStores(system);
    }
  }

  public StateStore store() {
    return store;
  }

  /**
   * Reads ahead the stored state of instance {@code persistenceId} (of operator {@code owner}),
   * which is expected to recover on this node: the versions its newest snapshot names, as
   * {@code partsOf} finds them in the snapshot's bytes (see {@link CassandraStateStore#prefetch}).
   * Nothing without a snapshot, or on the in-memory store.
   */
  public CompletionStage<CassandraStateStore.PrefetchResult> prefetch(String persistenceId, String owner,
      java.util.function.Function<byte[], java.util.List<io.sluice.core.internal.exec.ChunkedState.Part>> partsOf) {
    if (!(store instanceof CassandraStateStore cs)) {
      return CompletableFuture.completedFuture(new CassandraStateStore.PrefetchResult(0, 0, 0, -1));
    }
    return cs.newestSnapshot(persistenceId).thenCompose(snap -> {
      if (snap == null) {
        return CompletableFuture.completedFuture(new CassandraStateStore.PrefetchResult(0, 0, 0, -1));
      }
      Object o = serialization.deserialize(snap.bytes(), snap.serializerId(), snap.manifest()).get();
      if (!(o instanceof io.sluice.persistence.runtime.InstanceSnapshot i)) {
        throw new IllegalStateException("the newest snapshot of " + persistenceId + " is not an instance's snapshot");
      }
      return cs.prefetch(owner, partsOf.apply(i.bytes()), snap.sequenceNr());
    });
  }

  public Retention retention() {
    return retention;
  }

  /** The timeout of one chunk operation. */
  public static Duration timeout(Config c) {
    return c.getDuration("sluice.state.timeout");
  }
}
