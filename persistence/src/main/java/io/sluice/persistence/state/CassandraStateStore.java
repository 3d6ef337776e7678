package io.sluice.persistence.state;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.sluice.core.internal.engine.StateStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
  private final CompletionStage<Statements> statements;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int inFlight;

  private record Statements(PreparedStatement insert, PreparedStatement select, PreparedStatement deleteBelow,
      PreparedStatement deleteAbove) {}

  /**
   * @param createSchema create the keyspace (with {@code replicationFactor}, SimpleStrategy) and the
   *     table if they do not exist (development only: production creates them up front)
   */
  public CassandraStateStore(CompletionStage<CqlSession> session, String keyspace, boolean createSchema,
      int replicationFactor, Duration timeout, int maxInFlight) {
    this.session = session;
    this.keyspace = keyspace;
    this.timeout = timeout;
    this.maxInFlight = maxInFlight;
    this.statements = session.thenCompose(s -> (createSchema ? createSchema(s, replicationFactor)
        : CompletableFuture.<Void>completedFuture(null)).thenCompose(v -> prepare(s)));
  }

  /** The CQL that creates the table, for production schemas made up front. */
  public static String createTableCql(String keyspace) {
    return "CREATE TABLE IF NOT EXISTS " + keyspace + "." + TABLE + " (owner text, key_group int, version bigint,"
        + " chunk int, data blob, PRIMARY KEY ((owner, key_group), version, chunk)) WITH gc_grace_seconds = 3600"
        + " AND compression = {'enabled': 'false'}";
  }

  private CompletionStage<Void> createSchema(CqlSession s, int rf) {
    SimpleStatement ks = SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS " + keyspace
        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': " + rf + "}")
        .setTimeout(Duration.ofSeconds(60));
    SimpleStatement table = SimpleStatement.newInstance(createTableCql(keyspace)).setTimeout(Duration.ofSeconds(60));
    return s.executeAsync(ks).thenCompose(r -> s.executeAsync(table)).thenApply(r -> null);
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
    return statements.thenCompose(st -> session.thenCompose(s -> s.executeAsync(bind.apply(st).setTimeout(timeout))));
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
    List<CompletableFuture<byte[]>> all = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int chunk = i;
      all.add(limited(() -> execute(st -> st.select().bind(owner, keyGroup, version, chunk)).thenApply(rs -> {
        Row row = rs.one();
        if (row == null) {
          throw new IllegalStateException("chunk " + chunk + " of version " + version + " of key group " + keyGroup
              + " of " + owner + " is missing from " + keyspace + "." + TABLE);
        }
        ByteBuffer b = row.getByteBuffer(0);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
      })).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
      List<byte[]> out = new ArrayList<>(count);
      for (CompletableFuture<byte[]> f : all) {
        out.add(f.join());
      }
      return out;
    });
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
