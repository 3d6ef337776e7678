package io.sluice.persistence.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.ConfigFactory;
import io.sluice.core.internal.exec.ChunkedState;
import io.sluice.core.internal.exec.KeyedBackend;
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
   * Design of this test: an entity's newest snapshot is at 40, read back from the plugin's table.
   * An operator's stored versions are written; reading ahead the ones a snapshot names must take
   * exactly those. To prove that reads are then served from memory, the rows read ahead are deleted
   * from Cassandra before the reads: they must still return the written bytes, once; the versions
   * not named come from Cassandra.
   */
  @Test
  void theVersionsASnapshotNamesAreReadAheadAndServedOnceFromMemory() throws Exception {
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

      CassandraStateStore.StoredSnapshot newest = await(store.newestSnapshot(pid));
      assertEquals(40, newest.sequenceNr(), "the newest snapshot, from the plugin's table");
      assertEquals(new TestCounter.State(40, 820), org.apache.pekko.serialization.SerializationExtension
          .get(kit.system().classicSystem()).deserialize(newest.bytes(), newest.serializerId(), newest.manifest()).get(),
          "its bytes, serializer and manifest read it back");
      assertEquals(null, await(store.newestSnapshot("test-counter|none")), "no snapshot");

      List<ChunkedState.Part> named = List.of(part(0, 5, 2, 1700, true), part(0, 15, 1, 10, false),
          part(1, 25, 3, 1710, true));
      CassandraStateStore.PrefetchResult r = await(store.prefetch(owner, named, 40));
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
      assertArrayEquals(a, await(store.read(owner, 1, 45, 1)).get(0), "not named: read from Cassandra");
      ExecutionException gone = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> await(store.read(owner, 0, 5, 2)), "served once");
      assertTrue(gone.getCause().getMessage().contains("is missing"), gone.getCause().toString());
      org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> await(store.read(owner, 2, 35, 1)), "another key group: nothing was read ahead");
      assertEquals(new CassandraStateStore.PrefetchResult(0, 0, 0, -1),
          await(stores.prefetch("test-counter|none", owner, bytes -> List.of())), "no snapshot: nothing to read");
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static ChunkedState.Part part(int keyGroup, long version, int chunks, long bytes, boolean full) {
    return new ChunkedState.Part(keyGroup, new KeyedBackend.Stored(version, chunks, bytes, full));
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
