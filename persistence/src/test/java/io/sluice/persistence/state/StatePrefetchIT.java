package io.sluice.persistence.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.persistence.testkit.TestCounter;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Reading a recovery's stored key groups ahead, on the real Cassandra. */
class StatePrefetchIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: an entity's newest snapshot is at 40. Its operator's stored versions are
   * written below and above 40; reading ahead must take exactly those below 40 in its key-group
   * range. To prove that reads are then served from memory, the rows read ahead are deleted from
   * Cassandra before the reads: they must still return the written bytes, once; the version above
   * the snapshot and the key group outside the range come from Cassandra.
   */
  @Test
  void versionsBelowTheNewestSnapshotAreReadAheadAndServedOnceFromMemory() throws Exception {
    ActorTestKit kit = ActorTestKit.create("prefetch", cassandra.actorSystemConfig(ConfigFactory.empty()));
    try (CqlSession session = cassandra.session()) {
      String pid = TestCounter.addUpTo(kit, "p1", 45);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (session.execute("SELECT max(sequence_nr) FROM " + cassandra.keyspace() + ".snapshots WHERE"
          + " persistence_id = ?", pid).one().getLong(0) < 40) { // saved after its event's reply
        assertTrue(System.nanoTime() < deadline, "no snapshot at 40 within 30 s");
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
      StateStores stores = StateStores.get(kit.system());
      CassandraStateStore store = (CassandraStateStore) stores.store();
      String owner = "prefetch-it/totals";
      byte[] a = bytes(1000, 1);
      byte[] b = bytes(700, 2);
      byte[] c = bytes(10, 3);
      await(store.write(owner, 0, 5, List.of(a, b)));
      await(store.write(owner, 0, 15, List.of(c)));
      await(store.write(owner, 1, 25, List.of(b, c, a)));
      await(store.write(owner, 1, 45, List.of(a))); // above the snapshot: a capture that may still change
      await(store.write(owner, 2, 35, List.of(c))); // another instance's key group

      CassandraStateStore.PrefetchResult r = stores.prefetch(pid, owner, 0, 2).toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
      assertEquals(new CassandraStateStore.PrefetchResult(2 * (1000 + 700 + 10), 2, 0, 40), r);
      for (int kg = 0; kg < 3; kg++) {
        session.execute("DELETE FROM " + cassandra.keyspace() + ".state_chunks WHERE owner = ? AND key_group = ?"
            + " AND version < 40", owner, kg);
      }

      List<byte[]> v5 = await(store.read(owner, 0, 5, 2));
      assertArrayEquals(a, v5.get(0));
      assertArrayEquals(b, v5.get(1));
      assertArrayEquals(c, await(store.read(owner, 0, 15, 1)).get(0));
      assertArrayEquals(io.sluice.core.internal.engine.StateStore.concat(List.of(b, c, a)),
          await(store.readWhole(owner, 1, 25, 3)), "a version as one array");
      assertArrayEquals(a, await(store.read(owner, 1, 45, 1)).get(0), "above the snapshot: read from Cassandra");
      ExecutionException gone = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> await(store.read(owner, 0, 5, 2)), "served once");
      assertTrue(gone.getCause().getMessage().contains("is missing"), gone.getCause().toString());
      org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> await(store.read(owner, 2, 35, 1)), "outside the range nothing was read ahead");

      assertEquals(new CassandraStateStore.PrefetchResult(0, 0, 0, -1),
          stores.prefetch("test-counter|none", owner, 0, 2).toCompletableFuture().get(60, TimeUnit.SECONDS),
          "no snapshot: nothing to read ahead");
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static byte[] bytes(int n, int seed) {
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      out[i] = (byte) (i * 31 + seed);
    }
    return out;
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> f) throws Exception {
    return f.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
