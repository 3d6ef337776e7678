package io.sluice.cluster;

import io.sluice.cluster.internal.Shell;
import io.sluice.cluster.internal.TcpRelay;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private network on this machine for the nodes of a {@link LocalCluster}: a Linux bridge with
 * the host's address {@code <subnet>.1}, and one network namespace per node, joined to the bridge by
 * a veth pair, in which the node has its own address {@code <subnet>.11}, {@code .12}, ... The
 * node JVMs run inside their namespaces ({@link #launcher}); the host reaches them over the
 * bridge, and servers that listen on the host's loopback (Cassandra) are offered to them through
 * relays on the bridge address ({@link #relay}). {@link #faults()} cuts links between them.
 *
 * <p>Everything it creates is named after {@link Settings#prefix()} and removed by {@link #close()},
 * also after a failed start; leftovers of a crashed run with the same names (the bridge, the
 * namespaces and any process still running in them) are removed before it creates anything. No
 * traffic leaves the bridge and the namespaces: there is no route, no forwarding and no NAT to
 * anywhere else.
 *
 * <p>It needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and the {@code ip} command of iproute2;
 * without them {@link #create} fails with an {@link IllegalStateException} saying what is missing.
 *
 * <pre>{@code
 * try (NodeNetwork net = NodeNetwork.create(NodeNetwork.Settings.defaults(), 3)) {
 *   net.launcher(0);                      // ip netns exec sluice-node-1
 *   net.faults().split(List.of(0, 1));    // nodes 1, 2 | node 3
 *   net.faults().heal();
 * }
 * }</pre>
 */
public final class NodeNetwork implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeNetwork.class);
  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{0,6}");
  private static final Pattern SUBNET = Pattern.compile(
      "(10\\.\\d{1,3}\\.\\d{1,3}|192\\.168\\.\\d{1,3}|172\\.(1[6-9]|2\\d|3[01])\\.\\d{1,3})");
  /** The last octet of the first node's address; node i has FIRST_NODE_OCTET + i. */
  static final int FIRST_NODE_OCTET = 11;
  private static final int MAX_NODES = 200;
  /** Bits of /proc/self/status CapEff: CAP_NET_ADMIN and CAP_SYS_ADMIN. */
  private static final long CAP_NET_ADMIN = 1L << 12;
  private static final long CAP_SYS_ADMIN = 1L << 21;

  /**
   * Names and addresses. prefix: of every name the network creates (at most 7 lowercase letters
   * and digits, so that interface names stay within Linux's 15 characters); subnet: the first
   * three octets of a private /24 that nothing else on this machine uses.
   */
  public record Settings(String prefix, String subnet) {
    public Settings {
      if (prefix == null || !PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException("the prefix must be 1 to 7 lowercase letters and digits, starting with a"
            + " letter (interface names have at most 15 characters), was '" + prefix + "'");
      }
      if (subnet == null || !SUBNET.matcher(subnet).matches()
          || java.util.Arrays.stream(subnet.split("\\.")).anyMatch(o -> Integer.parseInt(o) > 255)) {
        throw new IllegalArgumentException("the subnet must be the first three octets of a private /24 (10.x.y,"
            + " 172.16-31.y or 192.168.y), such as 10.213.0, was '" + subnet + "'");
      }
    }

    /** Prefix "sluice", subnet 10.213.0.0/24. */
    public static Settings defaults() {
      return new Settings("sluice", "10.213.0");
    }
  }

  private final Settings settings;
  private final int nodes;
  private final Shell shell;
  private final List<TcpRelay> relays = new ArrayList<>();
  private final NetworkFaults faults;

  NodeNetwork(Settings settings, int nodes, Shell shell) {
    if (nodes < 1 || nodes > MAX_NODES) {
      throw new IllegalArgumentException("a node network has 1 to " + MAX_NODES + " nodes, not " + nodes);
    }
    this.settings = settings;
    this.nodes = nodes;
    this.shell = shell;
    this.faults = new NetworkFaults(this);
  }

  /**
   * Creates the bridge and a namespace per node, after removing what a crashed run left under the
   * same names. Throws {@link IllegalStateException} when this process lacks the privileges or the
   * {@code ip} command, when another interface uses the subnet, or when a command fails (then
   * nothing it created is left behind).
   */
  public static NodeNetwork create(Settings settings, int nodes) {
    NodeNetwork net = new NodeNetwork(settings, nodes, Shell.SYSTEM);
    net.checkPrivileges();
    net.removeLeftovers();
    net.checkSubnetFree();
    try {
      for (List<String> c : net.setupCommands()) {
        net.must(c);
      }
    } catch (RuntimeException e) {
      net.teardown();
      throw e;
    }
    return net;
  }

  /**
   * Checks, without creating anything, that this process can make a node network: the {@code ip}
   * command runs and the process has CAP_SYS_ADMIN and CAP_NET_ADMIN. Throws
   * {@link IllegalStateException} saying what is missing.
   */
  public static void checkPrerequisites() {
    new NodeNetwork(Settings.defaults(), 1, Shell.SYSTEM).checkPrivileges();
  }

  public Settings settings() {
    return settings;
  }

  public int size() {
    return nodes;
  }

  /** The bridge's name. */
  public String bridge() {
    return settings.prefix() + "br0";
  }

  /** The namespace of node {@code i} (0-based): {@code <prefix>-node-<i+1>}. */
  public String namespace(int i) {
    check(i);
    return settings.prefix() + "-node-" + (i + 1);
  }

  /** The address of node {@code i} in its namespace. */
  public String address(int i) {
    check(i);
    return settings.subnet() + "." + (FIRST_NODE_OCTET + i);
  }

  /** The host's address on the bridge: what the nodes reach the relays on. */
  public String hostAddress() {
    return settings.subnet() + ".1";
  }

  /** The command that runs its arguments in node {@code i}'s namespace (it execs them: same process). */
  public List<String> launcher(int i) {
    return List.of("ip", "netns", "exec", namespace(i));
  }

  /** Cuts and heals links between the nodes, and between a node and the relays. */
  public NetworkFaults faults() {
    return faults;
  }

  /**
   * Offers {@code target} (host:port, e.g. the dev Cassandra on 127.0.0.1:9042) to the nodes on
   * the bridge address, same port; returns the address they use for it. Closed with the network.
   */
  public String relay(String target) {
    int colon = target.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("a relay target is host:port, was '" + target + "'");
    }
    int port = Integer.parseInt(target.substring(colon + 1));
    TcpRelay r = TcpRelay.start(new InetSocketAddress(hostAddress(), port),
        new InetSocketAddress(target.substring(0, colon), port));
    synchronized (relays) {
      relays.add(r);
    }
    return hostAddress() + ":" + port;
  }

  List<TcpRelay> relays() {
    synchronized (relays) {
      return List.copyOf(relays);
    }
  }

  private void check(int i) {
    if (i < 0 || i >= nodes) {
      throw new IndexOutOfBoundsException("node " + i + " of a network of " + nodes);
    }
  }

  private String hostVeth(int i) {
    return settings.prefix() + "-v" + (i + 1);
  }

  private String peerVeth(int i) {
    return settings.prefix() + "-p" + (i + 1);
  }

  /** The commands that build the network, in order. */
  List<List<String>> setupCommands() {
    List<List<String>> c = new ArrayList<>();
    c.add(List.of("ip", "link", "add", bridge(), "type", "bridge"));
    c.add(List.of("ip", "addr", "add", hostAddress() + "/24", "dev", bridge()));
    c.add(List.of("ip", "link", "set", bridge(), "up"));
    for (int i = 0; i < nodes; i++) {
      String ns = namespace(i);
      c.add(List.of("ip", "netns", "add", ns));
      c.add(List.of("ip", "link", "add", hostVeth(i), "type", "veth", "peer", "name", peerVeth(i)));
      c.add(List.of("ip", "link", "set", peerVeth(i), "netns", ns));
      c.add(List.of("ip", "-n", ns, "link", "set", peerVeth(i), "name", "eth0"));
      c.add(List.of("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0"));
      c.add(List.of("ip", "-n", ns, "link", "set", "eth0", "up"));
      c.add(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
      c.add(List.of("ip", "link", "set", hostVeth(i), "master", bridge()));
      c.add(List.of("ip", "link", "set", hostVeth(i), "up"));
    }
    return c;
  }

  /** The commands that remove the network; each may find its object gone already. */
  List<List<String>> teardownCommands() {
    List<List<String>> c = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      c.add(List.of("ip", "link", "del", hostVeth(i))); // takes its peer with it
      c.add(List.of("ip", "netns", "del", namespace(i)));
    }
    c.add(List.of("ip", "link", "del", bridge()));
    return c;
  }

  Shell.Result run(List<String> command) {
    return shell.run(command);
  }

  /** Runs {@code command}; throws, with its output, if it fails. */
  void must(List<String> command) {
    Shell.Result r = shell.run(command);
    if (!r.ok()) {
      throw new IllegalStateException("'" + String.join(" ", command) + "' failed (exit " + r.exit() + "): "
          + r.output());
    }
  }

  private void checkPrivileges() {
    Shell.Result ip = shell.run(List.of("ip", "-V"));
    if (!ip.ok()) {
      throw new IllegalStateException("nodes in network namespaces need the 'ip' command of iproute2, which does not"
          + " run here: " + ip.output());
    }
    long caps;
    String uid = "?";
    try {
      caps = -1;
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          caps = Long.parseUnsignedLong(line.substring(7).strip(), 16);
        } else if (line.startsWith("Uid:")) {
          uid = line.substring(4).strip().split("\\s+")[1]; // the effective one
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("nodes in network namespaces need Linux (/proc/self/status is not readable: "
          + e.getMessage() + ")", e);
    }
    if (caps == -1 || (caps & CAP_NET_ADMIN) == 0 || (caps & CAP_SYS_ADMIN) == 0) {
      throw new IllegalStateException("nodes in network namespaces need root: creating namespaces, a bridge and veth"
          + " pairs takes CAP_SYS_ADMIN and CAP_NET_ADMIN, which this process (uid " + uid + ") does not have. Run"
          + " it as root, or run the cluster without namespaces.");
    }
  }

  /** Refuses a subnet that an interface other than this network's bridge has an address in. */
  private void checkSubnetFree() {
    Shell.Result r = shell.run(List.of("ip", "-o", "-4", "addr", "show"));
    if (!r.ok()) {
      throw new IllegalStateException("'ip -o -4 addr show' failed: " + r.output());
    }
    for (String line : r.output().split("\n")) {
      String[] f = line.strip().split("\\s+");
      if (f.length > 3 && f[3].startsWith(settings.subnet() + ".") && !f[1].equals(bridge())) {
        throw new IllegalStateException("the subnet " + settings.subnet() + ".0/24 is in use on this machine ("
            + f[1] + " has " + f[3] + "): choose another subnet for the node network");
      }
    }
  }

  /** Removes what a crashed run with the same names left: processes in its namespaces, then the network. */
  private void removeLeftovers() {
    Shell.Result list = shell.run(List.of("ip", "netns", "list"));
    List<String> present = new ArrayList<>();
    for (String line : list.ok() ? list.output().split("\n") : new String[0]) {
      present.add(line.strip().split("\\s+")[0]);
    }
    boolean any = false;
    for (int i = 0; i < nodes; i++) {
      String ns = namespace(i);
      if (!present.contains(ns)) {
        continue;
      }
      any = true;
      Shell.Result pids = shell.run(List.of("ip", "netns", "pids", ns));
      for (String p : pids.ok() ? pids.output().split("\\s+") : new String[0]) {
        if (p.matches("\\d+")) {
          ProcessHandle.of(Long.parseLong(p)).ifPresent(h -> {
            log.warn("killing process {} ({}), left running in namespace {} by an earlier run", h.pid(),
                h.info().command().orElse("?"), ns);
            h.destroyForcibly();
            h.onExit().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> h).join();
          });
        }
      }
    }
    if (any || shell.run(List.of("ip", "link", "show", bridge())).ok()) {
      log.warn("removing the node network {} left by an earlier run", bridge());
    }
    teardown();
  }

  /** Runs every teardown command; a failure other than "already gone" is logged. */
  private void teardown() {
    for (List<String> c : teardownCommands()) {
      Shell.Result r = shell.run(c);
      if (!r.ok() && !gone(r.output())) {
        log.warn("'{}' failed: {}", String.join(" ", c), r.output());
      }
    }
  }

  private static boolean gone(String output) {
    return output.contains("Cannot find device") || output.contains("No such file or directory")
        || output.contains("does not exist");
  }

  /** Closes the relays and removes the namespaces, veth pairs and the bridge. */
  @Override
  public void close() {
    for (TcpRelay r : relays()) {
      r.close();
    }
    teardown();
  }
}
