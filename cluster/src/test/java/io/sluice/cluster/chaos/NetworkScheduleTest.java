package io.sluice.cluster.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.chaos.NetworkSchedule.Kind;
import io.sluice.cluster.chaos.NetworkSchedule.Planned;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class NetworkScheduleTest {
  private static final Duration WINDOW = Duration.ofSeconds(300);
  private static final Duration EVERY = Duration.ofSeconds(30);
  private static final Duration LENGTH = Duration.ofSeconds(12);

  @Test
  void theSameSeedGivesTheSamePlanAndAnotherSeedAnotherOne() {
    List<Planned> a = NetworkSchedule.plan(42, 3, WINDOW, EVERY, LENGTH);
    assertEquals(a, NetworkSchedule.plan(42, 3, WINDOW, EVERY, LENGTH));
    assertNotEquals(a, NetworkSchedule.plan(43, 3, WINDOW, EVERY, LENGTH));
  }

  @Test
  void faultsAreDueEveryIntervalFromHalfOfItWithinTheWindowAndHeldForTheirLength() {
    List<Planned> plan = NetworkSchedule.plan(7, 3, WINDOW, EVERY, LENGTH);
    assertEquals(10, plan.size(), plan.toString()); // 15, 45, ..., 285 s
    for (int i = 0; i < plan.size(); i++) {
      assertEquals(Duration.ofSeconds(15 + 30L * i), plan.get(i).at());
      assertEquals(LENGTH, plan.get(i).length());
    }
    assertTrue(NetworkSchedule.plan(7, 3, Duration.ofSeconds(15), EVERY, LENGTH).isEmpty());
  }

  @Test
  void everyRoundOfFiveMixesAllKindsInASeededOrder() {
    for (long seed = 0; seed < 20; seed++) {
      List<Planned> plan = NetworkSchedule.plan(seed, 3, WINDOW, EVERY, LENGTH);
      for (int round = 0; round < 2; round++) {
        Set<Kind> kinds = EnumSet.noneOf(Kind.class);
        plan.subList(round * 5, round * 5 + 5).forEach(p -> kinds.add(p.kind()));
        assertEquals(EnumSet.allOf(Kind.class), kinds, "seed " + seed + ": " + plan);
      }
    }
    Set<List<Kind>> orders = new java.util.HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      orders.add(NetworkSchedule.plan(seed, 3, WINDOW, EVERY, LENGTH).subList(0, 5).stream().map(Planned::kind).toList());
    }
    assertTrue(orders.size() > 5, "the order of the kinds hardly depends on the seed: " + orders);
  }

  @Test
  void theSidesOfEachKindAreWellFormed() {
    for (int nodes : new int[] {3, 5}) {
      for (Planned p : NetworkSchedule.plan(11, nodes, Duration.ofSeconds(600), EVERY, LENGTH)) {
        Set<Integer> all = new TreeSet<>(p.nodes());
        assertEquals(p.nodes().size(), all.size(), "a node on both sides: " + p);
        all.forEach(i -> assertTrue(i >= 0 && i < nodes, p.toString()));
        switch (p.kind()) {
          case ISOLATE -> {
            assertEquals(1, p.sideA().size(), p.toString());
            assertEquals(nodes, all.size(), p.toString());
          }
          case SPLIT -> {
            assertEquals(nodes / 2 + 1, p.sideA().size(), "the larger side first: " + p);
            assertEquals(nodes, all.size(), p.toString());
          }
          case CUT_PAIR, CUT_ONE_WAY -> {
            assertEquals(1, p.sideA().size(), p.toString());
            assertEquals(1, p.sideB().size(), p.toString());
          }
          case CUT_CASSANDRA -> {
            assertEquals(1, p.sideA().size(), p.toString());
            assertTrue(p.sideB().isEmpty(), p.toString());
          }
        }
      }
    }
  }

  @Test
  void sidesReadAsPeopleWriteThem() {
    java.util.function.IntFunction<String> name = i -> "node-" + (i + 1);
    assertEquals("node-1 | node-2 + node-3", new Planned(EVERY, Kind.ISOLATE, List.of(0), List.of(1, 2), LENGTH)
        .sides(name));
    assertEquals("node-2 -> node-3", new Planned(EVERY, Kind.CUT_ONE_WAY, List.of(1), List.of(2), LENGTH).sides(name));
    assertEquals("node-3 | cassandra", new Planned(EVERY, Kind.CUT_CASSANDRA, List.of(2), List.of(), LENGTH)
        .sides(name));
  }

  @Test
  void aPlanNeedsThreeNodesAndPositiveDurations() {
    assertThrows(IllegalArgumentException.class, () -> NetworkSchedule.plan(1, 2, WINDOW, EVERY, LENGTH));
    assertThrows(IllegalArgumentException.class, () -> NetworkSchedule.plan(1, 3, WINDOW, Duration.ZERO, LENGTH));
    assertThrows(IllegalArgumentException.class, () -> NetworkSchedule.plan(1, 3, WINDOW, EVERY, Duration.ZERO));
  }
}
