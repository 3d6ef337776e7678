package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.internal.TlsKeys;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ClusterTlsIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static List<String> tlsFlags(Path keys) {
    List<String> flags = new ArrayList<>(cassandra.jvmFlags());
    flags.add("-Dsluice.node.tls.enabled=on");
    flags.add("-Dsluice.node.tls.key-store=" + keys.resolve(TlsKeys.KEY_STORE));
    flags.add("-Dsluice.node.tls.trust-store=" + keys.resolve(TlsKeys.TRUST_STORE));
    flags.add("-Dsluice.node.tls.password-file=" + keys.resolve(TlsKeys.PASSWORD));
    return flags;
  }

  private static String log(Path dir, String node) {
    try {
      Path f = dir.resolve(node + ".log");
      return Files.exists(f) ? Files.readString(f) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /*
   * Design of this test: nodes 1 and 2 get the cluster's development key pair (bin/sluice
   * tls-keys) and must form a cluster over Artery TLS. Node 3 gets a pair of its own, with the
   * same seed nodes: mutual authentication must refuse it. The refusal is awaited as a TLS
   * handshake failure in a log of either side; then node 3 must be no member of the cluster and
   * not ready, and nodes 1 and 2 still Up together.
   */
  @Test
  void nodesWithTheClustersKeyFormItOverTls_andANodeWithAnotherKeyCannotJoin() throws Exception {
    Path home = DevCassandra.home();
    Path keys = home.resolve("target/it-tls");
    TlsKeys.generate(keys.resolve("cluster"), "it-cluster", true);
    TlsKeys.generate(keys.resolve("stranger"), "it-stranger", true);
    Path memberLogs = home.resolve("target/it-logs/tls-members");
    Path strangerLogs = home.resolve("target/it-logs/tls-stranger");
    try (LocalCluster members = new LocalCluster(home, List.of(Path.of("conf/node-1.conf"),
        Path.of("conf/node-2.conf")), tlsFlags(keys.resolve("cluster")), memberLogs);
        LocalCluster stranger = new LocalCluster(home, List.of(Path.of("conf/node-3.conf")),
            tlsFlags(keys.resolve("stranger")), strangerLogs)) {
      long t0 = System.nanoTime();
      members.start(0);
      members.start(1);
      assertTrue(members.awaitMembersUp(0, List.of(0, 1), Duration.ofSeconds(120)),
          "nodes 1 and 2 did not form a cluster over TLS:\n" + members.tail(0, 40) + "\n" + members.tail(1, 40));
      System.out.printf("[cluster-tls] nodes 1 and 2 Up over TLS after %.1f s%n", (System.nanoTime() - t0) / 1e9);
      assertTrue(log(memberLogs, "node-1").contains("tls-tcp"), "node 1 did not start Artery over TLS:\n"
          + members.tail(0, 40));

      long t1 = System.nanoTime();
      stranger.start(0);
      assertTrue(LocalCluster.await(Duration.ofSeconds(90), () -> (log(strangerLogs, "node-3") + log(memberLogs,
          "node-1") + log(memberLogs, "node-2")).contains("SSLHandshakeException")),
          "no TLS handshake was refused:\n" + stranger.tail(0, 60));
      System.out.printf("[cluster-tls] node 3 (another key) refused after %.1f s%n", (System.nanoTime() - t1) / 1e9);
      JsonNode cluster = members.get(0, "/cluster").orElseThrow();
      List<String> seen = new ArrayList<>();
      for (JsonNode m : cluster.path("members")) {
        seen.add(m.path("address").asText() + " " + m.path("status").asText());
      }
      assertEquals(List.of(members.node(0).address() + " Up", members.node(1).address() + " Up"), seen);
      // node 3 may still be starting (its HTTP API serves once its start is done): wait for its answer
      long t2 = System.nanoTime();
      Optional<JsonNode> ready = stranger.awaitAnswer(0, "/ready", j -> true, Duration.ofSeconds(60));
      assertTrue(ready.isPresent(), "node 3 does not answer /ready within 60 s:\n" + stranger.tail(0, 60));
      System.out.printf("[cluster-tls] node 3 answers /ready after %.1f s more%n", (System.nanoTime() - t2) / 1e9);
      assertEquals(503, ready.get().path("httpStatus").asInt(), "node 3 is ready: " + ready.get());
      assertTrue(members.allMembersUp(0), "nodes 1 and 2 are no longer Up together");
    }
  }
}
