package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.cassandra.DevCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example files of conf/multi-host/ load as a node would load them, and say what the README
 * says they say: so that the examples cannot rot.
 */
class MultiHostConfigTest {
  @TempDir
  Path home;

  private static final List<String> SEEDS = List.of("pekko://sluice@sluice-1.example.internal:25520",
      "pekko://sluice@sluice-2.example.internal:25520", "pekko://sluice@sluice-3.example.internal:25520");

  /** The three nodes, loaded in a working directory with the token file that base.conf names. */
  private List<NodeConfig> load() throws IOException {
    Files.createDirectories(home.resolve("conf"));
    Files.writeString(home.resolve("conf/api-token"), "0123456789abcdef0123456789abcdef\n");
    List<NodeConfig> nodes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      nodes.add(NodeConfig.load(DevCassandra.home().resolve("conf/multi-host/node-" + i + ".conf"),
          ConfigFactory.empty(), home));
    }
    return nodes;
  }

  @Test
  void eachNodeAdvertisesItsHostsNameAndListensWhereItsFileSays() throws IOException {
    List<NodeConfig> nodes = load();
    String[] bindHosts = {"10.0.0.11", "10.0.0.12", "0.0.0.0"};
    int[] bindPorts = {25520, 25520, 2552};
    for (int i = 0; i < 3; i++) {
      NodeConfig c = nodes.get(i);
      String name = "sluice-" + (i + 1) + ".example.internal";
      assertEquals("node-" + (i + 1), c.nodeName());
      assertEquals(name, c.host());
      assertEquals(25520, c.port());
      assertEquals("pekko://sluice@" + name + ":25520", c.address());
      assertEquals(bindHosts[i], c.bindHost());
      assertEquals(bindPorts[i], c.bindPort());
      assertEquals(bindHosts[i], c.httpHost());
      assertEquals(8550, c.httpPort());
      assertEquals(List.of("worker"), c.roles());
    }
  }

  @Test
  void everyNodeHasTheSameSeeds_andEachSeedIsTheAddressOfAnExampleNode() throws IOException {
    List<NodeConfig> nodes = load();
    List<String> addresses = nodes.stream().map(NodeConfig::address).toList();
    for (NodeConfig c : nodes) {
      assertEquals(SEEDS, c.seedNodes());
      assertTrue(addresses.containsAll(c.seedNodes()), c.seedNodes() + " vs " + addresses);
    }
  }

  @Test
  void theHttpApiListensBeyondLoopbackOnlyWithAToken() throws IOException {
    for (NodeConfig c : load()) {
      assertEquals(Optional.of(home.resolve("conf/api-token")), c.httpTokenFile());
      assertFalse(c.httpOpenBeyondLoopback(), c.nodeName());
    }
  }

  @Test
  void cassandraHasThreeContactPoints_aDataCenter_andQuorumEverywhere() throws IOException {
    for (NodeConfig c : load()) {
      assertEquals(List.of("cassandra-1.example.internal:9042", "cassandra-2.example.internal:9042",
          "cassandra-3.example.internal:9042"), c.contactPoints());
      assertEquals("dc1", c.localDatacenter());
      assertEquals("sluice", c.keyspace());
      Config k = c.config();
      assertEquals(c.contactPoints(), k.getStringList("datastax-java-driver.basic.contact-points"));
      assertEquals("dc1", k.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
      assertEquals(3, k.getInt("pekko.persistence.cassandra.journal.replication-factor"));
      // a recovery on another node must read what the journal, snapshots and state store wrote
      for (String profile : List.of("", "profiles.pekko-persistence-cassandra-profile.",
          "profiles.pekko-persistence-cassandra-snapshot-profile.")) {
        assertEquals("QUORUM", k.getString("datastax-java-driver." + profile + "basic.request.consistency"), profile);
      }
    }
  }

  @Test
  void theTimingsAreTheRealNetworkOnesTheReadmeGives_andFitTogether() throws IOException {
    for (NodeConfig c : load()) {
      Config k = c.config();
      Duration pause = k.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause");
      Duration stableAfter = k.getDuration("pekko.cluster.split-brain-resolver.stable-after");
      Duration margin = k.getDuration("pekko.cluster.down-removal-margin");
      Duration fence = k.getDuration("sluice.node.pause-fence");
      assertEquals(Duration.ofSeconds(1), k.getDuration("pekko.cluster.failure-detector.heartbeat-interval"));
      assertEquals(Duration.ofSeconds(3), pause);
      // Pekko's smallest recommended stable-after (given for 5 nodes), and the margin equal to it
      assertEquals(Duration.ofSeconds(7), stableAfter);
      assertEquals(stableAfter, margin);
      assertEquals("on", k.getString("pekko.cluster.split-brain-resolver.down-all-when-unstable"));
      assertEquals("keep-majority", k.getString("pekko.cluster.split-brain-resolver.active-strategy"));
      // a node frozen long enough to be downed must halt before it can write next to its replacement
      assertEquals(Duration.ofSeconds(5), fence);
      assertTrue(fence.compareTo(pause.plus(stableAfter)) < 0, fence + " vs " + pause + " + " + stableAfter);
    }
  }
}
