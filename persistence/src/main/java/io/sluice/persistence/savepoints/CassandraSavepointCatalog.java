package io.sluice.persistence.savepoints;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.persistence.cassandra.CqlTables;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * INTERNAL API: the savepoints' descriptions in Cassandra, next to the journal (sharing its driver
 * session), one small row each:
 *
 * <pre>
 *   CREATE TABLE savepoints (id text PRIMARY KEY, job text, pipeline text, jar text,
 *                            parameters map&lt;text, text&gt;, created bigint, bytes bigint,
 *                            headers map&lt;text, blob&gt;)
 * </pre>
 *
 * Their operators' parts are in the state store's table ({@code state_chunks}) under owners of
 * their own ({@link SavepointInfo#owner}), apart from any job's state.
 */
public final class CassandraSavepointCatalog implements SavepointCatalog {
  private final String keyspace;
  private final CqlTables<Statements> tables;

  private record Statements(PreparedStatement put, PreparedStatement get, PreparedStatement delete,
      PreparedStatement list) {}

  public CassandraSavepointCatalog(Supplier<CompletionStage<CqlSession>> session, String keyspace, boolean createSchema,
      Duration timeout) {
    this.keyspace = keyspace;
    this.tables = new CqlTables<>(session, createSchema ? List.of(createTableCql(keyspace)) : List.of(), this::prepare,
        timeout);
  }

  /** The CQL that creates the table, for production schemas made up front. */
  public static String createTableCql(String keyspace) {
    return "CREATE TABLE IF NOT EXISTS " + keyspace + ".savepoints (id text PRIMARY KEY, job text, pipeline text,"
        + " jar text, parameters map<text, text>, created bigint, bytes bigint, headers map<text, blob>)";
  }

  private CompletionStage<Statements> prepare(CqlSession s) {
    String t = keyspace + ".savepoints";
    String cols = "id, job, pipeline, jar, parameters, created, bytes, headers";
    List<CompletableFuture<PreparedStatement>> p = List.of(
        s.prepareAsync("INSERT INTO " + t + " (" + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)").toCompletableFuture(),
        s.prepareAsync("SELECT " + cols + " FROM " + t + " WHERE id = ?").toCompletableFuture(),
        s.prepareAsync("DELETE FROM " + t + " WHERE id = ?").toCompletableFuture(),
        s.prepareAsync("SELECT " + cols + " FROM " + t).toCompletableFuture());
    return CompletableFuture.allOf(p.toArray(new CompletableFuture<?>[0])).thenApply(v -> new Statements(
        p.get(0).join(), p.get(1).join(), p.get(2).join(), p.get(3).join()));
  }

  @Override
  public CompletionStage<Void> put(SavepointInfo info) {
    Map<String, ByteBuffer> headers = new HashMap<>();
    info.headers().forEach((op, h) -> headers.put(op, ByteBuffer.wrap(h)));
    return tables.execute(st -> st.put().bind(info.id(), info.jobId(), info.pipeline(),
        info.jar() == null ? "" : info.jar(), info.parameters(), info.createdMillis(), info.bytes(), headers))
        .thenApply(r -> null);
  }

  private static SavepointInfo info(Row r) {
    Map<String, byte[]> headers = new HashMap<>();
    r.getMap("headers", String.class, ByteBuffer.class).forEach((op, b) -> {
      byte[] bytes = new byte[b.remaining()];
      b.duplicate().get(bytes);
      headers.put(op, bytes);
    });
    String jar = r.getString("jar");
    return new SavepointInfo(r.getString("id"), r.getString("job"), r.getString("pipeline"),
        jar == null || jar.isEmpty() ? null : jar, r.getMap("parameters", String.class, String.class),
        r.getLong("created"), r.getLong("bytes"), headers);
  }

  @Override
  public CompletionStage<Optional<SavepointInfo>> info(String id) {
    return tables.execute(st -> st.get().bind(id)).thenApply(rs -> Optional.ofNullable(rs.one())
        .map(CassandraSavepointCatalog::info));
  }

  @Override
  public CompletionStage<List<SavepointInfo>> list() {
    // one small row per savepoint
    return tables.execute(st -> st.list().bind()).thenCompose(rs -> CqlTables.all(rs, CassandraSavepointCatalog::info))
        .thenApply(all -> {
          all.sort(Comparator.comparingLong(SavepointInfo::createdMillis).reversed());
          return all;
        });
  }

  @Override
  public CompletionStage<Void> delete(String id) {
    return tables.execute(st -> st.delete().bind(id)).thenApply(r -> null);
  }
}
