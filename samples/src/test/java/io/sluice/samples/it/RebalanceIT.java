package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.runtime.ServicePipelineResolver;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RebalanceIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static final String NAME = "rebalance";

  /*
   * Design of this test: three node JVMs from conf/ run keyed running totals with parallelism 4
   * (three operators of four instances: the generator, the totals and the file sink), rate-limited
   * so that it runs about 200 s. Once records flow, a fourth node joins. The
   * cluster must move instances to it, one at a time, until every operator is spread evenly over
   * the four nodes: each node runs one instance of each operator (asserted from the job's view of
   * where each instance reports from). Then node-2 gets SIGTERM: it must hand its instances over
   * and exit by itself (not be SIGKILLed after 60 s). The job must finish with exact output,
   * checked against the pipeline's own independent right answer.
   */
  @Test
  void whenANodeJoinsMidRun_thenInstancesMoveToItUntilEven_andAGracefulLeaveLosesNothing() throws Exception {
    Path home = DevCassandra.home();
    Path work = home.resolve("target/it-work").resolve(NAME);
    Files.createDirectories(work);
    Path node4 = Files.writeString(work.resolve("node-4.conf"), "include file(\"" + home.resolve("conf/base.conf")
        + "\")\npekko.remote.artery.canonical.port = 25524\npekko.cluster.roles = [\"worker\"]\n"
        + "sluice.node.http.port = 8554\n");
    List<Path> configs = new ArrayList<>(ChaosScenarios.NODES);
    configs.add(node4);
    Path out = home.resolve("target/it-out").resolve(NAME);
    NodeJobs.deleteTree(out);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("keys", "10000");
    params.put("records-per-key", "200");
    params.put("rate", "10000");
    params.put("parallelism", "4");
    params.put("output", out.toString());
    Path logs = home.resolve("target/it-logs").resolve(NAME);
    NodeJobs.deleteTree(logs); // the moves are counted in these logs: none from an earlier run
    List<String> flags = new ArrayList<>(cassandra.jvmFlags());
    // the mechanism, not the defaults' patience (15 s to settle, 5 s between moves), is what this tests
    flags.add("-Dsluice.balance.settle=5s");
    flags.add("-Dsluice.balance.interval=2s");
    try (LocalCluster cluster = new LocalCluster(home, configs, flags, logs)) {
      ChaosScenarios.assertPortsFree(cluster);
      for (int i = 0; i < 3; i++) {
        cluster.start(i);
      }
      for (int i = 0; i < 3; i++) {
        assertTrue(cluster.awaitReady(i, Duration.ofSeconds(180)), "node " + i + " not ready:\n" + cluster.tail(i, 40));
      }
      assertTrue(cluster.awaitMembersUp(0, List.of(0, 1, 2), Duration.ofSeconds(60)), "the cluster did not form");
      String job = NodeJobs.submit(cluster, "keyed-totals", params);
      NodeJobs.awaitSinkRecords(cluster, job, 100_000, Duration.ofSeconds(120));
      Map<String, Map<String, Integer>> before = placement(cluster, job);
      System.out.println("[" + NAME + "] on three nodes: " + before);
      assertTrue(before.values().stream().noneMatch(m -> m.containsKey("node-4")));

      LocalDateTime fourthStarted = LocalDateTime.now(); // the nodes' log clock: same host, same zone
      cluster.start(3);
      assertTrue(cluster.awaitReady(3, Duration.ofSeconds(180)), "node-4 not ready:\n" + cluster.tail(3, 40));
      assertTrue(cluster.awaitMembersUp(0, List.of(0, 1, 2, 3), Duration.ofSeconds(60)), "node-4 did not join");
      long joined = System.nanoTime();
      // every operator: one instance on each of the four nodes
      Optional<JsonNode> even = cluster.awaitAnswer(0, "/jobs/" + job, j -> isEven(j, 4, 1),
          Duration.ofSeconds(120));
      Map<String, Map<String, Integer>> after = placement(cluster, job);
      assertTrue(even.isPresent(), "the instances did not spread over the four nodes within 120 s: " + after
          + "\nnode-1's log:\n" + cluster.tail(0, 30));
      System.out.printf("[%s] spread over four nodes %.1f s after node-4 was up and ready: %s%n", NAME,
          (System.nanoTime() - joined) / 1e9, after);
      assertEquals("RUNNING", even.get().path("status").asText(), "the job must still be running while it spreads");

      long sent = System.nanoTime();
      int exit = cluster.stop(1, Duration.ofSeconds(60));
      System.out.printf("[%s] node-2 left after SIGTERM in %.1f s, exit code %d%n", NAME,
          (System.nanoTime() - sent) / 1e9, exit);
      assertNotEquals(137, exit, "node-2 did not exit within 60 s of SIGTERM and was killed:\n" + cluster.tail(1, 40));
      assertTrue(cluster.awaitMembersUp(0, List.of(0, 2, 3), Duration.ofSeconds(60)), "node-2 did not leave");

      JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
      assertEquals("FINISHED", end.path("status").asText(), end.toString());
      Verdict v = new ServicePipelineResolver(RebalanceIT.class.getClassLoader()).factories().get("keyed-totals")
          .verify(Parameters.of(params), job).orElseThrow();
      System.out.println("[" + NAME + "] VERDICT: " + v.summary());
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(2_000_000, v.expected());
      assertEquals(0, v.lost());
      assertEquals(0, v.duplicated());
      // the joined node took one instance of each operator; nothing moved towards the node that left
      // (while it hands its instances over, its region is still registered), nor back and forth.
      // Before node-4 started, the three nodes may have evened out a placement made while one of
      // their regions was not registered yet (seen in CI: one move, to 4/4/4 instances); those moves
      // are not counted, but no instance may move twice: of an operator's instances on a node, the
      // one moved least recently moves (seen in CI before that rule: the instance moved before the
      // join moved again to node-4).
      List<String> moves = movesLogged(logs);
      List<String> afterJoin = moves.stream().filter(m -> !loggedAt(m).isBefore(fourthStarted)).toList();
      assertEquals(3, afterJoin.size(), "moves for balance after node-4 started at " + fourthStarted + ": " + moves);
      assertTrue(afterJoin.stream().allMatch(m -> m.contains("127.0.0.1:25524/")), "a move not to node-4: " + moves);
      List<String> moved = moves.stream().map(RebalanceIT::movedInstance).toList();
      assertEquals(moved.size(), new HashSet<>(moved).size(), "an instance moved twice: " + moves);
    }
  }

  /** Per operator, how many of its instances report from each node. */
  private static Map<String, Map<String, Integer>> placement(LocalCluster cluster, String job) {
    JsonNode j = cluster.get(0, "/jobs/" + job).orElseThrow();
    Map<String, Map<String, Integer>> m = new TreeMap<>();
    for (JsonNode op : j.path("operators")) {
      Map<String, Integer> per = new TreeMap<>();
      for (JsonNode n : op.path("instanceNodes")) {
        per.merge(n.asText(), 1, Integer::sum);
      }
      m.put(op.path("name").asText(), per);
    }
    return m;
  }

  /** Every operator has exactly {@code each} instances reporting from each of {@code nodes} nodes. */
  private static boolean isEven(JsonNode job, int nodes, int each) {
    if (job.path("operators").isEmpty()) {
      return false;
    }
    for (JsonNode op : job.path("operators")) {
      Map<String, Integer> per = new TreeMap<>();
      for (JsonNode n : op.path("instanceNodes")) {
        per.merge(n.asText(), 1, Integer::sum);
      }
      if (per.size() != nodes || per.containsKey("") || per.values().stream().anyMatch(c -> c != each)) {
        return false;
      }
    }
    return true;
  }

  private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
  private static final Pattern MOVED = Pattern.compile("moving instance (\\S+) for balance");

  /** When a node logged a line (its first 23 characters: the logback pattern's date). */
  private static LocalDateTime loggedAt(String line) {
    return LocalDateTime.parse(line.substring(0, 23), LOG_TIME);
  }

  private static String movedInstance(String line) {
    Matcher m = MOVED.matcher(line);
    assertTrue(m.find(), "not a move: " + line);
    return m.group(1);
  }

  private static List<String> movesLogged(Path logs) throws IOException {
    List<String> moves = new ArrayList<>();
    try (Stream<Path> files = Files.list(logs)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
        Files.readAllLines(f).stream().filter(l -> l.contains("moving instance ") && l.contains(" for balance:"))
            .forEach(moves::add);
      }
    }
    return moves;
  }
}
