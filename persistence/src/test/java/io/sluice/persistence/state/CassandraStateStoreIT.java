package io.sluice.persistence.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.sluice.persistence.testkit.CassandraExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The state store on the real Cassandra. */
class CassandraStateStoreIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: a node's store can be first used while its statements cannot be prepared
   * (Cassandra down when the node started: ChaosIT had a keyed instance fail to read its state on
   * such a node for 23 s). Here the table does not exist yet, so preparing fails; once it exists,
   * the same store must work, without a restart. Before the fix the first failure was kept for good.
   */
  @Test
  void aStoreWhoseStatementsCouldNotBePreparedWorksOnceTheyCan() throws Exception {
    String ks = cassandra.keyspace() + "_late";
    try (CqlSession session = cassandra.session()) {
      try {
        CassandraStateStore store = new CassandraStateStore(CompletableFuture.completedFuture(session), ks, false, 1,
            Duration.ofSeconds(30), 4);
        byte[] data = {1, 2, 3};
        assertThrows(ExecutionException.class, () -> await(store.write("o", 0, 1, List.of(data))),
            "no table yet");
        ddl(session, "CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy',"
            + " 'replication_factor': 1}");
        ddl(session, CassandraStateStore.createTableCql(ks));
        await(store.write("o", 0, 1, List.of(data)));
        assertArrayEquals(data, await(store.readWhole("o", 0, 1, 1)));
      } finally {
        ddl(session, "DROP KEYSPACE IF EXISTS " + ks);
      }
    }
  }

  /**
   * A schema change, with the time it can take on a busy machine: under CI's load the driver's
   * 2 s default timed out a DROP KEYSPACE (2026-12-01).
   */
  private static void ddl(CqlSession session, String cql) {
    session.execute(SimpleStatement.newInstance(cql).setTimeout(Duration.ofSeconds(60)));
  }

  private static <T> T await(CompletionStage<T> f) throws Exception {
    return f.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
