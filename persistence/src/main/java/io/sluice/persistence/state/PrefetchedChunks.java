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
 *
 * <p>Chunks are copied out of the driver's buffers into slabs: arrays of {@link #slabBytes()}, which
 * G1 allocates as humongous objects, outside the young generation. Held in the driver's own 1 MiB
 * arrays, a read-ahead of 1 GB sat in eden and survivor space, and every young collection copied
 * it again: on 2 busy cores one such pause took 2.1 s, long enough for the cluster to down the node
 * that was reading ahead. The bound counts whole slabs (their unused tails too); a slab counts until
 * every chunk in it has left.
 */
final class PrefetchedChunks {
  /** Room for an array's header (16 bytes with compressed class pointers, 24 without). */
  private static final int ARRAY_HEADER_ROOM = 64;

  /**
   * The size of a slab: 16 MiB, or one G1 region if regions are larger (heaps of 64 GB and more),
   * less an array header, so that a slab fills whole regions exactly (a humongous object's last
   * region is not shared) and is at least half a region (so it is humongous). 1 MiB chunks waste
   * at most one chunk's room per slab.
   */
  static int slabBytes() {
    long region = 0;
    try {
      com.sun.management.VMOption o = java.lang.management.ManagementFactory.getPlatformMXBean(
          com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("G1HeapRegionSize");
      region = Long.parseLong(o.getValue());
    } catch (RuntimeException e) { // not HotSpot: no regions to fit
      region = 0;
    }
    return (int) Math.max(16L << 20, Math.min(region, 1L << 30)) - ARRAY_HEADER_ROOM;
  }

  private record GroupKey(String owner, int keyGroup) {}

  /** An array chunks are copied into, one after the other; counted in the bound while any chunk in it is held. */
  private static final class Slab {
    final byte[] bytes;
    int used;
    int live;

    Slab(int capacity) {
      this.bytes = new byte[capacity];
    }
  }

  /** One chunk held: its bytes in a slab. */
  private record Chunk(Slab slab, ByteBuffer data) {}

  /** A key group's versions read ahead; {@code done} completes when the read ended (or was given up). */
  private static final class Group {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final Map<Long, Map<Integer, Chunk>> versions = new HashMap<>();
    final long startedNanos;
    boolean claimed;

    Group(long startedNanos, boolean claimed) {
      this.startedNanos = startedNanos;
      this.claimed = claimed;
    }
  }

  private final Map<GroupKey, Group> groups = new HashMap<>();
  private final Map<String, Integer> activeOwners = new HashMap<>();
  private final long maxBytes;
  private final int slabBytes;
  private final long ttlNanos;
  private final LongSupplier nanos;
  /** The capacity of the slabs that hold a chunk, and of the one being filled. */
  private long held;
  private Slab filling;

  /**
   * {@code slabBytes}: {@link #slabBytes()}, or less in tests; a chunk larger than it gets an array
   * of its own. A bound below one slab makes the slab that small: one slab then holds all there is.
   */
  PrefetchedChunks(long maxBytes, int slabBytes, long ttlNanos, LongSupplier nanos) {
    if (slabBytes <= 0) {
      throw new IllegalArgumentException("slabBytes must be positive, was " + slabBytes);
    }
    this.maxBytes = maxBytes;
    this.slabBytes = (int) Math.max(1, Math.min(slabBytes, maxBytes));
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
    int n = data.remaining();
    boolean fits = filling != null && filling.bytes.length - filling.used >= n;
    if (!fits && held + Math.max(n, slabBytes) > maxBytes) {
      drop(g);
      return false;
    }
    Chunk old = g.versions.computeIfAbsent(version, v -> new HashMap<>()).put(chunk, copy(data, fits));
    if (old != null) { // the same row twice: keep the newer
      release(old);
    }
    return true;
  }

  private Chunk copy(ByteBuffer data, boolean fits) {
    int n = data.remaining();
    Slab s;
    if (fits) {
      s = filling;
    } else {
      s = new Slab(Math.max(n, slabBytes));
      held += s.bytes.length;
      if (n < slabBytes) { // one larger than a slab fills its own array: the slab being filled keeps its room
        filling = s;
      }
    }
    data.duplicate().get(s.bytes, s.used, n);
    ByteBuffer view = ByteBuffer.wrap(s.bytes, s.used, n).slice();
    s.used += n;
    s.live++;
    return new Chunk(s, view);
  }

  /** A chunk leaves: its slab stops counting once it holds none and is not being filled. */
  private void release(Chunk c) {
    Slab s = c.slab();
    if (--s.live == 0) {
      held -= s.bytes.length;
      if (s == filling) {
        filling = null;
      }
    }
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
    Map<Integer, Chunk> chunks = g.versions.remove(version);
    if (g.versions.isEmpty() && !g.claimed) {
      groups.remove(new GroupKey(owner, keyGroup)); // all taken: a later death may read it ahead again
    }
    if (chunks == null) {
      return null;
    }
    chunks.values().forEach(this::release); // the views stay valid: the slab lives while they do
    // chunks past count are those of a failed capture retried at the same version: not part of it
    List<ByteBuffer> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Chunk c = chunks.get(i);
      if (c == null) {
        return null;
      }
      out.add(c.data());
    }
    return out;
  }

  private void drop(Group g) {
    g.versions.values().forEach(v -> v.values().forEach(this::release));
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
