package io.sluice.cluster;

import io.sluice.cluster.internal.Shell;
import io.sluice.cluster.internal.TcpRelay;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Network faults between the nodes of a {@link NodeNetwork}, made with blackhole routes inside the
 * namespaces (no kernel module beyond the bridge is needed): a packet from node A to node B is
 * dropped in A's namespace when A has a blackhole route for B's address. A one-way {@link Cut}
 * stops A's packets to B only (TCP between them stalls, since A's acknowledgements are lost too,
 * but B's packets still arrive); {@link #cutPair}, {@link #split} and {@link #isolate} cut both
 * ways. The host (the test, the relays) still reaches every node. {@link #heal()} removes every
 * cut. Nodes are 0-based indexes.
 *
 * <pre>{@code
 * NetworkFaults faults = network.faults();
 * faults.split(List.of(0, 1)); // nodes 1 and 2 | node 3
 * ...
 * faults.heal();
 * }</pre>
 *
 * <p>A command that fails throws {@link IllegalStateException} with its output; the cuts made
 * before it stay recorded and are removed by {@link #heal()}.
 */
public final class NetworkFaults {
  /** Packets from node {@code from} to node {@code to} are dropped. */
  public record Cut(int from, int to) {
    public Cut {
      if (from == to) {
        throw new IllegalArgumentException("a node cannot be cut from itself (node " + from + ")");
      }
    }
  }

  private final NodeNetwork network;
  private final Set<Cut> cuts = new LinkedHashSet<>();
  private final Set<Integer> cutFromRelays = new TreeSet<>();

  NetworkFaults(NodeNetwork network) {
    this.network = network;
  }

  /** Cuts node {@code node} from every other node, both ways. */
  public synchronized void isolate(int node) {
    split(List.of(node));
  }

  /** Splits the nodes in two: {@code side} and all the others; no packet crosses between them. */
  public synchronized void split(Collection<Integer> side) {
    Set<Integer> a = new TreeSet<>(side);
    if (a.isEmpty() || a.size() >= network.size()) {
      throw new IllegalArgumentException("a split needs nodes on both sides: " + a + " of " + network.size());
    }
    for (int i : a) {
      for (int j = 0; j < network.size(); j++) {
        if (!a.contains(j)) {
          cutPair(i, j);
        }
      }
    }
  }

  /** Cuts the link between {@code a} and {@code b}, both ways; other links stay. */
  public synchronized void cutPair(int a, int b) {
    cutOneWay(a, b);
    cutOneWay(b, a);
  }

  /** Drops the packets from {@code from} to {@code to}; those from {@code to} to {@code from} still arrive. */
  public synchronized void cutOneWay(int from, int to) {
    Cut c = new Cut(from, to);
    network.address(to); // checks the index
    if (cuts.add(c)) {
      network.must(command(c, true));
    }
  }

  /**
   * Cuts node {@code node} from the servers the network relays (Cassandra): its connections through
   * the relays are closed and new ones refused; its peers still reach it.
   */
  public synchronized void cutFromRelays(int node) {
    String address = network.address(node);
    cutFromRelays.add(node);
    for (TcpRelay r : network.relays()) {
      r.refuse(address);
    }
  }

  /** Removes every cut. */
  public synchronized void heal() {
    List<String> problems = new ArrayList<>();
    for (Cut c : List.copyOf(cuts)) {
      Shell.Result r = network.run(command(c, false));
      if (r.ok() || r.output().contains("No such process")) { // "No such process": the route is gone already
        cuts.remove(c);
      } else {
        problems.add(String.join(" ", command(c, false)) + ": " + r.output());
      }
    }
    for (int node : cutFromRelays) {
      for (TcpRelay r : network.relays()) {
        r.allow(network.address(node));
      }
    }
    cutFromRelays.clear();
    if (!problems.isEmpty()) {
      throw new IllegalStateException("could not heal every cut: " + problems);
    }
  }

  /** The cuts in place, in the order they were made. */
  public synchronized List<Cut> cuts() {
    return List.copyOf(cuts);
  }

  /** The nodes cut from the relays. */
  public synchronized Set<Integer> cutFromRelays() {
    return Set.copyOf(cutFromRelays);
  }

  /** The command that adds (or removes) the blackhole route of {@code c} in the namespace of its sender. */
  List<String> command(Cut c, boolean add) {
    return List.of("ip", "-n", network.namespace(c.from()), "route", add ? "add" : "del", "blackhole",
        network.address(c.to()) + "/32");
  }
}
