package io.sluice.cluster.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JournalWritersTest {
  @Test
  void incarnationsThatTookOverOneAfterTheOtherAreNoInterleaving() {
    assertEquals(Optional.empty(), JournalWriters.interleaving("j/op/0", List.of()));
    assertEquals(Optional.empty(), JournalWriters.interleaving("j/op/0", List.of(5L, 5L, 5L)));
    assertEquals(Optional.empty(), JournalWriters.interleaving("j/op/0", List.of(5L, 5L, 9L, 9L, 3L)));
  }

  @Test
  void anIncarnationThatWritesAgainAfterALaterOneTookOverIsFound() {
    Optional<String> found = JournalWriters.interleaving("j/op/1", List.of(5L, 5L, 9L, 5L, 9L));
    assertTrue(found.isPresent());
    assertTrue(found.get().startsWith("j/op/1: incarnation 5 wrote event #3 after incarnation 9 had taken over"),
        found.get());
    assertTrue(JournalWriters.interleaving("j/op/1", List.of(1L, 2L, 3L, 2L)).isPresent());
  }

  @Test
  void thePersistenceIdIsTheOperatorInstancesOne() {
    assertEquals("sluice-op|keyed-totals-1/sum/0", JournalWriters.persistenceId("keyed-totals-1/sum/0"));
  }
}
