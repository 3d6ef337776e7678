package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.chaos.ChaosReport;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard in a real browser: what a person sees at {@code http://127.0.0.1:8551/} while a
 * job runs on three nodes.
 */
class DashboardIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static final String NAME = "dashboard";
  private static final String CHAOS_RUN = "20261129-120000-dashboard-it";
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** How long one headless chromium run may take before the test stops it. */
  private static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(90);
  /** Virtual time the page runs for: its polls (one a second) run in it without real waiting. */
  private static final int VIRTUAL_TIME_MS = 6000;
  private static final Pattern ATTR = Pattern.compile("([a-z][a-z-]*)=\"([^\"]*)\"");

  private static LocalCluster cluster;
  private static String job;
  private static Path dir;

  /*
   * Design of this test: three node JVMs from conf/ run keyed-totals rate-limited to 2,000 records/s
   * (1,000,000 records: it runs for the whole test). Once records flow through every operator,
   * Debian's chromium, headless, loads node-1's dashboard: once with --dump-dom (the DOM after the
   * page polled a few times in virtual time), once with --screenshot for people to look at
   * (target/dashboard/dashboard.png). The test reads the dumped DOM as a person reads the page:
   * the members and their state, the job and its state, each operator with its parallelism and
   * records, the edges, the instances on the nodes; the page's elements carry data attributes with
   * the numbers they show. Every chromium run has a timeout and its processes are killed after it;
   * the nodes are stopped in @AfterAll.
   */
  @BeforeAll
  static void startClusterWithAJob() throws IOException {
    assertTrue(Files.isExecutable(CHROMIUM), "DashboardIT drives a real browser: " + CHROMIUM + " is missing;"
        + " install Debian's chromium package (sudo apt-get install chromium)");
    Path home = DevCassandra.home();
    dir = Path.of("target", NAME).toAbsolutePath();
    NodeJobs.deleteTree(dir);
    Files.createDirectories(dir);
    Path out = home.resolve("target/it-out").resolve(NAME);
    NodeJobs.deleteTree(out);
    // a chaos report where the nodes look for them: the dashboard must list it with its verdict
    Path reports = dir.resolve("chaos");
    ChaosReport.write(reports.resolve(CHAOS_RUN).resolve("report.html"), new ChaosRun.Result("keyed-totals-c0ffee",
        "FINISHED", new Verdict(true, 5_000, 5_000, 0, 0, 0, List.of(), "EXACT: 5,000 of 5,000 records delivered"),
        List.of(new ChaosRun.Fault("kill", "node-2", 12.5, null, 4.2, "SIGKILL", Map.of())), List.of(), 5_000, 42.0,
        null, null), new ChaosRun.Settings("keyed-totals", Map.of(), Duration.ofSeconds(40), Duration.ofSeconds(20),
        Duration.ofSeconds(5), 42, null, null, null, null, Duration.ofMinutes(2), List.of(), null, null, false,
        List.of()), "node-1, node-2, node-3");
    List<String> flags = new ArrayList<>(cassandra.jvmFlags());
    flags.add("-Dsluice.node.http.chaos-reports=" + reports);
    cluster = new LocalCluster(home, ChaosScenarios.NODES, flags, home.resolve("target/it-logs").resolve(NAME));
    ChaosScenarios.assertPortsFree(cluster);
    NodeJobs.startAll(cluster);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("keys", "1000");
    params.put("records-per-key", "1000");
    params.put("rate", "2000");
    params.put("output", out.toString());
    job = NodeJobs.submit(cluster, "keyed-totals", params);
    assertTrue(cluster.awaitAnswer(0, "/jobs/" + job, DashboardIT::flowsEverywhere, Duration.ofSeconds(120))
        .isPresent(), "records did not flow through every instance of " + job + " within 120 s: "
        + cluster.get(0, "/jobs/" + job).map(JsonNode::toString).orElse("no answer"));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Every instance reported, every operator took in or gave out records. */
  private static boolean flowsEverywhere(JsonNode j) {
    if (!"RUNNING".equals(j.path("status").asText()) || j.path("operators").isEmpty()) {
      return false;
    }
    for (JsonNode op : j.path("operators")) {
      if (op.path("reporting").asInt() != op.path("parallelism").asInt()
          || op.path("recordsIn").asLong() + op.path("recordsOut").asLong() == 0) {
        return false;
      }
    }
    return j.path("sinkRecords").asLong() > 0;
  }

  @Test
  void whenAJobRunsOnThreeNodes_thenTheDashboardShowsTheMembersTheJobItsGraphAndWhereItsInstancesRun()
      throws Exception {
    String url = "http://127.0.0.1:" + cluster.node(0).httpPort() + "/";
    Path domFile = dir.resolve("dashboard.html");
    chromium(List.of("--virtual-time-budget=" + VIRTUAL_TIME_MS, "--dump-dom", url), domFile, "dump-dom");
    String dom = Files.readString(domFile, StandardCharsets.UTF_8);
    System.out.printf("[%s] the DOM chromium saw: %s (%,d bytes)%n", NAME, domFile, dom.length());

    assertEquals("ok", single(dom, "span", "id=\"connection\"").attrs().get("data-state"),
        "the page must say it is live: " + single(dom, "span", "id=\"connection\"").text());

    List<Element> members = elements(dom, "tr", "member");
    assertEquals(3, members.size(), "three members: " + members);
    for (Element m : members) {
      assertEquals("Up", m.attrs().get("data-status"), m.toString());
      assertEquals("true", m.attrs().get("data-reachable"), m.toString());
      assertTrue(m.text().contains("Up") && m.text().contains("yes"), "a person reads Up and reachable: " + m);
    }
    assertTrue(single(dom, "span", "id=\"members-summary\"").text().contains("3 of 3 Up"), members.toString());

    Element row = elements(dom, "tr", "job").stream().filter(e -> job.equals(e.attrs().get("data-job-id")))
        .findFirst().orElseThrow(() -> new AssertionError("job " + job + " is not in the jobs table"));
    assertEquals("RUNNING", row.attrs().get("data-state"), row.toString());
    assertTrue(row.text().contains("RUNNING") && row.text().contains("keyed-totals"), row.toString());
    assertEquals(job, single(dom, "section", "id=\"job\"").attrs().get("data-job-id"),
        "the running job is the one shown in detail");

    // the operators as the API names them: each in the table and as a box in the graph
    JsonNode view = cluster.get(0, "/jobs/" + job).orElseThrow();
    JsonNode plan = cluster.get(0, "/jobs/" + job + "/plan").orElseThrow();
    Map<String, Element> rows = byOperator(elements(dom, "tr", "operator"));
    Map<String, Element> boxes = byOperator(elements(dom, "g", "op"));
    int instances = 0;
    for (JsonNode op : view.path("operators")) {
      String name = op.path("name").asText();
      int parallelism = op.path("parallelism").asInt();
      instances += parallelism;
      for (Element e : new Element[] {rows.get(name), boxes.get(name)}) {
        assertTrue(e != null, "operator " + name + " is missing: table " + rows.keySet() + ", graph " + boxes.keySet());
        assertEquals(Integer.toString(parallelism), e.attrs().get("data-parallelism"), e.toString());
        long in = Long.parseLong(e.attrs().get("data-records-in"));
        long out = Long.parseLong(e.attrs().get("data-records-out"));
        assertTrue(in + out > 0, "operator " + name + " shows no records: " + e);
      }
      Element r = rows.get(name);
      long shownRecords = Math.max(Long.parseLong(r.attrs().get("data-records-in")),
          Long.parseLong(r.attrs().get("data-records-out")));
      assertTrue(r.text().contains(String.format(java.util.Locale.US, "%,d", shownRecords)),
          "the records a person reads: " + r);
      assertTrue(boxes.get(name).text().contains("\u00d7" + parallelism),
          "the box shows the parallelism: " + boxes.get(name));
    }
    List<Element> edges = elements(dom, "g", "edge");
    assertEquals(plan.path("edges").size(), edges.size(), "an arrow per edge of the plan: " + edges);
    assertTrue(edges.stream().anyMatch(e -> "keyed".equals(e.attrs().get("data-partitioning"))
        && e.text().contains("keyed")), "the keyed edge into the totals: " + edges);

    List<Element> nodes = elements(dom, "tr", "node-instances");
    Set<String> names = new TreeSet<>();
    int shown = 0;
    for (Element n : nodes) {
      names.add(n.attrs().get("data-node"));
      shown += Integer.parseInt(n.attrs().get("data-count"));
    }
    assertEquals(instances, shown, "every instance on a node: " + nodes);
    assertTrue(Set.of("node-1", "node-2", "node-3").containsAll(names) && names.size() >= 2,
        "instances spread over the cluster's nodes: " + names);
    assertTrue(dom.contains("latency p99"), "the latency percentiles are shown");
    Element chaos = single(dom, "tr", "class=\"chaos-run\"");
    assertEquals(CHAOS_RUN, chaos.attrs().get("data-run"), chaos.toString());
    assertTrue(chaos.text().contains("EXACT") && chaos.text().contains("keyed-totals") && chaos.text().contains("42"),
        "a person reads the chaos run's verdict, pipeline and length: " + chaos);
    assertTrue(dom.contains("href=\"/chaos/" + CHAOS_RUN + "/report.html\""), "the run links its report");
    String report = cluster.getText(0, "/chaos/" + CHAOS_RUN + "/report.html").orElse("");
    assertTrue(report.contains("Sluice chaos run") && report.contains("keyed-totals-c0ffee"),
        "the node serves the report as written: " + report.substring(0, Math.min(200, report.length())));
    System.out.printf("[%s] the page shows %d members Up, job %s RUNNING, operators %s, %d edges, instances on %s%n",
        NAME, members.size(), job, rows.keySet(), edges.size(), names);

    Path png = dir.resolve("dashboard.png");
    chromium(List.of("--virtual-time-budget=" + VIRTUAL_TIME_MS, "--window-size=1400,1000", "--screenshot=" + png,
        url), dir.resolve("screenshot.out"), "screenshot");
    assertTrue(Files.isRegularFile(png), "no screenshot at " + png);
    byte[] bytes = Files.readAllBytes(png);
    assertTrue(bytes.length > 30_000, "a screenshot of " + bytes.length + " bytes is too small to show the page");
    assertEquals("PNG", new String(bytes, 1, 3, StandardCharsets.US_ASCII), "not a PNG: " + png);
    System.out.printf("[%s] screenshot: %s (%,d bytes)%n", NAME, png, bytes.length);
  }

  /**
   * Runs headless chromium with {@code args}, its output to {@code stdout}, with a timeout; kills
   * it and every process it started afterwards, however it ended.
   */
  private static void chromium(List<String> args, Path stdout, String what) throws Exception {
    Path profile = dir.resolve("chromium-profile");
    Path log = dir.resolve("chromium-" + what + ".log");
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless=new", "--no-sandbox",
        "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
        "--user-data-dir=" + profile));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(log.toFile()).start();
    try {
      if (!p.waitFor(BROWSER_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        fail("chromium (" + what + ") did not finish within " + BROWSER_TIMEOUT.toSeconds() + " s; its log, " + log
            + ":\n" + tail(log));
      }
      assertEquals(0, p.exitValue(), "chromium (" + what + ") failed; its log, " + log + ":\n" + tail(log));
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  /** An element of the dumped DOM: its attributes and the text a person reads in it. */
  private record Element(Map<String, String> attrs, String text) {
    @Override
    public String toString() {
      return attrs + " \"" + text + "\"";
    }
  }

  /** The {@code tag} elements whose opening tag starts with {@code class="<cls>"} (not nested in each other). */
  private static List<Element> elements(String dom, String tag, String cls) {
    return find(dom, tag, "class=\"" + Pattern.quote(cls) + "[\" ]");
  }

  private static Element single(String dom, String tag, String firstAttr) {
    List<Element> found = find(dom, tag, Pattern.quote(firstAttr));
    assertEquals(1, found.size(), "<" + tag + " " + firstAttr + ">: " + found);
    return found.get(0);
  }

  private static List<Element> find(String dom, String tag, String firstAttr) {
    Matcher m = Pattern.compile("<" + tag + " (" + firstAttr + "[^>]*)>(.*?)</" + tag + ">", Pattern.DOTALL)
        .matcher(dom);
    List<Element> out = new ArrayList<>();
    while (m.find()) {
      Map<String, String> attrs = new LinkedHashMap<>();
      Matcher a = ATTR.matcher(m.group(1));
      while (a.find()) {
        attrs.put(a.group(1), a.group(2).replace("&quot;", "\"").replace("&amp;", "&"));
      }
      String text = m.group(2).replaceAll("<[^>]*>", " ").replace("&amp;", "&").replaceAll("\\s+", " ").trim();
      out.add(new Element(attrs, text));
    }
    return out;
  }

  private static Map<String, Element> byOperator(List<Element> list) {
    Map<String, Element> m = new LinkedHashMap<>();
    for (Element e : list) {
      m.put(e.attrs().get("data-operator"), e);
    }
    return m;
  }
}
