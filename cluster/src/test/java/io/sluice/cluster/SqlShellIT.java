package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The SQL shell's statements against a real node (the terminal is the only part left out): a
 * SELECT runs as a job on the node and its rows come back as a table, SHOW JOBS lists that job as
 * FINISHED, an INSERT is submitted and writes its file, and the shell's temporary result files are
 * gone afterwards. One node JVM from conf/node-1.conf, stopped by the test.
 */
class SqlShellIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  @Test
  void whenStatementsAreTypedIntoTheShell_thenANodeRunsThemAndTheShellPrintsTheRows() throws Exception {
    Path home = DevCassandra.home();
    Path dir = home.resolve("target/it-out/sql-shell");
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("orders.csv"), "ann,12.50\nbob,3.00\nann,1.25\n\"cy, jr\",20.00\n");
    try (LocalCluster cluster = new LocalCluster(home, List.of(Path.of("conf/node-1.conf")), cassandra.jvmFlags(),
        home.resolve("target/it-logs/sql-shell"))) {
      cluster.start(0);
      assertTrue(cluster.awaitReady(0, Duration.ofSeconds(180)), "the node did not start:\n" + cluster.tail(0, 40));
      JobsCommands.NodeOption http = new JobsCommands.NodeOption();
      http.node = "http://127.0.0.1:" + cluster.node(0).httpPort();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      SqlShell shell = new SqlShell(dir, new SqlShell.Node() {
        @Override
        public JsonNode call(String method, String path, Object body) {
          return http.call(method, path, body);
        }

        @Override
        public int follow(String jobId, Duration timeout) {
          return JobsCommands.follow(http, jobId, timeout);
        }
      }, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

      assertTrue(shell.run("CREATE TABLE orders (`user` STRING, amount DECIMAL(10, 2))\n"
          + "  WITH ('connector' = 'filesystem', 'path' = 'orders.csv', 'format' = 'csv');"));
      assertTrue(shell.run("SELECT `user`, amount * 2 AS doubled FROM orders WHERE amount > 2;"));
      String table = out.toString(StandardCharsets.UTF_8);
      assertTrue(table.contains("| user   | doubled |") && table.contains("| ann    |   25.00 |")
          && table.contains("| bob    |    6.00 |") && table.contains("| cy, jr |   40.00 |")
          && table.contains("3 rows in set") && !table.contains("1.25"), table + "\n" + err);
      try (Stream<Path> s = Files.list(dir.resolve(".sluice-sql/results"))) {
        assertEquals(List.of(), s.toList(), "the shell removes its result files");
      }

      out.reset();
      assertTrue(shell.run("SHOW JOBS;"));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("FINISHED"), out + "\n" + err);

      out.reset();
      assertTrue(shell.run("CREATE TABLE big (`user` STRING, amount DECIMAL(10, 2))\n"
          + "  WITH ('connector' = 'filesystem', 'path' = 'big', 'format' = 'csv');\n"
          + "INSERT INTO big SELECT * FROM orders WHERE amount >= 12;"));
      String jobId = out.toString(StandardCharsets.UTF_8).strip().lines().reduce((a, b) -> b).orElseThrow().strip();
      JsonNode end = cluster.awaitAnswer(0, "/jobs/" + jobId, j -> "FINISHED".equals(j.path("status").asText()),
          Duration.ofMinutes(2)).orElseThrow(() -> new AssertionError("the INSERT job " + jobId + " did not finish: "
              + out + "\n" + err));
      assertEquals("FINISHED", end.path("status").asText());
      try (Stream<Path> s = Files.list(dir.resolve("big").resolve(jobId))) {
        String rows = String.join("", s.filter(p -> p.getFileName().toString().startsWith("part-")).map(p -> {
          try {
            return Files.readString(p);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).sorted().toList());
        assertEquals(List.of("\"cy, jr\",20.00", "ann,12.50"), rows.lines().sorted().toList());
      }
      assertEquals("", err.toString(StandardCharsets.UTF_8).replaceAll("(?s)\\r.*?(\\n|$)", ""), "no errors");
    }
  }
}
