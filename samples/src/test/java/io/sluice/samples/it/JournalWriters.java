package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.sluice.core.codec.ByteReader;
import io.sluice.core.internal.engine.EventFormats;
import io.sluice.core.internal.engine.OperatorEvent;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads from the journal which incarnation wrote each event of an operator instance, and checks that
 * two incarnations never wrote interleaved (two live writers of one persistence id).
 */
final class JournalWriters {
  private JournalWriters() {}

  /** The writer incarnation of every Stepped event of {@code persistenceId}, in sequence-number order. */
  static List<Long> writers(CassandraExtension cassandra, String persistenceId) {
    List<Long> out = new ArrayList<>();
    try (CqlSession s = cassandra.session()) {
      for (long partition = 0; ; partition++) {
        int rows = 0;
        for (Row row : s.execute(SimpleStatement.newInstance("SELECT sequence_nr, ser_manifest, event FROM "
            + cassandra.keyspace() + ".messages WHERE persistence_id = ? AND partition_nr = ?", persistenceId,
            partition).setTimeout(Duration.ofSeconds(30)))) {
          rows++;
          String manifest = row.getString("ser_manifest");
          if (manifest.equals("E2")) {
            ByteBuffer b = row.getByteBuffer("event");
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            OperatorEvent.Stepped e = EventFormats.readStepped(new ByteReader(bytes), true);
            out.add(e.writer());
          }
        }
        if (rows == 0) {
          return out;
        }
      }
    }
  }

  /** Fails if an incarnation wrote again after a later one had taken over. */
  static void assertNoInterleaving(String instance, List<Long> writers) {
    List<Long> finished = new ArrayList<>();
    long current = writers.get(0);
    for (int i = 0; i < writers.size(); i++) {
      long w = writers.get(i);
      if (w != current) {
        finished.add(current);
        assertFalse(finished.contains(w), instance + ": incarnation " + w + " wrote event #" + i + " after incarnation "
            + current + " had taken over — two live writers; writers around it: "
            + writers.subList(Math.max(0, i - 6), Math.min(writers.size(), i + 6)));
        current = w;
      }
    }
    assertEquals(writers.get(writers.size() - 1).longValue(), current);
  }
}
