package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.datastax.oss.driver.api.core.CqlSession;
import io.sluice.persistence.testkit.CassandraExtension;
import java.util.List;

/**
 * Reads from the journal which incarnation wrote each event of an operator instance, and checks that
 * two incarnations never wrote interleaved (two live writers of one persistence id); the logic is
 * the chaos tool's ({@link io.sluice.cluster.chaos.JournalWriters}).
 */
final class JournalWriters {
  private JournalWriters() {}

  /** The writer incarnation of every Stepped event of {@code persistenceId}, in sequence-number order. */
  static List<Long> writers(CassandraExtension cassandra, String persistenceId) {
    try (CqlSession s = cassandra.session()) {
      return io.sluice.cluster.chaos.JournalWriters.writers(s, cassandra.keyspace(), persistenceId);
    }
  }

  /** Fails if an incarnation wrote again after a later one had taken over. */
  static void assertNoInterleaving(String instance, List<Long> writers) {
    java.util.Optional<String> problem = io.sluice.cluster.chaos.JournalWriters.interleaving(instance, writers);
    if (problem.isPresent()) {
      fail(problem.get());
    }
  }
}
