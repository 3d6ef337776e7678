package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.sluice.cluster.internal.Lines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CLI shows a DEGRADED job with its cause instead of RUNNING at 0/s: {@code jobs}, {@code status}
 * and the live line of {@code submit --wait}.
 *
 * <p>Design of this test: a stub HTTP server answers as a node would, with canned views (in order,
 * the last one repeated); the commands run in-process and their output is captured.
 */
class JobsCommandsTest {
  private static final String CAUSE = "journal unavailable on node-1, node-2 for 12 s: AllNodesFailedException: All 1"
      + " node(s) tried for the query failed (showing first 1 nodes, use getAllErrors() for more): Node(endPoint=/"
      + "127.0.0.1:9042, hostId=null, hashCode=5a1b2c3d): [ConnectionInitException: connection refused]";
  private static final String DEGRADED = "{\"jobId\":\"kt-1\",\"pipeline\":\"keyed-totals\",\"parameters\":{},"
      + "\"status\":\"RUNNING\",\"state\":\"DEGRADED\",\"degradedSince\":" + (System.currentTimeMillis() - 12_000)
      + ",\"cause\":\"" + CAUSE + "\",\"sinkRecords\":1234,\"lag\":16,\"operators\":[]}";
  private static final String RUNNING = "{\"jobId\":\"kt-1\",\"pipeline\":\"keyed-totals\",\"parameters\":{},"
      + "\"status\":\"RUNNING\",\"state\":\"RUNNING\",\"degradedSince\":0,\"cause\":null,\"sinkRecords\":2000,"
      + "\"operators\":[]}";
  private static final String FINISHED = "{\"jobId\":\"kt-1\",\"pipeline\":\"keyed-totals\",\"parameters\":{},"
      + "\"status\":\"FINISHED\",\"state\":\"FINISHED\",\"degradedSince\":0,\"cause\":null,\"sinkRecords\":3000,"
      + "\"operators\":[]}";

  private HttpServer server;
  private final Map<String, Deque<String>> answers = new ConcurrentHashMap<>();
  private final Map<String, byte[]> requests = new ConcurrentHashMap<>();
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();
  private final PrintStream stdout = System.out;
  private final PrintStream stderr = System.err;

