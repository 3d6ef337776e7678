package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import io.sluice.core.testing.PipelineTestDriver;
import io.sluice.sql.SqlPipelineFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL shell without a terminal or a network: statements split at ';', tables, and what each
 * statement does, against a fake node that records what it is sent. For a SELECT, the fake node
 * runs the submitted script on the {@link PipelineTestDriver}, so the rows printed are the ones a
 * real job writes.
 */
class SqlShellTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ORDERS = "CREATE TABLE orders (`user` STRING, amount DECIMAL, ts TIMESTAMP(3))"
      + " WITH ('connector' = 'filesystem', 'path' = 'orders.csv', 'format' = 'csv')";
  private static final String TOTALS = "CREATE TABLE totals (`user` STRING, amount DECIMAL)"
      + " WITH ('connector' = 'filesystem', 'path' = 'totals', 'format' = 'csv')";

  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private FakeNode node;
  private SqlShell shell;

  /** Answers as a node would; records every call as "METHOD path" and every body submitted. */
  private final class FakeNode implements SqlShell.Node {
    final List<String> calls = new ArrayList<>();
    final List<Map<String, Object>> submitted = new ArrayList<>();
    String jobs = "[]";
    /** What following a job gives (0: FINISHED); by default it runs the job on the test driver. */
    ToIntFunction<String> follow = jobId -> 0;

    @Override
    @SuppressWarnings("unchecked")
    public JsonNode call(String method, String path, Object body) {
      calls.add(method + " " + path);
      try {
        if (method.equals("POST") && path.equals("/jobs")) {
          Map<String, Object> b = (Map<String, Object>) body;
          submitted.add(b);
          String jobId = "job-" + submitted.size();
          if (((Map<String, String>) b.get("parameters")).get("script").contains("sluice_result_")) { // a SELECT: run it as the node would
            try (PipelineTestDriver d = PipelineTestDriver.of(new SqlPipelineFactory().create(
                Parameters.of((Map<String, String>) b.get("parameters"))))) {
              d.run();
              assertTrue(d.isFinished());
              jobId = d.jobId();
            }
          }
          return JSON.readTree("{\"jobId\":\"" + jobId + "\"}");
        }
        if (method.equals("GET") && path.equals("/jobs")) {
          return JSON.readTree(jobs);
        }
        return JSON.readTree("{\"status\":\"CANCELLED\"}");
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }

    @Override
    public int follow(String jobId, Duration timeout) {
      calls.add("follow " + jobId);
      assertEquals(SqlShell.QUERY_TIMEOUT, timeout);
      return follow.applyAsInt(jobId);
    }
  }

  @BeforeEach
  void newShell() {
    node = new FakeNode();
    shell = new SqlShell(dir, node, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    String s = out.toString(StandardCharsets.UTF_8);
    out.reset();
    return s;
  }

  private String err() {
    String s = err.toString(StandardCharsets.UTF_8);
    err.reset();
    return s;
  }

  @SuppressWarnings("unchecked")
  private String script(int job) {
    return ((Map<String, String>) node.submitted.get(job).get("parameters")).get("script");
  }

  // ---- splitting

  @Test
  void statementsEndAtSemicolonsOutsideQuotesAndComments() {
    SqlShell.Split s = SqlShell.split("SELECT 'a;b', \"c;d\", `e;f`, 'it''s; here' FROM t;\n"
        + "  -- a comment; not a statement\n"
        + "SELECT 1 /* a ; block\n comment; */ FROM t ;  ;\n"
        + "/* only a comment */;\n"
        + "INSERT INTO x -- it goes on; here\nSELECT * FROM t");
    assertEquals(List.of("SELECT 'a;b', \"c;d\", `e;f`, 'it''s; here' FROM t",
        "-- a comment; not a statement\nSELECT 1 /* a ; block\n comment; */ FROM t"), s.statements());
    assertEquals("\nINSERT INTO x -- it goes on; here\nSELECT * FROM t", s.rest());
    assertFalse(s.restBlank());
  }

  @Test
  void inputIsCompleteWhenEveryStatementEndsOrItIsQuit() {
    assertTrue(SqlShell.complete(""));
    assertTrue(SqlShell.complete("SHOW TABLES;"));
    assertTrue(SqlShell.complete("SHOW TABLES; -- a comment after it"));
    assertTrue(SqlShell.complete("SHOW TABLES; /* closed */ "));
    assertTrue(SqlShell.complete("quit"));
    assertTrue(SqlShell.complete(" Exit "));
    assertFalse(SqlShell.complete("SELECT *\nFROM t"));
    assertFalse(SqlShell.complete("SELECT 'a;"));
    assertFalse(SqlShell.complete("SELECT `a;"));
    assertFalse(SqlShell.complete("SHOW TABLES; /* open ;"));
    assertFalse(SqlShell.complete("SHOW TABLES; SELECT"));
  }

  // ---- tables

  @Test
  void tablesShowNullsCutWideValuesAndAlignNumbersRight() {
    String wide = "x".repeat(SqlShell.MAX_WIDTH + 5);
    String t = SqlShell.table(List.of("name", "n"), List.of(false, true),
        List.of(Arrays.asList("ann", "7"), Arrays.asList(null, "1234"), Arrays.asList(wide, null),
            Arrays.asList("two\nlines\ttab", "-1")), 0);
    String cut = "x".repeat(SqlShell.MAX_WIDTH - 3) + "...";
    String bar = "+-" + "-".repeat(cut.length()) + "-+--------+\n";
    assertEquals(bar
        + "| " + pad("name", cut.length()) + " | n      |\n"
        + bar
        + "| " + pad("ann", cut.length()) + " |      7 |\n"
        + "| " + pad("<NULL>", cut.length()) + " |   1234 |\n"
        + "| " + cut + " | <NULL> |\n"
        + "| " + pad("two\\nlines\\ttab", cut.length()) + " |     -1 |\n"
        + bar, t);
    assertEquals("+---+\n| a |\n+---+\n+---+\n... 3 more rows\n",
        SqlShell.table(List.of("a"), List.of(false), List.of(), 3));
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(width - s.length());
  }

  @Test
  void aResultShowsAtMostMaxRowsThenHowManyMore() {
    Schema s = Schema.builder().column("i", DataType.INT).column("ts", DataType.TIMESTAMP).build();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < SqlShell.MAX_ROWS + 5; i++) {
      rows.add(Row.of(s, i, LocalDateTime.of(2024, 1, 2, 3, 4, 5)));
    }
    String t = SqlShell.resultTable(s, rows);
    assertTrue(t.startsWith("+-----+---------------------+\n| i   | ts                  |\n"), t);
    assertTrue(t.contains("|   0 | 2024-01-02 03:04:05 |\n"), t);
    assertTrue(t.contains("| 999 |"), t);
    assertFalse(t.contains("1000 |"), t);
    assertTrue(t.endsWith("+\n... 5 more rows\n1005 rows in set\n"), t);
    assertEquals("+---+----+\n| i | ts |\n+---+----+\n+---+----+\n0 rows in set\n",
        SqlShell.resultTable(s, List.of()));
  }

  // ---- statements

  @Test
  void ddlAccumulatesAndAnInsertIsSubmittedWithIt() {
    assertTrue(shell.run(ORDERS + ";\n" + TOTALS + "; SET 'parallelism.default' = '2';"));
    assertEquals(SqlShell.OK + "\n" + SqlShell.OK + "\n" + SqlShell.OK + "\n", out());
    assertEquals(List.of(), node.calls); // nothing goes to the node before an INSERT
    assertTrue(shell.run("INSERT INTO totals\n  SELECT `user`, amount FROM orders WHERE amount > 10;"));
    assertEquals("job-1\n", out());
    assertEquals("", err());
    assertEquals(List.of("POST /jobs"), node.calls);
    assertEquals("sql", node.submitted.get(0).get("pipeline"));
    assertEquals(Map.of("script", ORDERS + ";\n" + TOTALS + ";\nSET 'parallelism.default' = '2';\n"
        + "INSERT INTO totals\n  SELECT `user`, amount FROM orders WHERE amount > 10;\n",
        "base-dir", dir.toAbsolutePath().toString()), node.submitted.get(0).get("parameters"));
    // a DROP is part of what later jobs are planned with; the INSERT itself is not
    assertTrue(shell.run("DROP TABLE totals; CREATE TABLE totals (`user` STRING) WITH ('connector' = 'filesystem',"
        + " 'path' = 'names', 'format' = 'csv'); INSERT INTO totals SELECT `user` FROM orders;"));
    assertTrue(script(1).startsWith(ORDERS + ";\n" + TOTALS + ";\nSET 'parallelism.default' = '2';\nDROP TABLE totals;\n"
        + "CREATE TABLE totals (`user` STRING)"), script(1));
    assertTrue(script(1).endsWith("'csv');\nINSERT INTO totals SELECT `user` FROM orders;\n"), script(1));
  }

  @Test
  void mistakesArePrintedWithLineAndColumnOfTheStatementAndTheShellGoesOn() {
    assertTrue(shell.run(ORDERS + ";"));
    out();
    assertTrue(shell.run("SHOW TABLES;\nINSERT INTO orders\nSELECT `user`, amout, ts FROM orders;"));
    assertEquals("line 2, column 16: Column 'amout' not found in any table; the columns are [user, amount, ts]\n",
        err());
    assertEquals("orders\n", out());
    assertTrue(shell.run("CREATE TABLE bad (x INT) WITH ('connector' = 'jdbc');"));
    assertTrue(err().startsWith("line 1, column 1: Could not find any factory for identifier 'jdbc'"));
    assertTrue(shell.run("SELEKT 1;"));
    String e = err();
    assertEquals("line 1, column 1: Non-query expression encountered in illegal context\n", e);
    assertEquals(List.of(), node.calls);
    assertEquals(ORDERS + ";\n", shell.scriptSoFar()); // what failed is not kept
  }

  @Test
  void explainShowTablesAndDescribePrintWhatTheyGive() {
    shell.run(ORDERS + ";" + TOTALS + ";");
    out();
    assertTrue(shell.run("SHOW TABLES; DESCRIBE orders;"));
    assertTrue(out().startsWith("orders\ntotals\nuser STRING\namount DECIMAL\nts TIMESTAMP\nWITH "));
    assertTrue(shell.run("EXPLAIN INSERT INTO totals SELECT `user`, amount FROM orders;"));
    assertTrue(out().contains("q1.sink.totals"));
    assertEquals(ORDERS + ";\n" + TOTALS + ";\n", shell.scriptSoFar());
    assertEquals(List.of(), node.calls);
  }

  @Test
  void showJobsListsTheNodesJobs() {
    assertTrue(shell.run("show   jobs;"));
    assertEquals("(no jobs)\n", out());
    node.jobs = "[{\"jobId\":\"sql-1\",\"pipeline\":\"sql\",\"status\":\"RUNNING\",\"state\":\"DEGRADED\","
        + "\"sinkRecords\":1234,\"lag\":5,\"cause\":\"journal unavailable\"},{\"jobId\":\"wc-22\","
        + "\"pipeline\":\"word-count\",\"status\":\"FINISHED\",\"state\":null,\"sinkRecords\":7,\"lag\":0,"
        + "\"cause\":null}]";
    assertTrue(shell.run("SHOW JOBS;"));
    assertEquals("""
        +-------+------------+----------+--------------+-----+---------------------+
        | JOB   | PIPELINE   | STATE    | SINK RECORDS | LAG | CAUSE               |
        +-------+------------+----------+--------------+-----+---------------------+
        | sql-1 | sql        | DEGRADED |         1234 |   5 | journal unavailable |
        | wc-22 | word-count | FINISHED |            7 |   0 |                     |
        +-------+------------+----------+--------------+-----+---------------------+
        """, out());
    assertEquals(List.of("GET /jobs", "GET /jobs"), node.calls);
  }

  @Test
  void aSelectRunsAsAJobIntoATemporaryTableAndPrintsItsRows() throws Exception {
    Files.writeString(dir.resolve("orders.csv"), "ann,12.50,2024-01-01 10:00:00\n\"b,ob\",3,2024-01-01 10:00:01\n"
        + "cy,,2024-01-01 10:00:02\nann,100,2024-01-01 10:00:03\n");
    shell.run(ORDERS + ";");
    out();
    assertTrue(shell.run("SELECT `user`, amount, amount > 10 AS big\nFROM orders WHERE `user` <> 'ann' OR amount > 50;"));
    assertEquals("", err());
    assertEquals("""
        +------+--------+--------+
        | user | amount | big    |
        +------+--------+--------+
        | b,ob |      3 | false  |
        | cy   | <NULL> | <NULL> |
        | ann  |    100 | true   |
        +------+--------+--------+
        3 rows in set
        """, out());
    String script = script(0);
    assertTrue(script.startsWith(ORDERS + ";\nCREATE TABLE `sluice_result_"), script);
    assertTrue(script.contains("(`user` STRING, `amount` DECIMAL, `big` BOOLEAN) WITH ('connector' = 'filesystem',"
        + " 'path' = '" + dir.toAbsolutePath().resolve(".sluice-sql").resolve("results")), script);
    int name = script.indexOf("`sluice_result_");
    assertTrue(script.endsWith("'csv.header' = 'true', 'sink.fsync' = 'false');\nINSERT INTO "
        + script.substring(name, script.indexOf('`', name + 1) + 1) + "\nSELECT `user`, amount, amount > 10 AS big\nFROM orders WHERE `user` <> 'ann' OR amount > 50;\n"), script);
    assertEquals(2, node.calls.size());
    assertTrue(node.calls.get(1).startsWith("follow "));
    try (var files = Files.list(dir.resolve(".sluice-sql").resolve("results"))) {
      assertEquals(0, files.count()); // the result was deleted
    }
    assertEquals(ORDERS + ";\n", shell.scriptSoFar()); // the temporary table is not part of the session
  }

  @Test
  void aQueryWhoseJobFailsOrTimesOutShowsNoRowsAndATimedOutOneIsCancelled() throws Exception {
    Files.writeString(dir.resolve("orders.csv"), "ann,1,2024-01-01 10:00:00\n");
    shell.run(ORDERS + ";");
    out();
    node.follow = jobId -> 1;
    assertTrue(shell.run("SELECT `user` FROM orders;"));
    assertTrue(err().matches("the query's job \\S+ did not finish; its rows are not shown\n"));
    node.follow = jobId -> {
      throw new JobsCommands.CliFailure(jobId + " is still RUNNING after 600 s");
    };
    node.calls.clear();
    assertTrue(shell.run("SELECT `user` FROM orders;"));
    String jobId = node.calls.get(1).substring("follow ".length());
    assertEquals(List.of("POST /jobs", "follow " + jobId, "POST /jobs/" + jobId + "/cancel"), node.calls);
    assertEquals(jobId + " is still RUNNING after 600 s: cancelled the query's job " + jobId + "\n", err());
    assertEquals("", out());
    try (var files = Files.list(dir.resolve(".sluice-sql").resolve("results"))) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void anUpdatingQueryIsRefusedBeforeAnythingIsSubmitted() {
    shell.run(ORDERS + ";");
    assertTrue(shell.run("SELECT `user`, SUM(amount) FROM orders GROUP BY `user`;"));
    assertTrue(err().startsWith("line 1, column 1: the query updates its results"));
    assertEquals(List.of(), node.calls);
  }

  @Test
  void quitAndExitLeaveAndWhatFollowsThemIsNotRun() {
    assertFalse(shell.run(ORDERS + "; QUIT; " + TOTALS + ";"));
    assertEquals(ORDERS + ";\n", shell.scriptSoFar());
    assertFalse(shell.run("exit"));
    assertTrue(shell.run("-- only a comment"));
    assertTrue(shell.run("HELP;"));
    assertTrue(out().contains("SHOW JOBS;"));
  }

  @Test
  void aDecimalResultKeepsItsDigits() {
    Schema s = Schema.builder().column("d", DataType.DECIMAL).build();
    assertTrue(SqlShell.resultTable(s, List.of(Row.of(s, new BigDecimal("1E+3")))).contains("| 1000 |"));
  }
}
