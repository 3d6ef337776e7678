package io.sluice.persistence.savepoints;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** INTERNAL API: a {@link SavepointCatalog} in memory, for tests and the in-memory journal. */
public final class InMemorySavepointCatalog implements SavepointCatalog {
  private final Map<String, SavepointInfo> infos = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Void> put(SavepointInfo info) {
    infos.put(info.id(), info);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Optional<SavepointInfo>> info(String id) {
    return CompletableFuture.completedFuture(Optional.ofNullable(infos.get(id)));
  }

  @Override
  public CompletionStage<List<SavepointInfo>> list() {
    List<SavepointInfo> l = new ArrayList<>(infos.values());
    l.sort(Comparator.comparingLong(SavepointInfo::createdMillis).reversed());
    return CompletableFuture.completedFuture(l);
  }

  @Override
  public CompletionStage<Void> delete(String id) {
    infos.remove(id);
    return CompletableFuture.completedFuture(null);
  }
}
