package io.sluice.persistence.state;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * INTERNAL API: stored key-group versions read ahead of a recovery, held until the recovering
 * instance reads them (then they leave), or for at most {@code ttl}, and at most {@code maxBytes}
 * in all.
 *
 * <p>Only versions that a saved snapshot names are read ahead, and they cannot change: a capture's
 * version is the journal's sequence number when it starts, the snapshot that names it comes with a
 * later event, and every later incarnation recovers from that snapshot or a newer one, so it writes
 * only versions above it. (A failed capture retried before the next event writes the same version
 * again, before any snapshot names it; chunks the failed one wrote past the retry's count are
 * ignored.) A version with missing chunks is not served.
 *
 * <p>Per key group the read-ahead and the recovery must not both read Cassandra: a key group the
 * recovery asks for first is claimed (the read-ahead skips it), and one being read ahead makes the
 * recovery wait for that read. Thread-safe.
 */
final class PrefetchedChunks {
  private record GroupKey(String owner, int keyGroup) {}

  /** A key group's versions read ahead; {@code done} completes when the read ended (or was given up). */
  private static final class Group {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final Map<Long, Map<Integer, ByteBuffer>> versions = new HashMap<>();
    final long startedNanos;
    boolean claimed;
    long bytes;

    Group(long startedNanos, boolean claimed) {
      this.startedNanos = startedNanos;
      this.claimed = claimed;
    }
  }

  private final Map<GroupKey, Group> groups = new HashMap<>();
  private final Map<String, Integer> activeOwners = new HashMap<>();
  private final long maxBytes;
  private final long ttlNanos;
  private final LongSupplier nanos;
  private long held;

  PrefetchedChunks(long maxBytes, long ttlNanos, LongSupplier nanos) {
    this.maxBytes = maxBytes;
    this.ttlNanos = ttlNanos;
    this.nanos = nanos;
  }

  long maxBytes() {
    return maxBytes;
  }

  long ttlNanos() {
    return ttlNanos;
  }

  /** What is held now, after dropping what expired. */
  synchronized long heldBytes() {
    expire();
    return held;
  }

  /** A read-ahead of {@code owner}'s key groups starts: recoveries' reads claim the groups they take first. */
  synchronized void startOwner(String owner) {
    activeOwners.merge(owner, 1, Integer::sum);
  }

  synchronized void endOwner(String owner) {
    Integer left = activeOwners.computeIfPresent(owner, (k, n) -> n > 1 ? n - 1 : null);
    if (left == null) { // another read-ahead of the owner (another instance) still needs its claims
      groups.entrySet().removeIf(e -> e.getKey().owner().equals(owner) && e.getValue().claimed);
    }
  }

  /**
   * Starts reading a key group ahead: false if a recovery claimed it, it is held already or the
   * bound is reached (then the recovery reads it from Cassandra).
   */
  synchronized boolean begin(String owner, int keyGroup) {
    expire();
    if (held >= maxBytes || groups.containsKey(new GroupKey(owner, keyGroup))) {
      return false;
    }
    groups.put(new GroupKey(owner, keyGroup), new Group(nanos.getAsLong(), false));
    return true;
  }

  /** Holds one chunk read ahead: false once the bound is reached (the key group is then given up). */
  synchronized boolean add(String owner, int keyGroup, long version, int chunk, ByteBuffer data) {
    Group g = groups.get(new GroupKey(owner, keyGroup));
    if (g == null || g.done.isDone()) {
      return false;
    }
    if (held + data.remaining() > maxBytes) {
      drop(g);
      return false;
    }
    g.versions.computeIfAbsent(version, v -> new HashMap<>()).put(chunk, data);
    g.bytes += data.remaining();
    held += data.remaining();
    return true;
  }

  /** The read-ahead of a key group ended (read whole, given up or failed). */
  void end(String owner, int keyGroup, boolean ok) {
    Group g;
    synchronized (this) {
      g = groups.get(new GroupKey(owner, keyGroup));
      if (g != null && !ok) {
        drop(g);
      }
    }
    if (g != null) {
      g.done.complete(null);
    }
  }

  /**
   * What a recovery's read of a version should wait for before {@link #take}: a read-ahead of its
   * key group in progress, or nothing (null). A key group not read ahead while a read-ahead of its
   * owner runs is claimed here, so that the read-ahead leaves it to this read.
   */
  synchronized CompletableFuture<Void> awaitGroup(String owner, int keyGroup) {
    GroupKey k = new GroupKey(owner, keyGroup);
    Group g = groups.get(k);
    if (g == null) {
      if (activeOwners.containsKey(owner)) {
        Group claimed = new Group(nanos.getAsLong(), true);
        claimed.done.complete(null); // nothing to wait for: the recovery reads it
        groups.put(k, claimed);
      }
      return null;
    }
    return g.done.isDone() ? null : g.done;
  }

  /** The {@code count} chunks of a version read ahead, which leave the cache; null unless all are held. */
  synchronized List<ByteBuffer> take(String owner, int keyGroup, long version, int count) {
    expire();
    Group g = groups.get(new GroupKey(owner, keyGroup));
    if (g == null || !g.done.isDone()) {
      return null;
    }
    Map<Integer, ByteBuffer> chunks = g.versions.remove(version);
    if (g.versions.isEmpty() && !g.claimed) {
      groups.remove(new GroupKey(owner, keyGroup)); // all taken: a later death may read it ahead again
    }
    if (chunks == null) {
      return null;
    }
    long bytes = 0;
    for (ByteBuffer b : chunks.values()) {
      bytes += b.remaining();
    }
    g.bytes -= bytes;
    held -= bytes;
    // chunks past count are those of a failed capture retried at the same version: not part of it
    List<ByteBuffer> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ByteBuffer b = chunks.get(i);
      if (b == null) {
        return null;
      }
      out.add(b);
    }
    return out;
  }

  private void drop(Group g) {
    held -= g.bytes;
    g.bytes = 0;
    g.versions.clear();
  }

  /** Drops what is older than the ttl; a read-ahead still running then is given up (its waiters read). */
  private void expire() {
    long now = nanos.getAsLong();
    List<Group> expired = new ArrayList<>();
    for (Iterator<Group> it = groups.values().iterator(); it.hasNext();) {
      Group g = it.next();
      if (now - g.startedNanos > ttlNanos) {
        drop(g);
        it.remove();
        expired.add(g);
      }
    }
    expired.forEach(g -> g.done.complete(null)); // after the loop: a waiter may come back here at once
  }
}
