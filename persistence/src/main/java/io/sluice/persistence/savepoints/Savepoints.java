package io.sluice.persistence.savepoints;

import com.typesafe.config.Config;
import io.sluice.core.internal.engine.InstanceEngine;
import io.sluice.core.internal.engine.StateStore;
import io.sluice.core.internal.exec.OperatorSavepoint;
import io.sluice.core.internal.exec.SavepointFormat;
import io.sluice.persistence.jars.JobJars;
import io.sluice.persistence.state.StateStores;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * INTERNAL API: a node's savepoints: their {@link SavepointCatalog} and their operators' parts in
 * the state store. A part (a key group, or a source split) is stored at version 0 of owner
 * {@link SavepointInfo#owner}, part number as the key group, in chunks of
 * {@link SavepointFormat#CHUNK_BYTES}; so a restoring instance reads the parts of its own range
 * only, and no read or write comes near Cassandra's limits.
 */
public final class Savepoints implements Extension {
  private static final Id ID = new Id();

  private final SavepointCatalog catalog;
  private final StateStore store;

  private Savepoints(ActorSystem<?> system) {
    Config c = system.settings().config();
    String kind = c.getString("sluice.state.store");
    this.store = StateStores.get(system).store();
    if (kind.equals("memory")) {
      catalog = new InMemorySavepointCatalog();
    } else {
      catalog = new CassandraSavepointCatalog(() -> JobJars.sessionAfterJournal(system),
          c.getString("sluice.cassandra.keyspace"), c.getBoolean("sluice.cassandra.schema-autocreate"),
          StateStores.timeout(c));
    }
  }

  public static Savepoints get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private static final class Id extends ExtensionId<Savepoints> {
    @Override
    public Savepoints createExtension(ActorSystem<?> system) {
      return new Savepoints(system);
    }
  }

  public SavepointCatalog catalog() {
    return catalog;
  }

  /** Stores part {@code part} (a key group, or a split) of operator {@code operator} in savepoint {@code id}. */
  public CompletionStage<Void> writePart(String id, String operator, int part, byte[] bytes) {
    return store.write(SavepointInfo.owner(id, operator), part, 0, InstanceEngine.chunks(bytes,
        SavepointFormat.CHUNK_BYTES));
  }

  /** Reads the parts {@code [from, to)} of operator {@code operator} of savepoint {@code id}, as its header lists them. */
  public CompletionStage<OperatorSavepoint> readParts(String id, String operator, SavepointFormat.Header header,
      int from, int to) {
    String owner = SavepointInfo.owner(id, operator);
    SortedMap<Integer, Long> wanted = header.parts().subMap(from, Math.max(from, to));
    List<CompletableFuture<Void>> reads = new ArrayList<>(wanted.size());
    TreeMap<Integer, byte[]> read = new TreeMap<>();
    for (Map.Entry<Integer, Long> e : wanted.entrySet()) {
      reads.add(store.readWhole(owner, e.getKey(), 0, SavepointFormat.chunkCount(e.getValue())).thenAccept(bytes -> {
        synchronized (read) {
          read.put(e.getKey(), bytes);
        }
      }).toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0])).thenApply(v -> header.with(read));
  }

  /** Removes the parts of operator {@code operator} that {@code header} lists. */
  public CompletionStage<Void> deleteParts(String id, String operator, SavepointFormat.Header header) {
    String owner = SavepointInfo.owner(id, operator);
    List<CompletableFuture<Void>> deletes = new ArrayList<>();
    for (int part : header.parts().keySet()) {
      deletes.add(store.deleteBelow(owner, part, 1).toCompletableFuture());
    }
    return CompletableFuture.allOf(deletes.toArray(new CompletableFuture<?>[0]));
  }

  /** Deletes savepoint {@code info}: its description first (it is gone at once), then its parts. */
  public CompletionStage<Void> delete(SavepointInfo info) {
    return catalog.delete(info.id()).thenCompose(v -> {
      List<CompletableFuture<Void>> parts = new ArrayList<>();
      info.headers().forEach((op, h) -> parts.add(deleteParts(info.id(), op,
          SavepointFormat.readHeader(h, "savepoint " + info.id() + ", operator '" + op + "'")).toCompletableFuture()));
      return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]));
    });
  }
}
