package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.chaos.ChaosReport;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.core.dsl.Verdict;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos reports a node lists and serves: newest first with their verdicts, at most
 * {@link ChaosReports#MAX_LISTED}; a report as written, under a policy that runs no script; and
 * nothing outside the directory, whatever the path or a symbolic link says.
 */
class ChaosReportsTest {
  @TempDir
  Path tmp;

  private HttpApi http;

  private void serve(Path dir) throws IOException {
    http = new HttpApi("127.0.0.1", 0);
    ChaosReports.register(http, dir);
    http.start();
  }

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpProbe.get(http, path);
  }

  private String rawStatus(String path) throws IOException {
    return HttpProbe.rawStatus(http, path);
  }

  private static Path run(Path dir, String name, String html, String json, long modifiedMillis) throws IOException {
    Path d = Files.createDirectories(dir.resolve(name));
    Path report = Files.writeString(d.resolve("report.html"), html);
    if (json != null) {
      Files.writeString(d.resolve("report.json"), json);
    }
    Files.setLastModifiedTime(report, FileTime.fromMillis(modifiedMillis));
    return d;
  }

  @Test
  void listsTheNewestRunsWithTheirVerdicts_andServesEachAsWritten() throws Exception {
    Path dir = tmp.resolve("chaos");
    run(dir, "20261129-100000", "<h1>old</h1>", "{\"pipeline\":\"keyed-totals\",\"exact\":true,\"faults\":3}",
        1_000_000L);
    run(dir, "20261129-110000", "<h1>new</h1>", "{\"pipeline\":\"windows\",\"exact\":false,\"verdict\":\"lost 4\"}",
        2_000_000L);
    run(dir, "no-summary", "<h1>bare</h1>", null, 500_000L);
    Files.createDirectories(dir.resolve("logs-only")); // a run that died before its report
    serve(dir);

    HttpResponse<String> list = get("/chaos");
    assertEquals(200, list.statusCode(), list.body());
    JsonNode runs = HttpApi.JSON.readTree(list.body()).get("runs");
    assertEquals(3, runs.size(), list.body());
    assertEquals("20261129-110000", runs.get(0).get("run").asText(), "newest first");
    assertFalse(runs.get(0).get("exact").asBoolean());
    assertEquals("lost 4", runs.get(0).get("verdict").asText());
    assertEquals("20261129-100000", runs.get(1).get("run").asText());
    assertTrue(runs.get(1).get("exact").asBoolean());
    assertEquals(3, runs.get(1).get("faults").asInt());
    assertEquals("no-summary", runs.get(2).get("run").asText());
    assertFalse(runs.get(2).has("exact"), "no summary, no verdict");
    assertEquals("/chaos/no-summary/report.html", runs.get(2).get("url").asText());

    HttpResponse<String> report = get(runs.get(0).get("url").asText());
    assertEquals(200, report.statusCode());
    assertEquals("<h1>new</h1>", report.body());
    assertEquals("text/html; charset=utf-8", report.headers().firstValue("Content-Type").orElse(""));
    assertTrue(report.headers().firstValue("Content-Security-Policy").orElse("").startsWith("default-src 'none'"),
        "a report runs no script: " + report.headers().map());
  }

  @Test
  void listsAtMostTheNewestHundred() throws Exception {
    Path dir = tmp.resolve("many");
    for (int i = 0; i < ChaosReports.MAX_LISTED + 5; i++) {
      run(dir, String.format("run-%03d", i), "<p>" + i + "</p>", null, 1_000_000L + i * 1000L);
    }
    serve(dir);
    JsonNode answer = HttpApi.JSON.readTree(get("/chaos").body());
    assertEquals(ChaosReports.MAX_LISTED, answer.get("runs").size());
    assertEquals(ChaosReports.MAX_LISTED + 5, answer.get("total").asInt());
    assertEquals("run-104", answer.get("runs").get(0).get("run").asText());
  }

  @Test
  void servesNothingOutsideTheDirectory() throws Exception {
    Path dir = tmp.resolve("chaos");
    run(dir, "inside", "<p>in</p>", null, 1_000_000L);
    Path outside = run(tmp, "outside", "<p>secret</p>", null, 1_000_000L);
    Files.createSymbolicLink(dir.resolve("linked-dir"), outside);
    Files.createDirectories(dir.resolve("linked-file"));
    Files.createSymbolicLink(dir.resolve("linked-file").resolve("report.html"), outside.resolve("report.html"));
    serve(dir);

    assertEquals(200, get("/chaos/inside/report.html").statusCode());
    assertEquals(404, get("/chaos/linked-dir/report.html").statusCode(), "a linked directory leads outside");
    assertEquals(404, get("/chaos/linked-file/report.html").statusCode(), "a linked report leads outside");
    assertEquals(404, get("/chaos/missing/report.html").statusCode());
    assertEquals(404, get("/chaos/inside/report.json").statusCode(), "only reports are served");
    assertTrue(rawStatus("/chaos/../outside/report.html").contains(" 404 "));
    assertTrue(rawStatus("/chaos/..%2Foutside/report.html").contains(" 404 "));
    assertTrue(rawStatus("/chaos/.hidden/report.html").contains(" 404 "));
    String listed = get("/chaos").body();
    assertFalse(listed.contains("outside") || listed.contains("linked-file"), listed);
  }

  @Test
  void aDirectoryNotWrittenYetOrNoneConfiguredListsNothing() throws Exception {
    serve(tmp.resolve("not-yet"));
    assertEquals(0, HttpApi.JSON.readTree(get("/chaos").body()).get("runs").size());
    http.close();
    serve(null);
    assertEquals(0, HttpApi.JSON.readTree(get("/chaos").body()).get("runs").size());
    assertEquals(404, get("/chaos/any/report.html").statusCode());
  }

  @Test
  void theChaosToolWritesTheSummaryTheListReads() throws Exception {
    Path dir = tmp.resolve("chaos");
    ChaosRun.Settings settings = new ChaosRun.Settings("keyed-totals", Map.of("password", "s3cret"), Duration.ofMinutes(1),
        Duration.ofSeconds(20), Duration.ofSeconds(5), 7, null, null, null, null, Duration.ofMinutes(2), List.of(), null,
        null, false, List.of());
    ChaosRun.Result result = new ChaosRun.Result("keyed-totals-1", "FINISHED",
        new Verdict(true, 100, 100, 0, 0, 0, List.of(), "EXACT: 100 of 100"),
        List.of(new ChaosRun.Fault("kill", "node-2", 10, null, 3.5, "SIGKILL", Map.of())), List.of(), 100, 61, null,
        null);
    ChaosReport.write(dir.resolve("run-1").resolve("report.html"), result, settings, "node-1, node-2, node-3");
    serve(dir);
    String listed = get("/chaos").body();
    JsonNode first = HttpApi.JSON.readTree(listed).get("runs").get(0);
    assertEquals("run-1", first.get("run").asText());
    assertTrue(first.get("exact").asBoolean(), first.toString());
    assertEquals("keyed-totals", first.get("pipeline").asText());
    assertEquals("EXACT: 100 of 100", first.get("verdict").asText());
    assertEquals(1, first.get("faults").asInt());
    assertFalse(listed.contains("s3cret"), "the summary holds no parameters");
    HttpResponse<String> report = get("/chaos/run-1/report.html");
    assertEquals(200, report.statusCode());
    assertTrue(report.body().contains("password=" + Secrets.MASK), report.body());
    assertFalse(report.body().contains("s3cret"), "the report masks secret parameters");
  }
}
