package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.internal.Shell;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The node network on the real kernel: what it creates, what it removes, its relay and its cuts.
 *
 * <p>Design of this test: its own names and subnet (prefix "sluicet", 10.213.9.0/24), so that it
 * never meets a cluster's network. A leftover of a "crashed run" (a namespace with a process in it,
 * the bridge) is made by hand first; creating the network must remove it. Inside a namespace, bash
 * probes TCP: through the relay to an echo server of this JVM on loopback; and to another node's
 * address where nothing listens, which answers "Connection refused" on an intact link, fails with
 * "Invalid argument" (the blackhole route) on the sender's side of a one-way cut, and hangs on the
 * other side (its packets arrive, the answers are dropped). Without root, creating the network must
 * fail saying so.
 */
class NodeNetworkIT {
  private static final NodeNetwork.Settings SETTINGS = new NodeNetwork.Settings("sluicet", "10.213.9");

  private static boolean root() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapEff:")) {
        return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 12 | 1L << 21)) == (1L << 12 | 1L << 21);
      }
    }
    return false;
  }

  private static String sh(String namespace, String script) {
    return Shell.SYSTEM.run(List.of("ip", "netns", "exec", namespace, "timeout", "10", "bash", "-c", script)).output();
  }

  @Test
  void whenCreatedOverALeftover_thenItReplacesItRelaysCutsHealsAndRemovesEverything() throws Exception {
    if (!root()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> NodeNetwork.create(SETTINGS, 2));
      assertTrue(e.getMessage().contains("need root"), e.getMessage());
      return;
    }
    Shell.SYSTEM.run(List.of("ip", "netns", "add", "sluicet-node-1"));
    Shell.SYSTEM.run(List.of("ip", "link", "add", "sluicetbr0", "type", "bridge"));
    Process leftover = new ProcessBuilder("ip", "netns", "exec", "sluicet-node-1", "sleep", "300").start();
    try (ServerSocket echo = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        NodeNetwork net = NodeNetwork.create(SETTINGS, 2)) {
      assertTrue(leftover.waitFor(30, TimeUnit.SECONDS), "the process left in the namespace still runs");
      String namespaces = Shell.SYSTEM.run(List.of("ip", "netns", "list")).output();
      assertTrue(namespaces.contains("sluicet-node-1") && namespaces.contains("sluicet-node-2"), namespaces);
      assertEquals("10.213.9.12", net.address(1));

      Thread server = new Thread(() -> serve(echo));
      server.setDaemon(true);
      server.start();
      String relayed = net.relay("127.0.0.1:" + echo.getLocalPort());
      assertEquals("10.213.9.1:" + echo.getLocalPort(), relayed);
      String probe = "exec 3<>/dev/tcp/10.213.9.1/" + echo.getLocalPort() + " && echo hello >&3 && head -n1 <&3";
      assertEquals("hello", sh("sluicet-node-2", probe));
      net.faults().cutFromRelays(1);
      assertFalse(sh("sluicet-node-2", probe).contains("hello"), "node 2 still reaches the relay");
      assertEquals("hello", sh("sluicet-node-1", probe));

      String toNode1 = "exec 3<>/dev/tcp/10.213.9.11/9; echo";
      assertTrue(sh("sluicet-node-2", toNode1).contains("Connection refused"), sh("sluicet-node-2", toNode1));
      net.faults().cutOneWay(1, 0);
      assertTrue(sh("sluicet-node-2", toNode1).contains("Invalid argument"), sh("sluicet-node-2", toNode1));
      // node 1's packets still leave (no local route drops them), but node 2's answer is dropped: the
      // connection attempt neither fails at once nor is refused, it hangs until the probe gives up
      String toNode2 = sh("sluicet-node-1", "timeout 2 bash -c 'exec 3<>/dev/tcp/10.213.9.12/9'; echo exit $?");
      assertTrue(toNode2.contains("exit 124") && !toNode2.contains("Invalid argument"), toNode2);

      net.faults().heal();
      assertTrue(sh("sluicet-node-2", toNode1).contains("Connection refused"), sh("sluicet-node-2", toNode1));
      assertEquals("hello", sh("sluicet-node-2", probe));
    } finally {
      leftover.destroyForcibly();
    }
    String namespaces = Shell.SYSTEM.run(List.of("ip", "netns", "list")).output();
    assertFalse(namespaces.contains("sluicet-"), namespaces);
    assertFalse(Shell.SYSTEM.run(List.of("ip", "link", "show", "sluicetbr0")).ok(), "the bridge is still there");
    assertFalse(Shell.SYSTEM.run(List.of("ip", "link", "show", "sluicet-v1")).ok(), "a veth is still there");
  }

  private static void serve(ServerSocket echo) {
    while (!echo.isClosed()) {
      try {
        Socket s = echo.accept();
        Thread t = new Thread(() -> {
          try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            in.transferTo(out);
          } catch (IOException e) {
            // the probe went away
          }
        });
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }
}