  @BeforeEach
  void startStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/", ex -> {
      requests.put(ex.getRequestMethod() + " " + ex.getRequestURI(), ex.getRequestBody().readAllBytes());
      authorizations.put(ex.getRequestMethod() + " " + ex.getRequestURI(),
          String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      Deque<String> q = answers.get(ex.getRequestURI().getPath());
      String body = q == null ? "{\"error\":\"no such endpoint\"}" : q.size() > 1 ? q.poll() : q.peek();
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(q == null ? 404 : 200, b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    server.start();
  }

  @AfterEach
  void stopStub() {
    System.setOut(stdout);
    System.setErr(stderr);
    server.stop(0);
  }

  private void answer(String path, String... bodies) {
    answers.put(path, new ArrayDeque<>(List.of(bodies)));
  }

  private String node() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Runs the command line; returns {exit status, stdout, stderr}. */
  private Object[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int status = Main.commandLine().execute(args);
    System.setOut(stdout);
    System.setErr(stderr);
    return new Object[] {status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void jobs_showsDegradedWithTheCauseCutToTheLine() {
    answer("/jobs", "[" + DEGRADED + "," + FINISHED.replace("kt-1", "kt-0") + "]");
    Object[] r = run("jobs", "--node", node());
    assertEquals(0, r[0]);
    String[] lines = ((String) r[1]).split("\n");
    assertTrue(lines[1].startsWith(String.format("%-28s %-16s %-12s %-10s %14s %8s  ", "kt-1", "keyed-totals", "-",
        "DEGRADED", "1,234", "16") + "journal unavailable on"), lines[1]);
    assertTrue(lines[1].endsWith("…"), lines[1]);
    assertTrue(lines[1].length() <= Lines.width(), lines[1].length() + " characters");
    assertEquals(String.format("%-28s %-16s %-12s %-10s %14s %8s", "kt-0", "keyed-totals", "-", "FINISHED", "3,000",
        "0"), lines[2]);
  }

  @Test
  void status_showsDegradedSinceWhenAndWhy_andTheInstancesInTrouble() {
    answer("/jobs/kt-1", DEGRADED);
    answer("/jobs/kt-1/instances", "[{\"instance\":\"kt-1/totals/0\",\"node\":\"node-2\",\"trouble\":"
        + "\"cannot recover from the journal: AllNodesFailedException\",\"troubleSinceMillis\":1},"
        + "{\"instance\":\"kt-1/totals/1\",\"node\":\"node-1\",\"trouble\":null}]");
    Object[] r = run("status", "kt-1", "--node", node());
    assertEquals(0, r[0]);
    String[] lines = ((String) r[1]).split("\n");
    assertEquals("job kt-1 (keyed-totals {}): DEGRADED", lines[0]);
    assertTrue(lines[1].matches("  degraded since \\d\\d:\\d\\d:\\d\\d \\(\\d+ s ago\\): " + java.util.regex.Pattern
        .quote(CAUSE)), lines[1]);
    assertTrue(lines[2].startsWith("  kt-1/totals/0 on node-2: cannot recover from the journal: AllNodesFailedException"
        + " (since "), lines[2]);
    assertTrue(lines[3].startsWith("  OPERATOR"), lines[3]);
  }

  @Test
  void submitWait_showsDegradedWithItsCause_thenRunningAgain_andEndsWhenTheJobFinishes() {
    answer("/jobs", "{\"jobId\":\"kt-1\"}");
    answer("/jobs/kt-1", RUNNING, DEGRADED, DEGRADED, RUNNING, FINISHED);
    Object[] r = run("submit", "keyed-totals", "--wait", "--node", node());
    assertEquals(0, r[0], r[1] + " " + r[2]);
    String err = (String) r[2];
    assertTrue(err.contains("\nkt-1 DEGRADED since "), "stdout: " + r[1] + " stderr: " + err);
    assertTrue(err.contains(": " + CAUSE + "\n"), "the cause in full once: " + err);
    assertTrue(err.contains("\rkt-1 DEGRADED "), err);
    assertTrue(err.contains("records at the sinks  0/s  journal unavailable on node-1"), "the live line: " + err);
    assertTrue(err.contains("\nkt-1 RUNNING again\n"), err);
    for (String live : err.split("\r")) { // each live line, up to the next line of its own
      String line = live.split("\n")[0].strip();
      assertTrue(line.length() <= Lines.width(), "longer than the console: " + line);
    }
  }

  @Test
  void submitJar_uploadsTheJarThenSubmitsByItsId_andJobsShowsIt() throws IOException {
    String id = "ab".repeat(32);
    answer("/jars", "{\"id\":\"" + id + "\",\"name\":\"app.jar\",\"bytes\":3,\"pipelines\":[\"letters\"]}");
    answer("/jobs", "{\"jobId\":\"letters-1\"}");
    java.nio.file.Path jar = java.nio.file.Files.createTempFile("app", ".jar");
    try {
      java.nio.file.Files.write(jar, new byte[] {'P', 'K', 3});
      Object[] r = run("submit", "--jar", jar.toString(), "letters", "input=a.txt", "--node", node());
      assertEquals(0, r[0], r[1] + " " + r[2]);
      assertEquals("letters-1", ((String) r[1]).strip());
      assertTrue(((String) r[2]).contains("jar " + id + " (app.jar, 3 bytes): pipelines [\"letters\"]"), (String) r[2]);
      String upload = requests.keySet().stream().filter(k -> k.startsWith("POST /jars?name=")).findFirst().orElseThrow();
      assertEquals("POST /jars?name=" + jar.getFileName(), upload);
      assertEquals(3, requests.get(upload).length, "the jar's bytes are the body");
      com.fasterxml.jackson.databind.JsonNode job = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(requests.get("POST /jobs"));
      assertEquals(id, job.path("jar").asText(), job.toString());
      assertEquals("letters", job.path("pipeline").asText(), job.toString());
      assertEquals("a.txt", job.path("parameters").path("input").asText(), job.toString());
    } finally {
      java.nio.file.Files.delete(jar);
    }
    answer("/jobs", "[" + FINISHED.replace("\"operators\"", "\"jar\":\"" + id + "\",\"operators\"") + "]");
    Object[] jobs = run("jobs", "--node", node());
    assertTrue(((String) jobs[1]).split("\n")[1].contains(" " + id.substring(0, 12) + " "), (String) jobs[1]);
  }

  @Test
  void submitJar_ofAMissingFile_saysSoAndUploadsNothing() {
    Object[] r = run("submit", "--jar", "/no/such/app.jar", "letters", "--node", node());
    assertEquals(1, r[0]);
    assertTrue(((String) r[2]).contains("jar /no/such/app.jar does not exist"), (String) r[2]);
    assertTrue(requests.isEmpty(), requests.keySet().toString());
  }
  @Test
  void withATokenFile_everyCommandThatChangesSomethingSendsTheToken_andReadsSendNone() throws IOException {
    String token = "0123456789abcdef0123456789abcdef";
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("sluice-cli");
    try {
      java.nio.file.Path tokenFile = java.nio.file.Files.writeString(dir.resolve("api-token"), token + "\n");
      java.nio.file.Path jar = java.nio.file.Files.write(dir.resolve("app.jar"), new byte[] {'P', 'K', 3});
      java.nio.file.Path script = java.nio.file.Files.writeString(dir.resolve("job.sql"), "CREATE TABLE orders"
          + " (`user` STRING, amount DECIMAL) WITH ('connector' = 'filesystem', 'path' = 'orders.csv', 'format' ="
          + " 'csv');\nCREATE TABLE totals (`user` STRING, amount DECIMAL) WITH ('connector' = 'filesystem',"
          + " 'path' = 'totals', 'format' = 'csv');\nINSERT INTO totals SELECT `user`, amount FROM orders;\n");
      String id = "ab".repeat(32);
      answer("/jobs", "{\"jobId\":\"kt-1\"}");
      answer("/jars", "{\"id\":\"" + id + "\",\"name\":\"app.jar\",\"bytes\":3,\"pipelines\":[]}");
      answer("/jars/" + id, "{\"deleted\":\"" + id + "\"}");
      answer("/jobs/kt-1/cancel", "{\"jobId\":\"kt-1\",\"status\":\"CANCELLED\"}");
      answer("/jobs/kt-1/savepoint", "{\"savepointId\":\"sp-1\"}");
      answer("/jobs/kt-1/rescale", "{\"savepointId\":\"sp-1\",\"jobId\":\"kt-2\"}");
      answer("/savepoints/sp-1", "{\"deleted\":\"sp-1\"}");
      String t = "--token-file=" + tokenFile;
      List<String[]> commands = List.of(
          new String[] {"submit", "keyed-totals", t},
          new String[] {"cancel", "kt-1", t},
          new String[] {"savepoint", "kt-1", t},
          new String[] {"stop", "kt-1", t},
          new String[] {"rescale", "kt-1", "4", t},
          new String[] {"jars", "--upload", jar.toString(), t},
          new String[] {"jars", "--delete", id, t},
          new String[] {"savepoints", "--delete", "sp-1", t},
          new String[] {"sql", "-f", script.toString(), t},
          new String[] {"jobs", t});
      for (String[] c : commands) {
        String[] args = java.util.Arrays.copyOf(c, c.length + 2);
        args[c.length] = "--node";
        args[c.length + 1] = node();
        Object[] r = run(args);
        assertEquals(0, r[0], String.join(" ", c) + ": " + r[1] + " " + r[2]);
      }
      Map<String, String> expected = new java.util.TreeMap<>();
      for (String request : List.of("POST /jobs", "POST /jobs/kt-1/cancel", "POST /jobs/kt-1/savepoint",
          "POST /jobs/kt-1/savepoint?stop=true", "POST /jobs/kt-1/rescale", "POST /jars?name=app.jar",
          "DELETE /jars/" + id, "DELETE /savepoints/sp-1")) {
        expected.put(request, "Bearer " + token);
      }
      expected.put("GET /jobs", "null");
      assertEquals(expected, new java.util.TreeMap<>(authorizations));
    } finally {
      try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
        for (java.nio.file.Path f : files.toList()) {
          java.nio.file.Files.delete(f);
        }
      }
      java.nio.file.Files.delete(dir);
    }
  }

  @Test
  void anEmptyTokenFile_isRefusedNamingIt_andNothingIsSent() throws IOException {
    java.nio.file.Path tokenFile = java.nio.file.Files.createTempFile("api-token", "");
    try {
      Object[] r = run("cancel", "kt-1", "--token-file", tokenFile.toString(), "--node", node());
      assertEquals(1, r[0]);
      assertTrue(((String) r[2]).contains("the token file " + tokenFile.toAbsolutePath() + " (--token-file) is empty"),
          (String) r[2]);
      assertTrue(requests.isEmpty(), requests.keySet().toString());
    } finally {
      java.nio.file.Files.delete(tokenFile);
    }
  }

  @Test
  void aRefusalShowsTheNodesReason() {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(JobsCommands.TOKEN_ENV) == null,
        JobsCommands.TOKEN_ENV + " is set here");
    server.removeContext("/");
    server.createContext("/", ex -> {
      byte[] b = "{\"error\":\"this endpoint changes the cluster: it needs the header\"}".getBytes(
          StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"sluice\"");
      ex.sendResponseHeaders(401, b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    Object[] r = run("cancel", "kt-1", "--node", node());
    assertEquals(1, r[0]);
    assertEquals("sluice: this endpoint changes the cluster: it needs the header", ((String) r[2]).strip());
  }
}
