package io.sluice.persistence.state;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.sluice.core.internal.engine.StateStore;
import io.sluice.core.internal.exec.ChunkedState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * INTERNAL API: stored keyed state in Cassandra, one row per chunk:
 *
 * <pre>
 *   CREATE TABLE state_chunks (
 *     owner text, key_group int, version bigint, chunk int, data blob,
 *     PRIMARY KEY ((owner, key_group), version, chunk))
 * </pre>
 *
 * A key group of an operator is one partition holding its stored versions; old versions are
 * removed with one range deletion per key group. Reads and writes are one chunk each (at most
 * {@code chunk-bytes}, 1 MiB by default: far below Cassandra's limits on a single value and
 * message) and at most {@code maxInFlight} run at once per node, so that a recovering node neither
 * floods Cassandra nor holds more than that many chunks in flight.
 *
 * <p>A deleted version that a repair brings back is harmless: instances read only the versions
 * their snapshot names. So the table's {@code gc_grace_seconds} can be short (1 hour), which keeps
 * tombstones from piling up. The table is not compressed: chunks are written once and read back
 * whole by a recovery, which then waits for Cassandra to decompress them.
 */
public final class CassandraStateStore implements StateStore {
  static final String TABLE = "state_chunks";

  private final CompletionStage<CqlSession> session;
  private final String keyspace;
  private final Duration timeout;
  private final int maxInFlight;
  /**
   * The table and its prepared statements. A store first used while Cassandra was down cannot
   * prepare them; CqlTables prepares them again on the next use, where a kept failure would fail
   * every read and write of this node for good (ChaosIT: a keyed instance bounced for 23 s).
   */
  private final io.sluice.persistence.cassandra.CqlTables<Statements> tables;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int inFlight;
  private final PrefetchedChunks prefetched;
  private final String snapshotTable;

  private record Statements(PreparedStatement insert, PreparedStatement select, PreparedStatement deleteBelow,
      PreparedStatement deleteAbove) {}

  /**
   * How much a node may read ahead of recoveries ({@link #prefetch}): at most {@code maxBytes} held,
   * each key group for at most {@code ttl}; and the table of the journal's snapshots (in the same
   * keyspace), which bounds the versions read ahead.
   */
  public record Prefetch(long maxBytes, Duration ttl, String snapshotTable) {
    public static final Prefetch OFF = new Prefetch(0, Duration.ZERO, "snapshots");
  }

  /** What one read-ahead did. */
  public record PrefetchResult(long bytes, int keyGroups, int skippedGroups, long snapshotSeq) {}

  /**
   * @param createSchema create the keyspace (with {@code replicationFactor}, SimpleStrategy) and the
   *     table if they do not exist (development only: production creates them up front)
   */
  public CassandraStateStore(CompletionStage<CqlSession> session, String keyspace, boolean createSchema,
      int replicationFactor, Duration timeout, int maxInFlight) {
    this(session, keyspace, createSchema, replicationFactor, timeout, maxInFlight, Prefetch.OFF);
  }

  public CassandraStateStore(CompletionStage<CqlSession> session, String keyspace, boolean createSchema,
      int replicationFactor, Duration timeout, int maxInFlight, Prefetch prefetch) {
    this.prefetched = new PrefetchedChunks(prefetch.maxBytes(), PrefetchedChunks.slabBytes(), prefetch.ttl().toNanos(),
        System::nanoTime);
    this.snapshotTable = prefetch.snapshotTable();
    this.session = session;
    this.keyspace = keyspace;
    this.timeout = timeout;
    this.maxInFlight = maxInFlight;
    this.tables = new io.sluice.persistence.cassandra.CqlTables<>(() -> session, createSchema
        ? List.of(createKeyspaceCql(keyspace, replicationFactor), createTableCql(keyspace)) : List.of(), this::prepare,
        timeout);
  }

  /** The CQL that creates the table, for production schemas made up front. */
  public static String createTableCql(String keyspace) {
    return "CREATE TABLE IF NOT EXISTS " + keyspace + "." + TABLE + " (owner text, key_group int, version bigint,"
        + " chunk int, data blob, PRIMARY KEY ((owner, key_group), version, chunk)) WITH gc_grace_seconds = 3600"
        + " AND compression = {'enabled': 'false'}";
  }

