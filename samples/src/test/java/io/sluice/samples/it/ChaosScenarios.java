package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link ChaosRun} on three node JVMs from conf/ for a test, and prints what a person needs to
 * see. {@code -Dit.node-flag=<flag>} (in sluice.test.argLine) adds a flag to every node JVM — for
 * example {@code -Dsluice.node.pause-fence=off}, to watch FrozenNodeIT catch two live writers.
 */
final class ChaosScenarios {
  private ChaosScenarios() {}

  static final List<Path> NODES = List.of(Path.of("conf/node-1.conf"), Path.of("conf/node-2.conf"),
      Path.of("conf/node-3.conf"));

  static ChaosRun.Settings keyedTotals(String name, long keys, long perKey, long rate) {
    Path out = DevCassandra.home().resolve("target/it-out").resolve(name);
    Map<String, String> p = new java.util.LinkedHashMap<>();
    p.put("keys", Long.toString(keys));
    p.put("records-per-key", Long.toString(perKey));
    p.put("rate", Long.toString(rate));
    p.put("output", out.toString());
    return new ChaosRun.Settings("keyed-totals", p, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5), 42, null,
        Duration.ofSeconds(8), null, Duration.ofSeconds(10), Duration.ofMinutes(5), List.of());
  }

  static ChaosRun.Result run(CassandraExtension cassandra, String name, ChaosRun.Settings settings) {
    return run(cassandra, name, settings, List.of());
  }

  /** {@link #run} with extra flags for every node JVM (e.g. a larger heap). */
  static ChaosRun.Result run(CassandraExtension cassandra, String name, ChaosRun.Settings settings,
      List<String> nodeFlags) {
    return run(cassandra, name, settings, nodeFlags, false);
  }

  /**
   * {@link #run} with each node in its own network namespace ({@link LocalCluster#inNamespaces}),
   * as a run with network faults needs.
   */
  static ChaosRun.Result runInNamespaces(CassandraExtension cassandra, String name, ChaosRun.Settings settings) {
    return run(cassandra, name, settings, List.of(), true);
  }

  private static ChaosRun.Result run(CassandraExtension cassandra, String name, ChaosRun.Settings settings,
      List<String> nodeFlags, boolean namespaces) {
    Path home = DevCassandra.home();
    List<String> flags = new java.util.ArrayList<>(cassandra.jvmFlags());
    flags.addAll(nodeFlags);
    if (namespaces) {
      flags.add(ChaosRun.KEEP_EVENTS_FLAG); // network runs check who wrote every event of the journal
    }
    if (System.getProperty("it.node-flag") != null) {
      flags.add(System.getProperty("it.node-flag"));
    }
    Path logs = home.resolve("target/it-logs").resolve(name);
    try (LocalCluster cluster = namespaces
        ? LocalCluster.inNamespaces(home, NODES, flags, logs, io.sluice.cluster.NodeNetwork.Settings.defaults())
        : new LocalCluster(home, NODES, flags, logs)) {
      if (!namespaces) {
        assertPortsFree(cluster); // in namespaces, each node has its own ports
      }
      ChaosRun.Result r = new ChaosRun(cluster, cassandra.devCassandra(), settings, System.out).run();
      System.out.println();
      System.out.println("[" + name + "] VERDICT: " + (r.exact() ? "EXACT" : "NOT EXACT") + " - "
          + (r.verdict() == null ? "no verdict" : r.verdict().summary()));
      for (ChaosRun.Fault f : r.faults()) {
        System.out.printf("[%s] %s %s at %.1f s: records flowing again after %s s%n", name, f.kind(), f.target(),
            f.atSeconds(), f.recoverySeconds() == null ? "?" : String.format("%.1f", f.recoverySeconds()));
      }
      return r;
    }
  }

  /**
   * Fails at once, naming the port, if another process (another cluster on this machine) holds a
   * port of the nodes: the nodes would not start, and the job would go to the other cluster.
   */
  static void assertPortsFree(LocalCluster cluster) {
    for (LocalCluster.Node n : cluster.nodes()) {
      for (int port : new int[] {n.httpPort(), Integer.parseInt(n.address().replaceAll(".*:", ""))}) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
          s.setReuseAddress(true);
          s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        } catch (java.io.IOException e) {
          throw new AssertionError("port " + port + " of " + n.name() + " is in use: another cluster runs on this"
              + " machine (run integration tests under flock /tmp/sluice-cluster.lock)", e);
        }
      }
    }
  }

  static void assertExact(ChaosRun.Result r) {
    assertEquals("FINISHED", r.status(), "the job did not finish");
    assertTrue(r.verdict() != null, "no verdict");
    assertTrue(r.verdict().exact(), r.verdict().summary() + " " + r.verdict().problems());
    assertEquals(0, r.verdict().lost());
    assertEquals(0, r.verdict().duplicated());
  }
}
