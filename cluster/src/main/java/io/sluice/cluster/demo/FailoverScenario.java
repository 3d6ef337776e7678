package io.sluice.cluster.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Starts a local cluster, shows it formed, kills the node where a canary entity lives with SIGKILL,
 * and shows that the survivors removed it and that the canary runs again on a survivor with its
 * state: the foundation demo ({@code bin/sluice demo}) and {@code ClusterFailoverIT}.
 */
public final class FailoverScenario {
  /** What happened, with the timings. */
  public record Result(double readySeconds, String victim, String canary, long pingsBefore, String movedTo,
      long pingsAfter, double removedSeconds, double runningAgainSeconds) {}

  private final LocalCluster cluster;
  private final PrintStream out;

  public FailoverScenario(LocalCluster cluster, PrintStream out) {
    this.cluster = cluster;
    this.out = out;
  }

  /** Runs the scenario; throws {@link IllegalStateException} saying what did not happen in time. */
  public Result run() {
    int n = cluster.nodes().size();
    int victim = n - 1;
    out.println("starting " + n + " nodes: " + cluster.nodes().stream().map(LocalCluster.Node::name).toList());
    double ready = cluster.startAll();
    List<Integer> all = cluster.indexes();
    out.printf("cluster formed: %d members Up, all nodes ready %.1f s after start%n", n, ready);
    printMembers();

    String victimName = cluster.node(victim).name();
    String canary = null;
    long pings = 0;
    for (int c = 0; c < 100 && canary == null; c++) {
      Optional<JsonNode> pong = cluster.awaitAnswer(0, "/canary/c" + c, j -> j.path("httpStatus").asInt() == 200,
          Duration.ofSeconds(30));
      check(pong.isPresent(), "canary c" + c + " did not answer");
      out.printf("  canary c%d lives on %s%n", c, pong.get().path("node").asText());
      if (victimName.equals(pong.get().path("node").asText())) {
        canary = "c" + c;
        pings = pong.get().path("pings").asLong();
      }
    }
    check(canary != null, "no canary landed on " + victimName);

    out.printf("killing %s (SIGKILL), where canary %s lives with %d ping(s)%n", victimName, canary, pings);
    long killedAt = cluster.kill(victim);
    all.remove(Integer.valueOf(victim));
    check(cluster.awaitMembersUp(0, all, Duration.ofSeconds(90)), "the survivors did not remove " + victimName);
    double removed = (System.nanoTime() - killedAt) / 1e9;
    out.printf("%s was downed and removed by the survivors after %.1f s%n", victimName, removed);
    printMembers();
    Optional<JsonNode> back = cluster.awaitAnswer(0, "/canary/" + canary, j -> j.path("httpStatus").asInt() == 200,
        Duration.ofSeconds(90));
    double running = (System.nanoTime() - killedAt) / 1e9;
    check(back.isPresent(), "canary " + canary + " did not come back on a survivor");
    String movedTo = back.get().path("node").asText();
    long after = back.get().path("pings").asLong();
    out.printf("canary %s runs again on %s %.1f s after the kill, state recovered from Cassandra: %d ping(s)"
        + " before, %d now%n", canary, movedTo, running, pings, after);
    return new Result(ready, victimName, canary, pings, movedTo, after, removed, running);
  }

  private void printMembers() {
    cluster.get(0, "/cluster").ifPresent(j -> {
      for (JsonNode m : j.path("members")) {
        out.printf("  %-32s %-8s %s%n", m.path("address").asText(), m.path("status").asText(),
            m.path("reachable").asBoolean() ? "reachable" : "UNREACHABLE");
      }
    });
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }
}