  private static String createKeyspaceCql(String keyspace, int rf) {
    return "CREATE KEYSPACE IF NOT EXISTS " + keyspace + " WITH replication = {'class': 'SimpleStrategy',"
        + " 'replication_factor': " + rf + "}";
  }

  private CompletionStage<Statements> prepare(CqlSession s) {
    String t = keyspace + "." + TABLE;
    return s.prepareAsync("INSERT INTO " + t + " (owner, key_group, version, chunk, data) VALUES (?, ?, ?, ?, ?)")
        .thenCombine(s.prepareAsync("SELECT data FROM " + t
            + " WHERE owner = ? AND key_group = ? AND version = ? AND chunk = ?"), (ins, sel) -> new Object[] {ins, sel})
        .thenCombine(s.prepareAsync("DELETE FROM " + t + " WHERE owner = ? AND key_group = ? AND version < ?"),
            (a, below) -> new Object[] {a[0], a[1], below})
        .thenCombine(s.prepareAsync("DELETE FROM " + t + " WHERE owner = ? AND key_group = ? AND version > ?"),
            (a, above) -> new Statements((PreparedStatement) a[0], (PreparedStatement) a[1], (PreparedStatement) a[2],
                above));
  }

  /** Runs {@code op} once fewer than {@code maxInFlight} operations run. */
  private <T> CompletionStage<T> limited(Supplier<CompletionStage<T>> op) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable run = () -> {
      CompletionStage<T> f;
      try {
        f = op.get();
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete((v, err) -> {
        release();
        if (err != null) {
          result.completeExceptionally(err);
        } else {
          result.complete(v);
        }
      });
    };
    boolean now;
    synchronized (waiting) {
      now = inFlight < maxInFlight;
      if (now) {
        inFlight++;
      } else {
        waiting.addLast(run);
      }
    }
    if (now) {
      run.run();
    }
    return result;
  }

  private void release() {
    Runnable next;
    synchronized (waiting) {
      next = waiting.pollFirst();
      if (next == null) {
        inFlight--;
      }
    }
    if (next != null) {
      next.run();
    }
  }

  private CompletionStage<AsyncResultSet> execute(java.util.function.Function<Statements,
      com.datastax.oss.driver.api.core.cql.BoundStatement> bind) {
    return tables.execute(bind);
  }

