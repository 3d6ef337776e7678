package io.sluice.cluster.chaos;

import io.sluice.cluster.NetworkFaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * The network faults of a chaos run ({@code sluice chaos --network}), planned from the run's seed
 * before it starts: one every {@code every}, the first at half of it (so that, with kills every
 * {@code --kill-interval}, they fall between the kills rather than on them), each held for
 * {@code length} and then healed. The kinds come in rounds: each round has every {@link Kind}
 * once, in an order drawn from the seed; the nodes of each fault are drawn from the seed too. The
 * same seed, node count and durations give the same plan; the kills' own random choices are not
 * disturbed (the plan draws from its own generator, derived from the seed).
 *
 * <p>A fault is due at its time; the run makes it only when the cluster is whole (every node an
 * Up member, no other fault pending), so a due fault may wait, as a due kill does.
 */
public final class NetworkSchedule {
  /** Mixed into the seed, so that the plan's draws are not the kills' draws. */
  private static final long SALT = 0x6E6574636861L;

  /** The kinds of network fault. */
  public enum Kind {
    /**
     * One node off the network: cut from all the others both ways, and from Cassandra. (A split of
     * three nodes cuts one node from its peers only; this one also stops its writes at once.)
     */
    ISOLATE("isolate"),
    /** The nodes in two groups, the larger first (2 | 1 of three), both ways; both still reach Cassandra. */
    SPLIT("split"),
    /** The link between two nodes, both ways; each still reaches the others. */
    CUT_PAIR("cut-pair"),
    /** The packets of one node to another dropped; the other way still works. */
    CUT_ONE_WAY("cut-one-way"),
    /** One node cut from Cassandra only (its connections through the relay closed and refused). */
    CUT_CASSANDRA("cut-cassandra");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** The name the report and the output use. */
    public String label() {
      return label;
    }
  }

  /**
   * One planned fault: due {@code at} from the job's submission, held for {@code length}. sideA
   * and sideB are 0-based node indexes: for a split or an isolation the two groups, for a cut pair
   * the two nodes, for a one-way cut the sender (A) whose packets to B are dropped; for a cut from
   * Cassandra, A is the node and B is empty.
   */
  public record Planned(Duration at, Kind kind, List<Integer> sideA, List<Integer> sideB, Duration length) {
    public Planned {
      sideA = List.copyOf(sideA);
      sideB = List.copyOf(sideB);
    }

    /** The nodes the fault touches: sides A and B. */
    public List<Integer> nodes() {
      List<Integer> all = new ArrayList<>(sideA);
      all.addAll(sideB);
      return all;
    }

    /**
     * The sides for people, with {@code name} giving a node's name: "node-1 | node-2 + node-3",
     * "node-1 -> node-2" (one way), "node-2 | cassandra".
     */
    public String sides(IntFunction<String> name) {
      String a = names(sideA, name);
      return switch (kind) {
        case CUT_ONE_WAY -> a + " -> " + names(sideB, name);
        case CUT_CASSANDRA -> a + " | cassandra";
        default -> a + " | " + names(sideB, name);
      };
    }

    /** Makes the fault. */
    public void apply(NetworkFaults faults) {
      switch (kind) {
        case ISOLATE -> {
          faults.isolate(sideA.get(0));
          faults.cutFromRelays(sideA.get(0));
        }
        case SPLIT -> faults.split(sideA);
        case CUT_PAIR -> faults.cutPair(sideA.get(0), sideB.get(0));
        case CUT_ONE_WAY -> faults.cutOneWay(sideA.get(0), sideB.get(0));
        case CUT_CASSANDRA -> faults.cutFromRelays(sideA.get(0));
      }
    }

    private static String names(List<Integer> nodes, IntFunction<String> name) {
      List<String> n = new ArrayList<>();
      for (int i : nodes) {
        n.add(name.apply(i));
      }
      return String.join(" + ", n);
    }
  }

  private NetworkSchedule() {}

  /**
   * The plan of a fault window of {@code window} on {@code nodes} nodes (at least 3): faults due at
   * every/2, every/2 + every, ... before the window ends.
   */
  public static List<Planned> plan(long seed, int nodes, Duration window, Duration every, Duration length) {
    if (nodes < 3) {
      throw new IllegalArgumentException("network faults need at least 3 nodes (a majority to survive), not " + nodes);
    }
    if (every.isNegative() || every.isZero() || length.isNegative() || length.isZero()) {
      throw new IllegalArgumentException("the interval and the length of network faults must be positive, were "
          + every + " and " + length);
    }
    Random random = new Random(seed ^ SALT);
    List<Planned> plan = new ArrayList<>();
    List<Kind> round = new ArrayList<>();
    for (Duration at = every.dividedBy(2); at.compareTo(window) < 0; at = at.plus(every)) {
      if (round.isEmpty()) {
        round.addAll(Arrays.asList(Kind.values()));
        Collections.shuffle(round, random);
      }
      Kind kind = round.remove(0);
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        order.add(i);
      }
      Collections.shuffle(order, random);
      List<Integer> a;
      List<Integer> b;
      switch (kind) {
        case SPLIT -> {
          int larger = nodes / 2 + 1;
          a = sorted(order.subList(0, larger));
          b = sorted(order.subList(larger, nodes));
        }
        case ISOLATE -> {
          a = List.of(order.get(0));
          b = sorted(order.subList(1, nodes));
        }
        case CUT_PAIR, CUT_ONE_WAY -> {
          a = List.of(order.get(0));
          b = List.of(order.get(1));
        }
        default -> {
          a = List.of(order.get(0));
          b = List.of();
        }
      }
      plan.add(new Planned(at, kind, a, b, length));
    }
    return plan;
  }

  private static List<Integer> sorted(List<Integer> nodes) {
    List<Integer> s = new ArrayList<>(nodes);
    Collections.sort(s);
    return s;
  }
}
