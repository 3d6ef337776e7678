package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class OperatorAllocationStrategyTest {
  private static final Predicate<String> ALL = s -> true;

  private static Map<String, List<String>> regions(int n) {
    Map<String, List<String>> m = new TreeMap<>();
    for (int i = 1; i <= n; i++) {
      m.put("node-" + i, new ArrayList<>());
    }
    return m;
  }

  /** Applies moves until none is left; returns how many it took. */
  private static int settle(Map<String, List<String>> byRegion, Predicate<String> live, int maxMoves) {
    for (int moves = 0; moves <= maxMoves; moves++) {
      OperatorAllocationStrategy.Move m = OperatorAllocationStrategy.balanceMove(byRegion, live);
      if (m == null) {
        return moves;
      }
      assertTrue(byRegion.get(m.from()).remove(m.shard()), m.toString());
      byRegion.get(m.to()).add(m.shard());
    }
    throw new AssertionError("no balance after " + maxMoves + " moves: " + byRegion);
  }

  private static IntSummaryStatistics spread(Map<String, List<String>> byRegion, String group) {
    return byRegion.values().stream().mapToInt(l -> (int) l.stream()
        .filter(s -> group == null || OperatorAllocationStrategy.group(s).equals(group)).count()).summaryStatistics();
  }

  @Test
  void aNodeThatJoinsGetsInstancesUntilEveryOperatorIsEvenlySpread() {
    Map<String, List<String>> m = regions(4);
    for (int i = 0; i < 4; i++) { // 3 nodes ran a job with 3 operators of parallelism 4
      m.get("node-" + (1 + i % 3)).add("job-1/source/" + i);
      m.get("node-" + (1 + (i + 1) % 3)).add("job-1/totals/" + i);
      m.get("node-" + (1 + (i + 2) % 3)).add("job-1/sink/" + i);
    }
    OperatorAllocationStrategy.Move first = OperatorAllocationStrategy.balanceMove(m, ALL);
    assertNotNull(first);
    assertEquals("node-4", first.to(), "the joined node is where an instance goes");
    int moves = settle(m, ALL, 20);
    assertEquals(3, moves, "one instance per operator moves to the new node: " + m);
    for (String g : List.of("job-1/source", "job-1/totals", "job-1/sink")) {
      assertEquals(1, spread(m, g).getMax(), g + ": " + m);
    }
    assertEquals(3, m.get("node-4").size());
  }

  /*
   * Reading ahead is worth its cost only where the instance will recover: the prediction made while
   * a node is unreachable must be the allocation made once it is removed, one shard after the other.
   */
  @Test
  void theReadAheadTargetOfADeadNodesInstanceIsWhereAllocationPutsIt() {
    Map<String, List<String>> m = regions(3); // the large-state soak's placement: node-3 dies
    m.get("node-1").addAll(List.of("j/events/0", "j/totals/0", "j/out/1"));
    m.get("node-2").addAll(List.of("j/out/0", "old/totals/0", "old/totals/1"));
    m.get("node-3").addAll(List.of("j/events/1", "j/totals/1"));
    Predicate<String> live = s -> !s.startsWith("old/");
    List<String> orphans = m.remove("node-3");
    Map<String, String> targets = OperatorAllocationStrategy.targets(m, orphans, live);
    assertEquals(Map.of("j/events/1", "node-2", "j/totals/1", "node-2"), targets,
        "each goes where its operator has no instance (the ended job's shards do not count)");

    Map<String, List<String>> allocated = new TreeMap<>();
    m.forEach((r, shards) -> allocated.put(r, new ArrayList<>(shards)));
    for (String shard : orphans) { // what allocateShard does once node-3 is removed
      String to = OperatorAllocationStrategy.leastLoaded(OperatorAllocationStrategy.group(shard), allocated, live);
      assertEquals(targets.get(shard), to, shard);
      allocated.get(to).add(shard);
    }
    assertEquals(3, m.get("node-2").size(), "the prediction leaves the placement as it was");
    assertTrue(OperatorAllocationStrategy.targets(Map.of(), orphans, live).isEmpty(), "no survivor, no target");
  }

  @Test
  void instancesOfEndedJobsNeitherCountNorMove() {
    Map<String, List<String>> m = regions(2);
    for (int i = 0; i < 6; i++) {
      m.get("node-1").add("old/totals/" + i);
    }
    m.get("node-2").add("new/totals/0");
    m.get("node-1").add("new/totals/1");
    assertNull(OperatorAllocationStrategy.balanceMove(m, s -> !s.startsWith("old/")), "balanced, ended job aside");
    assertNotNull(OperatorAllocationStrategy.balanceMove(m, ALL));
  }

  @Test
  void aBalancedClusterMovesNothing() {
    Map<String, List<String>> m = regions(3);
    for (int i = 0; i < 5; i++) {
      m.get("node-" + (1 + i % 3)).add("j/op/" + i);
    }
    assertNull(OperatorAllocationStrategy.balanceMove(m, ALL), "2, 2, 1 is as even as 5 instances get");
  }

  @Test
  void anyPlacementSettlesWithinBoundedMovesAndNeverPingPongs() {
    Random r = new Random(7);
    for (int round = 0; round < 300; round++) {
      int nodes = 1 + r.nextInt(5);
      Map<String, List<String>> m = regions(nodes);
      List<String> names = new ArrayList<>(m.keySet());
      int shards = 0;
      for (int op = 0; op < 1 + r.nextInt(5); op++) {
        int p = 1 + r.nextInt(8);
        for (int i = 0; i < p; i++) {
          m.get(names.get(r.nextInt(nodes))).add("job-" + (op % 2) + "/op" + op + "/" + i);
          shards++;
        }
      }
      settle(m, ALL, 2 * shards);
      for (String g : m.values().stream().flatMap(List::stream).map(OperatorAllocationStrategy::group).distinct()
          .toList()) {
        IntSummaryStatistics s = spread(m, g);
        assertTrue(s.getMax() - s.getMin() <= 1, g + " is not evenly spread: " + m);
      }
      IntSummaryStatistics all = spread(m, null);
      assertTrue(all.getMax() - all.getMin() <= 2, "totals not even: " + m);
    }
  }
}
