package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A keyed state built faster than its captures store it, on three node JVMs with a node killed.
 *
 * <p>Design of this test: the large-state sample (every key's first record writes a 1,000-byte
 * payload; later records check it and add to the key's total) runs with a small bound on the
 * journal an instance may write after its last snapshot ({@code sluice.state.max-tail-bytes} 6
 * MiB) and small captures (1 MiB), so that while the state is built its keyed instances fall
 * behind and must catch up: consume nothing until their stored state caught up and a snapshot
 * landed. A node running a keyed instance is killed with SIGKILL when half of the records are
 * through and restarted 5 s later. The totals must be exact, every record's payload check must
 * pass (a lost or stale payload fails the job), and the nodes' logs must show that the keyed
 * instances fell behind and caught up again: without that, the test proves nothing about it.
 */
class StateCatchUpIT {
  private static final String NAME = "state-catch-up";

  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  @Test
  void whenKeyedStateGrowsFasterThanItIsStored_thenInstancesCatchUpAndAKilledNodeRecoversExactly()
      throws IOException {
    Path home = DevCassandra.home();
    Path logs = home.resolve("target/it-logs").resolve(NAME);
    NodeJobs.deleteTree(logs); // the log check below must see this run's lines only
    long keys = 100_000;
    long perKey = 3;
    Map<String, String> p = new LinkedHashMap<>();
    p.put("keys", Long.toString(keys));
    p.put("records-per-key", Long.toString(perKey));
    p.put("value-bytes", "1000");
    p.put("rate", "15000");
    p.put("output", home.resolve("target/it-out").resolve(NAME).toString());
    ChaosRun.Settings s = new ChaosRun.Settings("large-state", p, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5),
        11, null, Duration.ofSeconds(8), null, Duration.ZERO, Duration.ofMinutes(5), List.of(keys * perKey / 2))
        .withVictimOperator("totals");
    ChaosRun.Result r = ChaosScenarios.run(cassandra, NAME, s, List.of("-Dsluice.state.max-tail-bytes=6MiB",
        "-Dsluice.state.capture-bytes=1MiB", "-Dsluice.runtime.step-bytes=1MiB"));
    ChaosScenarios.assertExact(r);
    List<ChaosRun.Fault> kills = r.faults().stream().filter(f -> f.kind().equals("kill")).toList();
    assertEquals(1, kills.size(), "one node kill: " + r.faults());
    assertNotNull(kills.get(0).recoverySeconds(), "recovery not measured: " + r.faults());

    List<String> lines = nodeLogLines(logs);
    assertTrue(lines.stream().anyMatch(l -> l.contains("totals") && l.contains("its stored state fell behind")),
        "no keyed instance fell behind: the bound was never reached, so the catch-up was not exercised");
    assertTrue(lines.stream().anyMatch(l -> l.contains("totals") && l.contains("caught up with its stored state")),
        "a keyed instance fell behind and never caught up: " + lines);
    // the survivor that the victim's keyed instance goes to (the node without one: no tie) reads
    // its stored state while the victim is unreachable, before the recovery starts
    assertTrue(lines.stream().anyMatch(l -> l.contains("/totals/") && l.matches(".*read [1-9][0-9]* bytes of its"
        + " stored state ahead.*")), "the victim's keyed state was not read ahead: " + lines);
  }

  /** The nodes' log lines about catching up and reading state ahead. */
  private static List<String> nodeLogLines(Path dir) throws IOException {
    List<String> out = new java.util.ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
        for (String line : Files.readAllLines(f)) {
          if (line.contains("fell behind") || line.contains("caught up") || line.contains("stored state ahead")) {
            out.add(line);
          }
        }
      }
    }
    return out;
  }
}
