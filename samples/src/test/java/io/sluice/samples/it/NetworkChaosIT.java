package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.chaos.ChaosReport;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.cluster.chaos.NetworkSchedule;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class NetworkChaosIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static final String NAME = "network-chaos";
  /**
   * The seed: its plan isolates node-3, cuts node-3 from Cassandra, splits node-2 off, then cuts
   * node-3 -> node-1. Seed 42's first fault cuts node-1 -> node-2, which found a split brain while
   * only nodes 1 and 2 were seeds (two clusters ran the job); every node is a seed now, and
   * NetworkFaultsIT's one-way test proves exactly that cut.
   */
  private static final long SEED = 21;
  private static final Duration WINDOW = Duration.ofSeconds(120);
  private static final Duration EVERY = Duration.ofSeconds(25);
  private static final Duration HELD = Duration.ofSeconds(10);

  /*
   * Design of this test: the chaos engine as `sluice chaos --network` runs it: three node JVMs, each
   * in its own network namespace (Cassandra through the relay on the bridge), run keyed running
   * totals (1,680,000 records, 8,000 keys, rate-limited to run ~140 s). In a 120 s fault window a
   * network fault is due every 25 s and held for 10 s — kinds and nodes drawn from the seed
   * (isolate, split 2 | 1, cut pair, cut one way, cut from Cassandra) — and a node is killed every
   * 40 s, a node that runs a totals instance; each waits until the cluster is whole again and the
   * records of the faults before flow again; nodes that downed themselves are started after the heal. The job must finish with exact output; the journal of every instance must show
   * no persistence id written by two incarnations interleaved; the network faults made must be the
   * seeded plan's, in order, each with its records flowing again; report.html marks each one with
   * its kind, sides and duration. Per fault recovery times and surviving sides are printed.
   */
  @Test
  void whenPartitionsAndKillsMixWhileAJobRuns_thenTheOutputIsExactAndNoInstanceHadTwoLiveWriters()
      throws Exception {
    ChaosRun.Settings base = ChaosScenarios.keyedTotals(NAME, 8_000, 210, 12_000);
    ChaosRun.Settings s = new ChaosRun.Settings(base.pipeline(), base.parameters(), WINDOW, Duration.ofSeconds(40),
        Duration.ofSeconds(5), SEED, null, Duration.ofSeconds(8), null, Duration.ZERO, Duration.ofMinutes(3),
        List.of()).withNetworkFaults(EVERY, HELD).withVictimOperator("totals"); // kills hit a node with work
    ChaosRun.Result r = ChaosScenarios.runInNamespaces(cassandra, NAME, s);
    Path html = ChaosReport.write(DevCassandra.home().resolve("target/it-logs").resolve(NAME).resolve("report.html"),
        r, s, ChaosScenarios.NODES.toString());
    System.out.println("[" + NAME + "] report: " + html);
    for (ChaosRun.Fault f : r.networkFaults()) {
      System.out.printf("[%s] %-13s %-26s at %5.1f s, held %.0f s: records flowing again after %s s; stayed %s;"
          + " downed themselves %s%n", NAME, f.kind(), f.network().sides(), f.atSeconds(), f.network().heldSeconds(),
          f.recoverySeconds() == null ? "?" : String.format("%.1f", f.recoverySeconds()), f.network().stayed(),
          f.network().downed());
    }
    System.out.println("[" + NAME + "] " + (r.journal() == null ? "journal not checked" : r.journal().summary()));

    ChaosScenarios.assertExact(r);
    assertNotNull(r.journal(), "a network run checks the journal");
    assertTrue(r.journal().ok(), r.journal().summary() + " " + r.journal().interleavings());
    assertTrue(r.journal().instances() > 0 && r.journal().events() > 0, r.journal().summary());
    assertTrue(r.exact());

    List<ChaosRun.Fault> net = r.networkFaults();
    assertTrue(net.size() >= 2, "fewer than two network faults were made: " + r.faults());
    assertTrue(r.faults().stream().anyMatch(f -> f.kind().equals("kill")), "no node was killed: " + r.faults());
    List<NetworkSchedule.Planned> plan = NetworkSchedule.plan(SEED, 3, WINDOW, EVERY, HELD);
    for (int i = 0; i < net.size(); i++) {
      NetworkSchedule.Planned p = plan.get(i);
      assertEquals(p.kind().label(), net.get(i).kind(), "fault " + i + " is not the seeded plan's: " + net);
      assertEquals(p.sides(k -> "node-" + (k + 1)), net.get(i).network().sides(), "fault " + i + ": " + net);
      assertNotNull(net.get(i).recoverySeconds(), "records did not flow again after " + net.get(i));
      // one side carried on: no fault of one node or one link may take the whole cluster down
      assertFalse(net.get(i).network().stayed().isEmpty(), "every node downed itself in " + net.get(i));
    }

    for (ChaosRun.Fault f : r.faults()) {
      assertNotNull(f.recoverySeconds(), "recovery of " + f + " not measured");
    }
    assertTrue(net.stream().anyMatch(f -> !f.network().downed().isEmpty() && !f.victims().isEmpty()),
        "no network fault made a node with instances down itself: the partitions tested little: " + net);

    String report = Files.readString(html);
    for (ChaosRun.Fault f : net) {
      String mark = escaped(f.kind() + " " + f.network().sides() + " (" + String.format(
          java.util.Locale.ROOT, "%.1f", f.network().heldSeconds()) + " s)");
      assertTrue(report.contains(">" + mark + "</text>"), "report.html does not mark " + mark);
    }
    assertEquals(net.size(), report.split("<tr class=partition>", -1).length - 1, "rows of the network table");
    assertTrue(Files.readString(html.resolveSibling("report.json")).contains("\"partitions\""));
  }

  /** Text as the report writes it. */
  private static String escaped(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