  @Override
  public CompletionStage<Void> write(String owner, int keyGroup, long version, List<byte[]> chunks) {
    List<CompletableFuture<AsyncResultSet>> all = new ArrayList<>(chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      int chunk = i;
      ByteBuffer data = ByteBuffer.wrap(chunks.get(i));
      all.add(limited(() -> execute(st -> st.insert().bind(owner, keyGroup, version, chunk, data)))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  @Override
  public CompletionStage<List<byte[]>> read(String owner, int keyGroup, long version, int count) {
    return readBuffers(owner, keyGroup, version, count).thenApply(buffers -> {
      List<byte[]> out = new ArrayList<>(buffers.size());
      for (ByteBuffer b : buffers) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        out.add(a);
      }
      return out;
    });
  }

  /** One copy, from the driver's buffers (or those read ahead) into the version's array. */
  @Override
  public CompletionStage<byte[]> readWhole(String owner, int keyGroup, long version, int count) {
    return readBuffers(owner, keyGroup, version, count).thenApply(buffers -> {
      long n = 0;
      for (ByteBuffer b : buffers) {
        n += b.remaining();
      }
      if (n > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("version " + version + " of key group " + keyGroup + " of " + owner
            + " has " + n + " bytes, more than one array holds");
      }
      byte[] all = new byte[(int) n];
      int off = 0;
      for (ByteBuffer b : buffers) {
        int len = b.remaining();
        b.duplicate().get(all, off, len);
        off += len;
      }
      return all;
    });
  }

  private CompletionStage<List<ByteBuffer>> readBuffers(String owner, int keyGroup, long version, int count) {
    if (prefetched.maxBytes() <= 0) {
      return readStored(owner, keyGroup, version, count);
    }
    CompletableFuture<Void> ahead = prefetched.awaitGroup(owner, keyGroup);
    if (ahead == null) {
      return takeOrRead(owner, keyGroup, version, count);
    }
    // a read-ahead that takes longer than a read may is not waited for: the recovery reads itself
    return ahead.copy().completeOnTimeout(null, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .thenCompose(v -> takeOrRead(owner, keyGroup, version, count));
  }

  private CompletionStage<List<ByteBuffer>> takeOrRead(String owner, int keyGroup, long version, int count) {
    List<ByteBuffer> held = prefetched.take(owner, keyGroup, version, count);
    return held != null ? CompletableFuture.completedFuture(held) : readStored(owner, keyGroup, version, count);
  }

  /** The chunks as the driver decoded them: each value is a heap buffer of its own. */
  private CompletionStage<List<ByteBuffer>> readStored(String owner, int keyGroup, long version, int count) {
    List<CompletableFuture<ByteBuffer>> all = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int chunk = i;
      all.add(limited(() -> execute(st -> st.select().bind(owner, keyGroup, version, chunk)).thenApply(rs -> {
        Row row = rs.one();
        if (row == null) {
          throw new IllegalStateException("chunk " + chunk + " of version " + version + " of key group " + keyGroup
              + " of " + owner + " is missing from " + keyspace + "." + TABLE);
        }
        return row.getByteBuffer(0);
      })).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
      List<ByteBuffer> out = new ArrayList<>(count);
      for (CompletableFuture<ByteBuffer> f : all) {
        out.add(f.join());
      }
      return out;
    });
  }

  /**
   * The newest snapshot of {@code persistenceId} as the journal's plugin stored it (in this keyspace's
   * snapshot table: its documented schema), or null without one.
   */
  public CompletionStage<StoredSnapshot> newestSnapshot(String persistenceId) {
    SimpleStatement newest = SimpleStatement.newInstance("SELECT sequence_nr, ser_id, ser_manifest, snapshot_data FROM "
        + keyspace + "." + snapshotTable + " WHERE persistence_id = ? ORDER BY sequence_nr DESC LIMIT 1", persistenceId)
        .setTimeout(timeout);
    return limited(() -> session.thenCompose(s -> s.executeAsync(newest))).thenApply(rs -> {
      Row r = rs.one();
      if (r == null || r.isNull(3)) {
        return null;
      }
      ByteBuffer b = r.getByteBuffer(3);
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      return new StoredSnapshot(r.getLong(0), r.getInt(1), r.getString(2), bytes);
    });
  }

  /** A snapshot's sequence number and its bytes with the serializer id and manifest that read them. */
  public record StoredSnapshot(long sequenceNr, int serializerId, String manifest, byte[] bytes) {}

  /**
   * Reads ahead, for a recovery expected on this node, the stored versions {@code parts} of
   * {@code owner} that an instance's snapshot (at {@code snapshotSeq}) names, two key groups at a
   * time, each in one paged read, within this store's bounds on reads in flight and bytes held. A version a saved snapshot
   * names never changes (see {@link PrefetchedChunks}). A key group is given up, not failed, when
   * a read fails or the bound is reached: the recovery then reads it itself.
   */
  public CompletionStage<PrefetchResult> prefetch(String owner, List<ChunkedState.Part> parts, long snapshotSeq) {
    if (prefetched.maxBytes() <= 0 || parts.isEmpty()) {
      return CompletableFuture.completedFuture(new PrefetchResult(0, 0, 0, snapshotSeq));
    }
    java.util.TreeMap<Integer, List<ChunkedState.Part>> byGroup = new java.util.TreeMap<>();
    parts.forEach(p -> byGroup.computeIfAbsent(p.keyGroup(), k -> new ArrayList<>()).add(p));
    prefetched.startOwner(owner);
    java.util.Iterator<Map.Entry<Integer, List<ChunkedState.Part>>> next = byGroup.entrySet().iterator();
    long[] counts = new long[3]; // bytes, key groups, skipped; guarded by itself
    CompletableFuture<?>[] lanes = new CompletableFuture<?>[2];
    for (int i = 0; i < lanes.length; i++) {
      lanes[i] = aheadLane(owner, next, counts);
    }
    return CompletableFuture.allOf(lanes).handle((v, err) -> {
      prefetched.endOwner(owner);
      // what no recovery takes leaves once its time is up, even if this node reads nothing more
      CompletableFuture.runAsync(prefetched::heldBytes, CompletableFuture.delayedExecutor(
          prefetched.ttlNanos() + 1_000_000_000L, java.util.concurrent.TimeUnit.NANOSECONDS));
      synchronized (counts) {
        return new PrefetchResult(counts[0], (int) counts[1], (int) counts[2], snapshotSeq);
      }
    });
  }

  private CompletableFuture<Void> aheadLane(String owner, java.util.Iterator<Map.Entry<Integer,
      List<ChunkedState.Part>>> next, long[] counts) {
    Map.Entry<Integer, List<ChunkedState.Part>> g = null;
    while (g == null) { // a loop, not a call per key group skipped: there may be thousands
      synchronized (next) {
        if (!next.hasNext()) {
          return CompletableFuture.completedFuture(null);
        }
        g = next.next();
      }
      if (!prefetched.begin(owner, g.getKey())) {
        synchronized (counts) {
          counts[2]++;
        }
        g = null;
      }
    }
    int kg = g.getKey();
    long bytes = 0;
    CompletableFuture<Boolean> read = new CompletableFuture<>();
    try {
      // one paged read of the key group's partition from its base to its last delta: the versions
      // named are exactly those (a capture that failed and was retried at the same version left at
      // most extra chunks, which are not served), in 4 MiB pages
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (ChunkedState.Part p : g.getValue()) {
        first = Math.min(first, p.stored().version());
        last = Math.max(last, p.stored().version());
        bytes += p.stored().bytes();
      }
      SimpleStatement select = SimpleStatement.newInstance("SELECT version, chunk, data FROM " + keyspace + "."
          + TABLE + " WHERE owner = ? AND key_group = ? AND version >= ? AND version <= ?", owner, kg, first, last)
          .setPageSize(4).setTimeout(timeout);
      limited(() -> session.thenCompose(s -> s.executeAsync(select)))
          .whenComplete((rs, err) -> aheadPage(owner, kg, rs, err, read));
    } catch (RuntimeException e) {
      read.completeExceptionally(e);
    }
    long named = bytes;
    // whatever happens, the key group's read-ahead ends: a recovery may be waiting for it
    return read.handle((kept, err) -> {
      boolean ok = err == null && kept;
      prefetched.end(owner, kg, ok);
      synchronized (counts) {
        counts[0] += ok ? named : 0;
        counts[ok ? 1 : 2]++;
      }
      return null;
    }).thenCompose(v -> aheadLane(owner, next, counts));
  }

  /** Holds one page of a key group read ahead and asks for the next: completes with false if given up. */
  private void aheadPage(String owner, int kg, AsyncResultSet rs, Throwable err, CompletableFuture<Boolean> read) {
    try {
      if (err != null) {
        read.complete(false);
        return;
      }
      for (Row row : rs.currentPage()) {
        ByteBuffer data = row.getByteBuffer(2);
        if (data == null || !prefetched.add(owner, kg, row.getLong(0), row.getInt(1), data)) {
          read.complete(false);
          return;
        }
      }
      if (rs.hasMorePages()) {
        limited(rs::fetchNextPage).whenComplete((more, e) -> aheadPage(owner, kg, more, e, read));
      } else {
        read.complete(true);
      }
    } catch (Throwable t) { // thrown here it would be lost in the driver's callback
      read.completeExceptionally(t);
    }
  }

  @Override
  public CompletionStage<Void> deleteBelow(String owner, int keyGroup, long version) {
    return limited(() -> execute(st -> st.deleteBelow().bind(owner, keyGroup, version))).thenApply(r -> null);
  }

  @Override
  public CompletionStage<Void> deleteAbove(String owner, int keyGroup, long version) {
    return limited(() -> execute(st -> st.deleteAbove().bind(owner, keyGroup, version))).thenApply(r -> null);
  }
}
