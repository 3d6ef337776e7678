package io.sluice.persistence.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.datastax.oss.driver.api.core.CqlSession;
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
        session.execute("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy',"
            + " 'replication_factor': 1}");
        session.execute(CassandraStateStore.createTableCql(ks));
        await(store.write("o", 0, 1, List.of(data)));
        assertArrayEquals(data, await(store.readWhole("o", 0, 1, 1)));
      } finally {
        session.execute("DROP KEYSPACE IF EXISTS " + ks);
      }
    }
  }

  private static <T> T await(CompletionStage<T> f) throws Exception {
    return f.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
