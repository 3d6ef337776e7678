package io.sluice.cluster.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.dsl.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosReportTest {
  @TempDir
  Path tmp;

  private static final Verdict EXACT = new Verdict(true, 100, 100, 0, 0, 0, List.of(), "EXACT: 100 of 100");
  private static final ChaosRun.Settings SETTINGS = new ChaosRun.Settings("keyed-totals", Map.of(),
      Duration.ofMinutes(2), Duration.ofSeconds(40), Duration.ofSeconds(5), 42, null, null, null, null,
      Duration.ofMinutes(2), List.of(), null, null, false, List.of())
      .withNetworkFaults(Duration.ofSeconds(25), Duration.ofSeconds(12));

  private static List<ChaosRun.Fault> faults() {
    return List.of(
        new ChaosRun.Fault("isolate", "node-1", 12.5, 24.6, 7.2, "stayed: node-2, node-3; downed themselves: node-1",
            Map.of("j/sum/0", 1L), new ChaosRun.Network("node-1 | node-2 + node-3", 12, List.of("node-2", "node-3"),
                List.of("node-1"))),
        new ChaosRun.Fault("kill", "node-2", 40, 45.0, 4.1, "SIGKILL", Map.of()),
        new ChaosRun.Fault("cut-one-way", "node-2 + node-3", 62.5, 74.5, null, "",
            Map.of(), new ChaosRun.Network("node-2 -> node-3", 12, List.of("node-1", "node-2", "node-3"), List.of())));
  }

  private static ChaosRun.Result result(ChaosRun.JournalVerdict journal) {
    return new ChaosRun.Result("keyed-totals-1", "FINISHED", EXACT, faults(), List.of(new double[] {0, 0},
        new double[] {50, 5000}, new double[] {100, 10000}), 10000, 100, null, null, List.of("keyed-totals-1"), journal);
  }

  @Test
  void theReportMarksEachNetworkFaultWithItsKindSidesAndDurationNextToTheKills() {
    String html = ChaosReport.html(result(new ChaosRun.JournalVerdict(6, 1200, List.of(), null)), SETTINGS,
        "node-1, node-2, node-3");
    // on the chart's timeline
    assertTrue(html.contains(">isolate node-1 | node-2 + node-3 (12.0 s)</text>"), html);
    assertTrue(html.contains(">cut-one-way node-2 -&gt; node-3 (12.0 s)</text>"), html);
    assertTrue(html.contains(">kill node-2</text>"), html);
    // in the table of network faults: sides, held, flowing again, who stayed, who downed itself
    assertTrue(html.contains("<tr class=partition><td class=l style=\"color:#9467bd\">isolate</td><td class=l>node-1 |"
        + " node-2 + node-3</td><td>12.5</td><td>12.0</td><td>24.6</td><td>7.2</td><td class=l>node-2, node-3</td>"
        + "<td class=l>node-1</td></tr>"), html);
    assertTrue(html.contains("<td class=l>node-1, node-2, node-3</td><td class=l>none</td>"), html);
    assertTrue(html.contains("a network fault (isolate, split, cut pair, cut one way, cut from Cassandra) every 25 s,"
        + " healed after 12 s"), html);
    assertTrue(html.contains("none written by two incarnations interleaved"), html);
    assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains("<script"), "the report has no script");
  }

  @Test
  void reportJsonListsThePartitionsAndTheJournalCheck() throws Exception {
    Path html = ChaosReport.write(tmp.resolve("run").resolve("report.html"),
        result(new ChaosRun.JournalVerdict(6, 1200, List.of(), null)), SETTINGS, "nodes");
    JsonNode json = new ObjectMapper().readTree(Files.readString(html.resolveSibling("report.json")));
    assertEquals(3, json.get("faults").asInt());
    JsonNode partitions = json.get("partitions");
    assertEquals(2, partitions.size(), json.toString());
    JsonNode first = partitions.get(0);
    assertEquals("isolate", first.get("kind").asText());
    assertEquals("node-1 | node-2 + node-3", first.get("sides").asText());
    assertEquals(12.5, first.get("atSeconds").asDouble());
    assertEquals(12.0, first.get("heldSeconds").asDouble());
    assertEquals(7.2, first.get("flowingAgainSeconds").asDouble());
    assertEquals("[\"node-1\"]", first.get("downed").toString());
    assertTrue(partitions.get(1).get("flowingAgainSeconds").isNull());
    assertTrue(json.get("journal").get("ok").asBoolean());
    assertTrue(json.get("exact").asBoolean());
  }

  @Test
  void anInterleavingInTheJournalFailsTheVerdictAndTheReportSaysWhere() {
    String problem = "j/sum/0: incarnation 5 wrote event #3 after incarnation 9 had taken over";
    ChaosRun.Result r = result(new ChaosRun.JournalVerdict(6, 1200, List.of(problem), null));
    assertFalse(r.exact(), "an interleaving must fail the verdict");
    String html = ChaosReport.html(r, SETTINGS, "nodes");
    assertTrue(html.contains("<p class=bad>journal: 1 of 6 instance(s) written by two incarnations interleaved"),
        html);
    assertTrue(html.contains("<li>" + problem + "</li>"), html);
    assertFalse(result(new ChaosRun.JournalVerdict(0, 0, List.of(), "no session")).exact(),
        "an unread journal must fail the verdict");
    assertTrue(result(null).exact());
  }
}
