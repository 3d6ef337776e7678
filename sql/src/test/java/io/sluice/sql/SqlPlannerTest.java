package io.sluice.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CsvFormat;
import io.sluice.core.connector.CsvSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import io.sluice.core.testing.PipelineTestDriver;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQL scripts planned onto the DSL and run on the test driver with every instance's recovery
 * checked after each step; the results are compared with answers computed here in plain Java.
 */
class SqlPlannerTest {
  private static final long T0 = 1_700_000_000_000L;

  @TempDir
  Path dir;

  /** Runs the script's job on the driver; returns the rows of the sink table at {@code outPath} (relative to dir). */
  private List<Row> run(String script, String outPath, Schema outSchema, boolean header) throws Exception {
    Pipeline p = new SqlPlanner(dir).plan(script).pipeline();
    String jobId;
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p)) {
      d.run();
      assertTrue(d.isFinished());
      jobId = d.jobId();
    }
    CsvSink sink = Sinks.csv("read", dir.resolve(outPath), outSchema, CsvFormat.defaults().withHeader(header));
    return sink.readRows(sink.jobDirectory(jobId));
  }

  @Test
  void theDesignDocumentsExampleCopiesTheFile() throws Exception {
    Files.writeString(dir.resolve("data.csv"), "a,1\n\"b,c\",2\n\"d\"\"e\",-3\n");
    String script = """
        CREATE TABLE Sources (key STRING, `value` INT) WITH ('connector' = 'filesystem', 'path' = 'data.csv', 'format' = 'csv', 'field-delimiter' = ',');
        CREATE TABLE Sinks   (key STRING, `value` INT) WITH ('connector' = 'filesystem', 'path' = 'output.csv', 'format' = 'csv', 'field-delimiter' = ',');
        INSERT INTO Sinks SELECT * FROM Sources;
        """;
    Schema s = Schema.builder().column("key", DataType.STRING).column("value", DataType.INT).build();
    assertEquals(List.of(Row.of(s, "a", 1), Row.of(s, "b,c", 2), Row.of(s, "d\"e", -3)),
        run(script, "output.csv", s, false));
  }

  @Test
  void jsonLinesFilesAreTablesToo() throws Exception {
    Files.writeString(dir.resolve("in.jsonl"), "{\"key\":\"a\",\"value\":1}\n{\"key\":\"b, \\\"c\\\"\",\"value\":\"2\"}\n"
        + "{\"value\":3,\"other\":true}\n");
    String script = """
        CREATE TABLE j (key STRING, `value` INT) WITH ('connector' = 'filesystem', 'path' = 'in.jsonl', 'format' = 'json');
        CREATE TABLE c (key STRING, doubled BIGINT) WITH ('connector' = 'filesystem', 'path' = 'out', 'format' = 'json');
        INSERT INTO c SELECT COALESCE(key, '?'), `value` * 2 FROM j;
        """;
    Pipeline p = new SqlPlanner(dir).plan(script).pipeline();
    String jobId;
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p)) {
      d.run();
      jobId = d.jobId();
    }
    Schema c = Schema.builder().column("key", DataType.STRING).column("doubled", DataType.BIGINT).build();
    io.sluice.core.connector.JsonSink sink = Sinks.json("read", dir.resolve("out"), c,
        io.sluice.core.connector.JsonFormat.defaults());
    assertEquals(List.of(Row.of(c, "a", 2L), Row.of(c, "b, \"c\"", 4L), Row.of(c, "?", 6L)),
        sink.readRows(sink.jobDirectory(jobId)));
  }

  @Test
  void projectionsExpressionsAndWhereGiveWhatJavaComputes() throws Exception {
    SplittableRandom rnd = new SplittableRandom(9);
    StringBuilder in = new StringBuilder();
    List<String[]> rows = new ArrayList<>();
    String[] names = {"ann", "Bob", " cy ", "dörte", ""};
    for (int i = 0; i < 500; i++) {
      String name = names[rnd.nextInt(names.length)];
      String v = rnd.nextInt(10) == 0 ? "" : String.valueOf(rnd.nextInt(200) - 100);
      String price = (rnd.nextInt(10000)) / 100 + "." + String.format("%02d", rnd.nextInt(100));
      rows.add(new String[] {name, v, price});
      in.append('"').append(name).append("\",").append(v).append(',').append(price).append('\n');
    }
    Files.writeString(dir.resolve("in.csv"), in.toString());
    String script = """
        SET 'parallelism.default' = '3';
        CREATE TABLE t (name STRING, v INT, price DECIMAL(10, 2)) WITH ('connector' = 'filesystem', 'path' = 'in.csv', 'format' = 'csv');
        CREATE TABLE o (name STRING, doubled BIGINT, kind STRING, total DECIMAL(12, 2), n INT)
          WITH ('connector' = 'filesystem', 'path' = 'out', 'format' = 'csv', 'csv.header' = 'true');
        INSERT INTO o
        SELECT UPPER(TRIM(name)) || '!', CAST(v AS BIGINT) * 2,
               CASE WHEN v > 50 THEN 'big' WHEN v < 0 THEN 'negative' ELSE 'small' END,
               price * 3 + 1, CHAR_LENGTH(COALESCE(name, 'none'))
        FROM t WHERE (v IS NULL OR v % 2 = 0) AND name LIKE '%n%';
        """;
    Schema o = Schema.builder().column("name", DataType.STRING).column("doubled", DataType.BIGINT)
        .column("kind", DataType.STRING).column("total", DataType.DECIMAL).column("n", DataType.INT).build();
    List<Row> want = new ArrayList<>();
    for (String[] r : rows) {
      Integer v = r[1].isEmpty() ? null : Integer.valueOf(r[1]);
      if (!((v == null || v % 2 == 0) && r[0].contains("n"))) {
        continue;
      }
      String kind = v == null ? "small" : v > 50 ? "big" : v < 0 ? "negative" : "small";
      want.add(Row.of(o, r[0].trim().toUpperCase(java.util.Locale.ROOT) + "!", v == null ? null : 2L * v, kind,
          new BigDecimal(r[2]).multiply(BigDecimal.valueOf(3)).add(BigDecimal.ONE), r[0].length()));
    }
    List<Row> got = run(script, "out", o, true);
    assertEquals(sorted(want), sorted(got));
    assertTrue(want.size() > 50, "the filter keeps enough rows to mean something: " + want.size());
  }

  private static List<String> sorted(List<Row> rows) {
    return rows.stream().map(Row::toString).sorted().toList();
  }

  /** Clicks: user, amount, ts; in time order with some jitter within the watermark delay. */
  private List<long[]> writeClicks(int n, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder("user,amount,ts\n");
    List<long[]> clicks = new ArrayList<>();
    long t = T0;
    for (int i = 0; i < n; i++) {
      t += rnd.nextInt(400);
      long ts = t - rnd.nextInt(900); // at most 0.9 s out of order: within the 1 s watermark delay
      long user = rnd.nextInt(7);
      long amount = rnd.nextInt(1000);
      clicks.add(new long[] {user, amount, ts});
      sb.append("u").append(user).append(',').append(amount).append(',')
          .append(LocalDateTime.ofEpochSecond(ts / 1000, (int) (ts % 1000) * 1_000_000, ZoneOffset.UTC)
              .toString().replace('T', ' ')).append('\n');
    }
    Files.writeString(dir.resolve("clicks.csv"), sb.toString(), StandardCharsets.UTF_8);
    return clicks;
  }

  private static final String CLICKS = """
      CREATE TABLE clicks (`user` STRING, amount INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
        WITH ('connector' = 'filesystem', 'path' = 'clicks.csv', 'format' = 'csv', 'csv.header' = 'true');
      CREATE TABLE totals (`user` STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), clicks BIGINT,
          total INT, smallest INT, biggest INT, average INT)
        WITH ('connector' = 'filesystem', 'path' = 'totals', 'format' = 'csv');
      SET 'parallelism.default' = '2';
      """;
  private static final Schema TOTALS = Schema.builder().column("user", DataType.STRING)
      .column("window_start", DataType.TIMESTAMP).column("window_end", DataType.TIMESTAMP)
      .column("clicks", DataType.BIGINT).column("total", DataType.INT).column("smallest", DataType.INT)
      .column("biggest", DataType.INT).column("average", DataType.INT).build();

  private static LocalDateTime time(long ms) {
    return LocalDateTime.ofEpochSecond(Math.floorDiv(ms, 1000), Math.floorMod(ms, 1000) * 1_000_000,
        ZoneOffset.UTC);
  }

  /** Per user and window [start, end): the clicks' count, sum, min, max and integer average. */
  private static List<String> expected(Map<String, List<Long>> byWindow) {
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, List<Long>> e : byWindow.entrySet()) {
      String[] k = e.getKey().split("\\|");
      List<Long> a = e.getValue();
      long sum = a.stream().mapToLong(Long::longValue).sum();
      rows.add(Row.of(TOTALS, k[0], time(Long.parseLong(k[1])), time(Long.parseLong(k[2])), (long) a.size(),
          (int) sum, (int) a.stream().mapToLong(Long::longValue).min().orElseThrow(),
          (int) a.stream().mapToLong(Long::longValue).max().orElseThrow(), (int) (sum / a.size())));
    }
    return sorted(rows);
  }

  @Test
  void tumblingAndHoppingWindowAggregatesAreWhatJavaComputes() throws Exception {
    List<long[]> clicks = writeClicks(3000, 4);
    String select = "SELECT `user`, window_start, window_end, COUNT(*), SUM(amount), MIN(amount), MAX(amount),"
        + " AVG(amount) FROM TABLE(%s) GROUP BY window_start, window_end, `user`;";
    Map<String, List<Long>> tumbling = new TreeMap<>();
    Map<String, List<Long>> hopping = new TreeMap<>();
    for (long[] c : clicks) {
      long start = c[2] - Math.floorMod(c[2], 10_000);
      tumbling.computeIfAbsent("u" + c[0] + "|" + start + "|" + (start + 10_000), k -> new ArrayList<>()).add(c[1]);
      for (long s = c[2] - Math.floorMod(c[2], 5_000); s > c[2] - 20_000; s -= 5_000) {
        hopping.computeIfAbsent("u" + c[0] + "|" + s + "|" + (s + 20_000), k -> new ArrayList<>()).add(c[1]);
      }
    }
    assertEquals(expected(tumbling), sorted(run(CLICKS + "INSERT INTO totals " + String.format(select,
        "TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND)"), "totals", TOTALS, false)));
    assertEquals(expected(hopping), sorted(run(CLICKS + "INSERT INTO totals " + String.format(select,
        "HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND)"), "totals", TOTALS, false)));
  }

  @Test
  void countDistinctCountsEqualValuesOnceWhateverTheirScale() throws Exception {
    List<long[]> clicks = writeClicks(2500, 21);
    Map<String, java.util.Set<Long>> want = new TreeMap<>();
    for (long[] c : clicks) {
      long start = c[2] - Math.floorMod(c[2], 5_000);
      want.computeIfAbsent("u" + c[0] + "|" + start, k -> new java.util.HashSet<>()).add(c[1] % 10);
    }
    String script = CLICKS + """
        CREATE TABLE kinds (`user` STRING, window_start TIMESTAMP(3), kinds BIGINT, kinds_again BIGINT, clicks BIGINT)
          WITH ('connector' = 'filesystem', 'path' = 'kinds', 'format' = 'csv');
        INSERT INTO kinds SELECT `user`, window_start, COUNT(DISTINCT amount % 10),
            COUNT(DISTINCT CAST(amount % 10 AS DECIMAL(10, 2)) * 1.0), COUNT(*)
        FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY window_start, window_end, `user`;
        """;
    Schema kinds = Schema.builder().column("user", DataType.STRING).column("window_start", DataType.TIMESTAMP)
        .column("kinds", DataType.BIGINT).column("kinds_again", DataType.BIGINT).column("clicks", DataType.BIGINT)
        .build();
    List<Row> got = run(script, "kinds", kinds, false);
    Map<String, Long> gotKinds = new TreeMap<>();
    for (Row r : got) {
      String k = r.getString("user") + "|" + r.getTimestamp("window_start").toInstant(ZoneOffset.UTC).toEpochMilli();
      gotKinds.put(k, r.getLong("kinds"));
      assertEquals(r.getLong("kinds"), r.getLong("kinds_again"), "1.0 and 1.00 are one value: " + r);
    }
    Map<String, Long> wantKinds = new TreeMap<>();
    want.forEach((k, v) -> wantKinds.put(k, (long) v.size()));
    assertEquals(wantKinds, gotKinds);
  }

  @Test
  void sessionWindowsJoinClicksAtMostAGapApartAsFlinkDoes() throws Exception {
    List<long[]> clicks = writeClicks(2000, 8);
    long gap = 2_000;
    Map<Long, List<long[]>> byUser = new TreeMap<>();
    for (long[] c : clicks) {
      byUser.computeIfAbsent(c[0], k -> new ArrayList<>()).add(c);
    }
    Map<String, List<Long>> sessions = new TreeMap<>();
    for (Map.Entry<Long, List<long[]>> e : byUser.entrySet()) {
      List<long[]> cs = new ArrayList<>(e.getValue());
      cs.sort((a, b) -> Long.compare(a[2], b[2]));
      int i = 0;
      while (i < cs.size()) {
        int j = i;
        long end = cs.get(i)[2] + gap;
        List<Long> amounts = new ArrayList<>();
        while (j < cs.size() && cs.get(j)[2] <= end) { // a click exactly a gap after the session's last joins it
          amounts.add(cs.get(j)[1]);
          end = Math.max(end, cs.get(j)[2] + gap);
          j++;
        }
        sessions.put("u" + e.getKey() + "|" + cs.get(i)[2] + "|" + end, amounts);
        i = j;
      }
    }
    String script = CLICKS + "INSERT INTO totals SELECT `user`, window_start, window_end, COUNT(*), SUM(amount),"
        + " MIN(amount), MAX(amount), AVG(amount) FROM TABLE(SESSION(TABLE clicks PARTITION BY `user`, DESCRIPTOR(ts),"
        + " INTERVAL '2' SECOND)) GROUP BY window_start, window_end, `user`;";
    assertEquals(expected(sessions), sorted(run(script, "totals", TOTALS, false)));
  }

  @Test
  void resultSchemaNamesAndTypesAQuerysColumnsWithoutChangingTheSession() throws Exception {
    SqlPlanner planner = new SqlPlanner(dir);
    planner.plan(CLICKS + "CREATE VIEW big AS SELECT `user`, amount * 2 AS twice FROM clicks WHERE amount > 10;");
    assertEquals(Schema.builder().column("user", DataType.STRING).column("twice", DataType.INT)
        .column("EXPR$2", DataType.BOOLEAN).build(),
        planner.resultSchema("SELECT `user`, twice, twice > 40 FROM big"));
    assertEquals(Schema.builder().column("user", DataType.STRING).column("window_start", DataType.TIMESTAMP)
        .column("n", DataType.BIGINT).build(),
        planner.resultSchema("SELECT `user`, window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE clicks,"
            + " DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, `user`"));
    assertEquals("line 1, column 8: Column 'nope' not found in any table; the columns are [user, amount, ts]",
        assertThrows(SqlException.class, () -> planner.resultSchema("SELECT nope FROM clicks")).getMessage());
    assertTrue(assertThrows(SqlException.class, () -> planner.resultSchema("SELECT `user`, COUNT(*) FROM clicks"
        + " GROUP BY `user`")).getMessage().startsWith("line 1, column 1: the query updates its results"
        + " (GroupAggregate(groupBy=[user]"));
    assertEquals("line 1, column 1: expected one query (SELECT ... FROM ...), got DROP_TABLE",
        assertThrows(SqlException.class, () -> planner.resultSchema("DROP TABLE clicks")).getMessage());
    // nothing was added or dropped
    assertEquals(List.of("big\nclicks\ntotals"), planner.plan("SHOW TABLES").output());
  }

  private String error(String script) {
    return assertThrows(SqlException.class, () -> new SqlPlanner(dir).plan(script)).getMessage();
  }

  @Test
  void mistakesAreReportedWithLineColumnAndFlinksWording() throws Exception {
    Files.writeString(dir.resolve("clicks.csv"), "");
    assertEquals("line 2, column 13: Encountered \"Out\"; expected a name (\"Out\" is a reserved word: quote it as"
        + " `Out`)", error("CREATE TABLE a (x INT) WITH ('connector' = 'filesystem', 'path' = 'a', 'format' = 'csv');\n"
            + "INSERT INTO Out SELECT * FROM a;"));
    assertEquals("line 1, column 8: Encountered \"TABEL\"; expected one of CATALOG, DATABASE, FUNCTION, ...",
        error("CREATE TABEL a (x INT);").replaceAll("CATALOG, .*", "CATALOG, DATABASE, FUNCTION, ..."));
    assertEquals("line 7, column 35: Column 'amout' not found in any table; the columns are [user, amount, ts]",
        error(CLICKS + "INSERT INTO totals SELECT `user`, amout FROM clicks;"));
    assertEquals("line 7, column 20: Table sink 'totals' doesn't support consuming update changes which is produced"
        + " by node GroupAggregate(groupBy=[user], select=[user, COUNT(*)])",
        error(CLICKS + "INSERT INTO totals SELECT `user`, COUNT(*) FROM clicks GROUP BY `user`;"));
    assertEquals("line 7, column 20: Column types of query result and sink for 'totals' do not match. Query schema:"
        + " [user STRING, amount INT] Sink schema: [user STRING, window_start TIMESTAMP, window_end TIMESTAMP,"
        + " clicks BIGINT, total INT, smallest INT, biggest INT, average INT]",
        error(CLICKS + "INSERT INTO totals SELECT `user`, amount FROM clicks;"));
    assertEquals("line 1, column 1: Unsupported options found for 'filesystem' (table 'x'): [csv.delimiter];"
        + " supported options: [connector, csv.disable-quote-character, csv.escape-character, csv.field-delimiter,"
        + " csv.header, csv.ignore-parse-errors, csv.max-record-bytes, csv.null-literal, csv.quote-character,"
        + " field-delimiter, format, json.fail-on-missing-field, json.ignore-parse-errors, path, sink.fsync]",
        error("CREATE TABLE x (a INT) WITH ('connector' = 'filesystem', 'path' = 'p', 'format' = 'csv',"
            + " 'csv.delimiter' = ';');"));
    assertEquals("line 7, column 114: GROUP BY over a window function must contain window_start and window_end",
        error(CLICKS + "INSERT INTO totals SELECT `user`, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts),"
            + " INTERVAL '1' SECOND)) GROUP BY `user`;"));
    assertEquals("line 1, column 127: a condition must be BOOLEAN, not INT: `a` + 1",
        error("CREATE TABLE x (a INT) WITH ('connector' = 'filesystem', 'path' = 'p', 'format' = 'csv');"
            + " INSERT INTO x SELECT a FROM x WHERE a + 1;"));
  }

  @Test
  void aGroupByWithoutAWindowUpsertsIntoACassandraTableKeyedByTheGroup() throws Exception {
    Files.writeString(dir.resolve("clicks.csv"), "");
    String sink = "CREATE TABLE per_user (`user` STRING, clicks BIGINT, total INT%s) WITH ('connector' = 'cassandra',"
        + " 'keyspace' = 'ks', 'table' = 'per_user');\n";
    String query = "INSERT INTO per_user SELECT `user`, COUNT(*), SUM(amount) FROM clicks GROUP BY `user`;";
    Pipeline p = new SqlPlanner(dir).plan(CLICKS + String.format(sink, ", PRIMARY KEY (`user`) NOT ENFORCED") + query)
        .pipeline();
    assertTrue(p.describe().contains("q1.group") && p.describe().contains("q1.sink.per_user"), p.describe());
    assertEquals("line 7, column 1: table 'per_user': a cassandra table needs PRIMARY KEY (...) NOT ENFORCED, the"
        + " key of the Cassandra table's rows: each row is an upsert", error(CLICKS + String.format(sink, "") + query));
    assertEquals("line 8, column 22: Table sink 'per_user' has the primary key [clicks], but the query"
        + " GroupAggregate(groupBy=[user], select=[user, COUNT(*), SUM(`amount`)]) updates one row per [user]: the"
        + " primary key must be the grouped columns",
        error(CLICKS + String.format(sink, ", PRIMARY KEY (clicks) NOT ENFORCED") + query));
    assertEquals("line 8, column 1: table 'per_user': a cassandra table can only be written to (INSERT INTO), not"
        + " read", error(CLICKS + String.format(sink, ", PRIMARY KEY (`user`) NOT ENFORCED")
            + "INSERT INTO totals SELECT * FROM per_user;").replaceFirst("line \\d+, column \\d+", "line 8, column 1"));
  }

  @Test
  void explainShowAndDescribePrintWhatTheScriptDefines() throws Exception {
    SqlPlanner.Result r = new SqlPlanner(dir).plan(CLICKS + "SHOW TABLES; DESCRIBE clicks;"
        + " EXPLAIN INSERT INTO totals SELECT `user`, window_start, window_end, COUNT(*), SUM(amount), MIN(amount),"
        + " MAX(amount), AVG(amount) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))"
        + " GROUP BY window_start, window_end, `user`;");
    assertNull(r.pipeline(), "no INSERT, no job");
    assertEquals("clicks\ntotals", r.output().get(0));
    assertTrue(r.output().get(1).startsWith("user STRING\namount INT\nts TIMESTAMP *ROWTIME* (watermark PT1S behind)\n"),
        r.output().get(1));
    String plan = r.output().get(2);
    assertTrue(plan.contains("q1.src.clicks") && plan.contains("q1.window") && plan.contains("q1.sink.totals"), plan);
  }
}
