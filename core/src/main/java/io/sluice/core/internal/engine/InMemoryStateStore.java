package io.sluice.core.internal.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * INTERNAL API: a {@link StateStore} in memory, for the test driver and unit tests. Completes
 * every operation at once, except reads while {@link #holdReads held} (a slow store); thread-safe.
 */
public final class InMemoryStateStore implements StateStore {
  private final Map<String, NavigableMap<Long, List<byte[]>>> versions = new ConcurrentHashMap<>();
  /** While reads are held: completes when they are released. */
  private CompletableFuture<Void> readGate;

  /** Reads complete only after {@link #releaseReads}: a store that is slow to read (tests). */
  public synchronized void holdReads() {
    if (readGate == null) {
      readGate = new CompletableFuture<>();
    }
  }

  /** Completes the reads held, and those that follow at once. */
  public void releaseReads() {
    CompletableFuture<Void> gate;
    synchronized (this) {
      gate = readGate;
      readGate = null;
    }
    if (gate != null) {
      gate.complete(null); // outside the lock: the reads' continuations may come back here
    }
  }

  private NavigableMap<Long, List<byte[]>> of(String owner, int keyGroup) {
    return versions.computeIfAbsent(owner + "#" + keyGroup, k -> new TreeMap<>());
  }

  @Override
  public synchronized CompletionStage<Void> write(String owner, int keyGroup, long version, List<byte[]> chunks) {
    of(owner, keyGroup).put(version, List.copyOf(chunks));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletionStage<List<byte[]>> read(String owner, int keyGroup, long version, int count) {
    List<byte[]> chunks = of(owner, keyGroup).get(version);
    if (chunks == null || chunks.size() < count) {
      return CompletableFuture.failedFuture(new IllegalStateException("version " + version + " of key group "
          + keyGroup + " of " + owner + " is not stored" + (chunks == null ? "" : " in full")));
    }
    List<byte[]> read = new ArrayList<>(chunks.subList(0, count));
    return readGate == null ? CompletableFuture.completedFuture(read) : readGate.thenApply(v -> read);
  }

  @Override
  public synchronized CompletionStage<Void> deleteBelow(String owner, int keyGroup, long version) {
    of(owner, keyGroup).headMap(version, false).clear();
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletionStage<Void> deleteAbove(String owner, int keyGroup, long version) {
    of(owner, keyGroup).tailMap(version, false).clear();
    return CompletableFuture.completedFuture(null);
  }

  /** Stored versions over all owners and key groups. */
  public synchronized int versionCount() {
    int n = 0;
    for (NavigableMap<Long, List<byte[]>> m : versions.values()) {
      n += m.size();
    }
    return n;
  }

  /** Bytes stored over all owners and key groups. */
  public synchronized long bytes() {
    long n = 0;
    for (NavigableMap<Long, List<byte[]>> m : versions.values()) {
      for (List<byte[]> chunks : m.values()) {
        for (byte[] c : chunks) {
          n += c.length;
        }
      }
    }
    return n;
  }
}
