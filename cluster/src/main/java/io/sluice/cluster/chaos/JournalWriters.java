package io.sluice.cluster.chaos;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.sluice.core.internal.engine.OperatorEvent;
import io.sluice.persistence.runtime.ProtocolSerializer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which incarnation of an operator instance wrote each of its events to the journal, and whether
 * two incarnations ever wrote interleaved: an incarnation that writes again after a later one took
 * over means two live writers of one persistence id (a split brain the fences did not stop).
 */
public final class JournalWriters {
  private JournalWriters() {}

  /** The persistence id of an operator instance's journal (as OperatorEntity makes it). */
  public static String persistenceId(String instance) {
    return org.apache.pekko.persistence.typed.PersistenceId.of("sluice-op", instance).id();
  }

  /**
   * The writer incarnation of every Stepped event of {@code persistenceId} in {@code keyspace}'s
   * journal, in sequence-number order (empty if it has none).
   */
  public static List<Long> writers(CqlSession session, String keyspace, String persistenceId) {
    List<Long> out = new ArrayList<>();
    for (long partition = 0; ; partition++) {
      int rows = 0;
      for (Row row : session.execute(SimpleStatement.newInstance("SELECT sequence_nr, ser_manifest, event FROM "
          + keyspace + ".messages WHERE persistence_id = ? AND partition_nr = ?", persistenceId, partition)
          .setTimeout(Duration.ofSeconds(30)))) {
        rows++;
        ByteBuffer b = row.getByteBuffer("event");
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        OperatorEvent.Stepped e = ProtocolSerializer.readStepped(bytes, row.getString("ser_manifest"));
        if (e != null) {
          out.add(e.writer());
        }
      }
      if (rows == 0) {
        return out;
      }
    }
  }

  /**
   * The first interleaving in {@code writers} (the writer of each event, in order) of the
   * instance {@code instance}: an incarnation that wrote again after a later one had taken over.
   * Empty when each incarnation wrote one run of events and never again.
   */
  public static Optional<String> interleaving(String instance, List<Long> writers) {
    Set<Long> finished = new HashSet<>();
    for (int i = 1; i < writers.size(); i++) {
      long before = writers.get(i - 1);
      long w = writers.get(i);
      if (w != before) {
        finished.add(before);
        if (finished.contains(w)) {
          return Optional.of(instance + ": incarnation " + w + " wrote event #" + i + " after incarnation " + before
              + " had taken over - two live writers; writers around it: "
              + writers.subList(Math.max(0, i - 6), Math.min(writers.size(), i + 6)));
        }
      }
    }
    return Optional.empty();
  }
}
