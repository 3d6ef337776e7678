package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.internal.Shell;
import io.sluice.persistence.cassandra.DevCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands the node network and its faults run, checked without root: a shell that only records them. */
class NodeNetworkTest {
  private final List<String> ran = new ArrayList<>();
  private final NodeNetwork net = new NodeNetwork(NodeNetwork.Settings.defaults(), 3, command -> {
    ran.add(String.join(" ", command));
    return new Shell.Result(0, "");
  });

  @Test
  void whenSplitTwoAgainstOne_thenEveryCrossingPairIsBlackholedBothWaysAndHealRemovesExactlyThose() {
    net.faults().split(List.of(0, 1));
    assertEquals(List.of(
        "ip -n sluice-node-1 route add blackhole 10.213.0.13/32",
        "ip -n sluice-node-3 route add blackhole 10.213.0.11/32",
        "ip -n sluice-node-2 route add blackhole 10.213.0.13/32",
        "ip -n sluice-node-3 route add blackhole 10.213.0.12/32"), ran);
    ran.clear();
    net.faults().heal();
    assertEquals(List.of(
        "ip -n sluice-node-1 route del blackhole 10.213.0.13/32",
        "ip -n sluice-node-3 route del blackhole 10.213.0.11/32",
        "ip -n sluice-node-2 route del blackhole 10.213.0.13/32",
        "ip -n sluice-node-3 route del blackhole 10.213.0.12/32"), ran);
    assertTrue(net.faults().cuts().isEmpty());
  }

  @Test
  void whenIsolatedAndThenSplit_thenNoRouteIsAddedTwice() {
    net.faults().isolate(2);
    net.faults().split(List.of(2));
    assertEquals(4, ran.size(), ran.toString());
    assertEquals(List.of(new NetworkFaults.Cut(2, 0), new NetworkFaults.Cut(0, 2), new NetworkFaults.Cut(2, 1),
        new NetworkFaults.Cut(1, 2)), net.faults().cuts());
  }

  @Test
  void whenCutOneWay_thenOnlyTheSenderGetsARoute() {
    net.faults().cutOneWay(1, 0);
    assertEquals(List.of("ip -n sluice-node-2 route add blackhole 10.213.0.11/32"), ran);
  }

  @Test
  void badFaultsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> net.faults().split(List.of(0, 1, 2)));
    assertThrows(IllegalArgumentException.class, () -> net.faults().split(List.of()));
    assertThrows(IllegalArgumentException.class, () -> net.faults().cutPair(1, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> net.faults().cutOneWay(0, 3));
    assertTrue(ran.isEmpty(), ran.toString());
  }

  @Test
  void whenACutFails_thenTheErrorNamesTheCommandAndItsOutput() {
    NodeNetwork failing = new NodeNetwork(NodeNetwork.Settings.defaults(), 2,
        command -> new Shell.Result(2, "RTNETLINK answers: Operation not permitted"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> failing.faults().cutOneWay(0, 1));
    assertEquals("'ip -n sluice-node-1 route add blackhole 10.213.0.12/32' failed (exit 2): RTNETLINK answers:"
        + " Operation not permitted", e.getMessage());
  }

  @Test
  void theSetupNamesFitLinuxInterfaceNamesAndTheTeardownRemovesWhatItMade() {
    NodeNetwork big = new NodeNetwork(new NodeNetwork.Settings("sluicex", "192.168.77"), 200, c -> null);
    for (List<String> c : big.setupCommands()) {
      for (String token : c) {
        if (token.startsWith("sluicex") && !token.contains("-node-")) { // an interface: at most 15 characters
          assertTrue(token.length() <= 15, token + " in " + c);
        }
      }
    }
    assertEquals("192.168.77.210", big.address(199));
    List<String> setup = net.setupCommands().stream().map(c -> String.join(" ", c)).toList();
    assertEquals("ip link add sluicebr0 type bridge", setup.get(0));
    assertTrue(setup.contains("ip -n sluice-node-2 addr add 10.213.0.12/24 dev eth0"), setup.toString());
    assertTrue(setup.contains("ip link set sluice-v3 master sluicebr0"), setup.toString());
    assertEquals(List.of("ip link del sluice-v1", "ip netns del sluice-node-1", "ip link del sluice-v2",
        "ip netns del sluice-node-2", "ip link del sluice-v3", "ip netns del sluice-node-3", "ip link del sluicebr0"),
        net.teardownCommands().stream().map(c -> String.join(" ", c)).toList());
    assertEquals(List.of("ip", "netns", "exec", "sluice-node-2"), net.launcher(1));
  }

  @Test
  void settingsRefuseNamesTooLongAndPublicSubnets() {
    assertThrows(IllegalArgumentException.class, () -> new NodeNetwork.Settings("sluicenet", "10.213.0"));
    assertThrows(IllegalArgumentException.class, () -> new NodeNetwork.Settings("Sluice", "10.213.0"));
    assertThrows(IllegalArgumentException.class, () -> new NodeNetwork.Settings("sluice", "8.8.8"));
    assertThrows(IllegalArgumentException.class, () -> new NodeNetwork.Settings("sluice", "10.213.300"));
    assertThrows(IllegalArgumentException.class, () -> new NodeNetwork.Settings("sluice", "172.32.0"));
  }

  @Test
  void theGeneratedNodeFilesMoveEveryAddressIntoTheNetwork(@TempDir Path dir) throws IOException {
    Path home = DevCassandra.home();
    List<NodeConfig> own = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      own.add(NodeConfig.load(home.resolve("conf/node-" + i + ".conf")));
    }
    Path file = dir.resolve("node-2.conf");
    Files.writeString(file, LocalCluster.namespaceNodeFile(own, 1, net, List.of("10.213.0.1:9042")));
    NodeConfig moved = NodeConfig.load(file);
    assertEquals("10.213.0.12", moved.host());
    assertEquals(own.get(1).port(), moved.port());
    assertEquals("10.213.0.12", moved.httpHost());
    assertEquals(own.get(1).httpPort(), moved.httpPort());
    assertEquals(List.of("pekko://sluice@10.213.0.11:25521", "pekko://sluice@10.213.0.12:25522",
        "pekko://sluice@10.213.0.13:25523"), moved.seedNodes());
    assertEquals(List.of("10.213.0.1:9042"), moved.contactPoints());
    assertEquals(own.get(1).roles(), moved.roles());
  }

  @Test
  void whenASeedIsNotANodeOfTheCluster_thenTheGeneratedFileIsRefusedSayingWhy() {
    Path home = DevCassandra.home();
    List<NodeConfig> own = List.of(NodeConfig.load(home.resolve("conf/node-1.conf")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LocalCluster.namespaceNodeFile(own, 0, new NodeNetwork(NodeNetwork.Settings.defaults(), 1, c -> null),
            List.of()));
    assertTrue(e.getMessage().contains("the seed pekko://sluice@127.0.0.1:25522 is not a node of this cluster"),
        e.getMessage());
  }
}
