package io.sluice.persistence.jars;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link JarStore} in this JVM's memory, for unit tests on the in-memory journal: lost with the JVM. */
public final class InMemoryJarStore implements JarStore {
  private final Map<String, JarInfo> infos = new ConcurrentHashMap<>();
  private final Map<String, List<byte[]>> data = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Void> put(JarInfo info, List<byte[]> chunks) {
    data.put(info.id(), List.copyOf(chunks));
    infos.put(info.id(), info);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Optional<JarInfo>> info(String id) {
    return CompletableFuture.completedFuture(Optional.ofNullable(infos.get(id)));
  }

  @Override
  public CompletionStage<List<JarInfo>> list() {
    List<JarInfo> all = new ArrayList<>(infos.values());
    all.sort(Comparator.comparingLong(JarInfo::uploadedMillis));
    return CompletableFuture.completedFuture(all);
  }

  @Override
  public CompletionStage<List<byte[]>> chunks(JarInfo info) {
    List<byte[]> c = data.get(info.id());
    return c == null ? CompletableFuture.failedFuture(new IllegalStateException("jar " + info.id() + " is gone"))
        : CompletableFuture.completedFuture(c);
  }

  @Override
  public CompletionStage<Void> delete(JarInfo info) {
    infos.remove(info.id());
    data.remove(info.id());
    return CompletableFuture.completedFuture(null);
  }
}
