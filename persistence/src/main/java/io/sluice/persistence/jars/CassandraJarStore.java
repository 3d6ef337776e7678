package io.sluice.persistence.jars;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.persistence.cassandra.CqlTables;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * INTERNAL API: jars in Cassandra, next to the journal (sharing its driver session):
 *
 * <pre>
 *   CREATE TABLE jars (id text PRIMARY KEY, name text, bytes bigint, chunks int, uploaded bigint,
 *                      pipelines list&lt;text&gt;)
 *   CREATE TABLE jar_chunks (id text, chunk int, data blob, PRIMARY KEY ((id, chunk)))
 * </pre>
 *
 * Each chunk is a partition of its own (at most {@code sluice.jars.chunk-bytes}), so a large jar
 * spreads over the ring and no read or write comes near Cassandra's message limit. The info row is
 * written after every chunk: it is what makes a jar exist. Chunks are written one at a time and
 * read one at a time: a jar upload or download never floods Cassandra.
 */
public final class CassandraJarStore implements JarStore {
  private final String keyspace;
  private final CqlTables<Statements> tables;

  private record Statements(PreparedStatement putChunk, PreparedStatement getChunk, PreparedStatement deleteChunk,
      PreparedStatement putInfo, PreparedStatement getInfo, PreparedStatement deleteInfo, PreparedStatement list) {}

  /**
   * @param session the driver session, asked for on first use (a node must not open the journal's
   *     shared session before its journal did: the journal's schema creation comes with it)
   */
  public CassandraJarStore(java.util.function.Supplier<CompletionStage<CqlSession>> session, String keyspace,
      boolean createSchema, Duration timeout) {
    this.keyspace = keyspace;
    this.tables = new CqlTables<>(session, createSchema ? createTablesCql(keyspace) : List.of(), this::prepare,
        timeout);
  }

  /** The CQL that creates the tables, for production schemas made up front. */
  public static List<String> createTablesCql(String keyspace) {
    return List.of(
        "CREATE TABLE IF NOT EXISTS " + keyspace + ".jars (id text PRIMARY KEY, name text, bytes bigint,"
            + " chunks int, uploaded bigint, pipelines list<text>)",
        "CREATE TABLE IF NOT EXISTS " + keyspace + ".jar_chunks (id text, chunk int, data blob,"
            + " PRIMARY KEY ((id, chunk))) WITH compression = {'enabled': 'false'}");
  }

  private CompletionStage<Statements> prepare(CqlSession s) {
    String jars = keyspace + ".jars";
    String chunks = keyspace + ".jar_chunks";
    List<CompletableFuture<PreparedStatement>> p = List.of(
        s.prepareAsync("INSERT INTO " + chunks + " (id, chunk, data) VALUES (?, ?, ?)").toCompletableFuture(),
        s.prepareAsync("SELECT data FROM " + chunks + " WHERE id = ? AND chunk = ?").toCompletableFuture(),
        s.prepareAsync("DELETE FROM " + chunks + " WHERE id = ? AND chunk = ?").toCompletableFuture(),
        s.prepareAsync("INSERT INTO " + jars + " (id, name, bytes, chunks, uploaded, pipelines)"
            + " VALUES (?, ?, ?, ?, ?, ?)").toCompletableFuture(),
        s.prepareAsync("SELECT id, name, bytes, chunks, uploaded, pipelines FROM " + jars + " WHERE id = ?")
            .toCompletableFuture(),
        s.prepareAsync("DELETE FROM " + jars + " WHERE id = ?").toCompletableFuture(),
        s.prepareAsync("SELECT id, name, bytes, chunks, uploaded, pipelines FROM " + jars).toCompletableFuture());
    return CompletableFuture.allOf(p.toArray(new CompletableFuture<?>[0])).thenApply(v -> new Statements(
        p.get(0).join(), p.get(1).join(), p.get(2).join(), p.get(3).join(), p.get(4).join(), p.get(5).join(),
        p.get(6).join()));
  }

  private CompletionStage<AsyncResultSet> execute(java.util.function.Function<Statements,
      com.datastax.oss.driver.api.core.cql.BoundStatement> bind) {
    return tables.execute(bind);
  }

  @Override
  public CompletionStage<Void> put(JarInfo info, List<byte[]> chunks) {
    if (chunks.size() != info.chunks()) {
      throw new IllegalArgumentException("jar " + info.id() + " has " + info.chunks() + " chunks, given " + chunks.size());
    }
    CompletionStage<?> f = CompletableFuture.completedFuture(null);
    for (int i = 0; i < chunks.size(); i++) {
      int chunk = i;
      ByteBuffer data = ByteBuffer.wrap(chunks.get(i));
      f = f.thenCompose(x -> execute(st -> st.putChunk().bind(info.id(), chunk, data)));
    }
    return f.thenCompose(x -> execute(st -> st.putInfo().bind(info.id(), info.name(), info.bytes(), info.chunks(),
        info.uploadedMillis(), info.pipelines()))).thenApply(x -> null);
  }

  private static JarInfo info(Row r) {
    return new JarInfo(r.getString("id"), r.getString("name"), r.getLong("bytes"), r.getInt("chunks"),
        r.getLong("uploaded"), r.getList("pipelines", String.class));
  }

  @Override
  public CompletionStage<Optional<JarInfo>> info(String id) {
    return execute(st -> st.getInfo().bind(id)).thenApply(rs -> Optional.ofNullable(rs.one()).map(CassandraJarStore::info));
  }

  @Override
  public CompletionStage<List<JarInfo>> list() {
    // the table holds one small row per jar: one page is plenty, and more pages are followed
    return execute(st -> st.list().bind()).thenCompose(rs -> CqlTables.all(rs, CassandraJarStore::info)).thenApply(all -> {
      all.sort(Comparator.comparingLong(JarInfo::uploadedMillis));
      return all;
    });
  }

  @Override
  public CompletionStage<List<byte[]>> chunks(JarInfo info) {
    List<byte[]> out = new ArrayList<>(info.chunks());
    CompletionStage<?> f = CompletableFuture.completedFuture(null);
    for (int i = 0; i < info.chunks(); i++) {
      int chunk = i;
      f = f.thenCompose(x -> execute(st -> st.getChunk().bind(info.id(), chunk)).thenAccept(rs -> {
        Row row = rs.one();
        if (row == null) {
          throw new IllegalStateException("chunk " + chunk + " of jar " + info.id() + " (" + info.name()
              + ") is missing from " + keyspace + ".jar_chunks");
        }
        ByteBuffer b = row.getByteBuffer(0);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.add(bytes);
      }));
    }
    return f.thenApply(x -> out);
  }

  @Override
  public CompletionStage<Void> delete(JarInfo info) {
    CompletionStage<?> f = execute(st -> st.deleteInfo().bind(info.id()));
    for (int i = 0; i < info.chunks(); i++) {
      int chunk = i;
      f = f.thenCompose(x -> execute(st -> st.deleteChunk().bind(info.id(), chunk)));
    }
    return f.thenApply(x -> null);
  }
}
