package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

class StatePrefetchTest {
  private static Address node(int n) {
    return new Address("pekko", "sluice", "127.0.0.1", 25520 + n);
  }

  /*
   * Every node decides alone which of a dead node's instances it reads ahead; together they must
   * read each one once, on the node the coordinator will allocate it to.
   */
  @Test
  void eachInstanceOfADeadNodeIsReadAheadByTheNodeItWillBeAllocatedTo() {
    Map<Address, List<String>> placement = Map.of(
        node(1), List.of("j/events/0", "j/totals/0"),
        node(2), List.of("j/out/0", "j/out/1"),
        node(3), List.of("j/events/1", "j/totals/1"));
    Set<Address> down = Set.of(node(3));
    assertEquals(List.of("j/events/1", "j/totals/1"),
        StatePrefetch.comingTo(node(2), node(1), placement.get(node(3)), placement, down));
    assertEquals(List.of(), StatePrefetch.comingTo(node(1), node(1), placement.get(node(3)), placement, down));
  }

  @Test
  void amongEqualNodesTheCoordinatorsOwnComesFirst() {
    Map<Address, List<String>> placement = Map.of(
        node(1), List.of("j/a/0", "j/b/0"),
        node(2), List.of("j/a/1", "j/b/1"),
        node(3), List.of("j/a/2", "j/b/2"));
    Set<Address> down = Set.of(node(2));
    List<String> orphans = placement.get(node(2));
    // node-3 coordinates: j/a/1 ties and goes to its region; j/b/1 then goes where fewer instances are
    assertEquals(List.of("j/a/1"), StatePrefetch.comingTo(node(3), node(3), orphans, placement, down));
    assertEquals(List.of("j/b/1"), StatePrefetch.comingTo(node(1), node(3), orphans, placement, down));
    // node-1 coordinates (node-2 died and node-1 is the oldest left): the other way round
    assertEquals(List.of("j/a/1"), StatePrefetch.comingTo(node(1), node(1), orphans, placement, down));
    assertEquals(List.of("j/b/1"), StatePrefetch.comingTo(node(3), node(1), orphans, placement, down));
  }
}
