package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.Main;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.persistence.testkit.KafkaExtension;
import io.sluice.core.table.DataType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SQL through the command line on three node JVMs: the first design document's job, verbatim but
 * for the connector's name, run with {@code sluice sql -f job.sql --wait}, must write exactly the
 * input's rows (checked by reading both files with Jackson); a script with a mistake is refused
 * with its file, line and column, and nothing is submitted; rows of every type go through every
 * connector and format pair (CSV and JSON files, CSV and JSON messages in Kafka) and come back
 * exactly. (Node kills under SQL jobs are in {@link OperatorKindsChaosIT} and {@link KafkaTotalsIT}.)
 */
class SqlIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  @RegisterExtension
  static final KafkaExtension kafka = new KafkaExtension();

  private static LocalCluster cluster;
  private static Path work;

  @BeforeAll
  static void start() throws Exception {
    Path home = DevCassandra.home();
    work = home.resolve("target/it-out/sql");
    NodeJobs.deleteTree(work);
    Files.createDirectories(work);
    cluster = new LocalCluster(home, ChaosScenarios.NODES, cassandra.jvmFlags(), home.resolve("target/it-logs/sql"));
    ChaosScenarios.assertPortsFree(cluster);
    NodeJobs.startAll(cluster);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private record Run(int status, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(status, out.toString(), err.toString());
  }

  private static List<String> rows(Path file) throws Exception {
    CsvMapper mapper = CsvMapper.builder().enable(CsvParser.Feature.WRAP_AS_ARRAY).build();
    List<String> rows = new ArrayList<>();
    try (MappingIterator<String[]> it = mapper.readerForArrayOf(String.class).readValues(file.toFile())) {
      while (it.hasNextValue()) {
        rows.add(String.join("\u0001", it.nextValue()));
      }
    }
    return rows;
  }

  @Test
  void whenTheDesignDocumentsExampleIsRunWithTheCli_thenTheOutputHoldsExactlyTheInputRows() throws Exception {
    Path dir = work.resolve("copy");
    Files.createDirectories(dir);
    SplittableRandom rnd = new SplittableRandom(13);
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 200_000; i++) {
      String key = switch (rnd.nextInt(4)) {
        case 0 -> "\"k" + i + ", with a comma\"";
        case 1 -> "\"k" + i + " \"\"quoted\"\"\"";
        case 2 -> "\"k" + i + "\nsecond line\"";
        default -> "k" + i;
      };
      data.append(key).append(',').append(rnd.nextInt() / 2).append('\n');
    }
    Files.writeString(dir.resolve("data.csv"), data, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("job.sql"), """
        CREATE TABLE Sources (key STRING, `value` INT) WITH ('connector' = 'filesystem', 'path' = 'data.csv', 'format' = 'csv', 'field-delimiter' = ',');
        CREATE TABLE Sinks   (key STRING, `value` INT) WITH ('connector' = 'filesystem', 'path' = 'output.csv', 'format' = 'csv', 'field-delimiter' = ',');
        INSERT INTO Sinks SELECT * FROM Sources;
        """);
    String node = "http://127.0.0.1:" + cluster.node(0).httpPort();
    Run r = cli("sql", "-f", dir.resolve("job.sql").toString(), "--node", node, "--wait");
    assertEquals(0, r.status(), "sluice sql failed: " + r.err());
    String jobId = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
    List<Path> parts;
    try (Stream<Path> s = Files.list(dir.resolve("output.csv").resolve(jobId))) {
      parts = s.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
    }
    List<String> got = new ArrayList<>();
    for (Path p : parts) {
      got.addAll(rows(p));
    }
    List<String> want = new ArrayList<>(rows(dir.resolve("data.csv")));
    assertEquals(200_000, want.size());
    got.sort(null);
    want.sort(null);
    assertEquals(want.size(), got.size(), "rows written");
    assertTrue(want.equals(got), "the output's rows are not the input's");
  }

  private static final String COLUMNS = "(name STRING, n INT, big BIGINT, d DOUBLE, price DECIMAL(12, 2), ok BOOLEAN,"
      + " born DATE, ts TIMESTAMP(3))";

  private static String table(String name, String with) {
    return "CREATE TABLE " + name + " " + COLUMNS + " WITH (" + with + ");\n";
  }

  /** The rows of every part file of {@code jobDir}, each as its fields joined. */
  private static List<String> parts(Path jobDir) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Stream<Path> s = Files.list(jobDir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
        rows.addAll(rows(p));
      }
    }
    rows.sort(null);
    return rows;
  }

  private String runScript(Path dir, String name, String script) throws Exception {
    Files.writeString(dir.resolve(name), script);
    Run r = cli("sql", "-f", dir.resolve(name).toString(), "--node", "http://127.0.0.1:" + cluster.node(0).httpPort(),
        "--wait");
    assertEquals(0, r.status(), name + ": " + r.err());
    return r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
  }

  /*
   * Every connector and format pair: rows of every type (strings with quotes, commas and line
   * breaks; numbers; dates; timestamps; nulls) go from a CSV file into a JSON lines file, a Kafka
   * topic of CSV messages and one of JSON messages (one job), then back from each into a CSV file
   * (a second job, bounded scans of the topics); each copy must hold exactly the input's rows.
   */
  @Test
  void whenRowsGoThroughEveryConnectorAndFormat_thenEachCopyHoldsExactlyTheInputRows() throws Exception {
    Path dir = work.resolve("pairs");
    Files.createDirectories(dir);
    SplittableRandom rnd = new SplittableRandom(5);
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      String name = switch (i % 5) {
        case 0 -> "\"n" + i + ", \"\"q\"\"\"";
        case 1 -> "\"n" + i + "\nline\"";
        case 2 -> "";
        default -> "n" + i + " é";
      };
      in.append(name).append(',').append(rnd.nextInt()).append(',').append(rnd.nextLong()).append(',')
          .append(i % 7 == 0 ? "" : Double.toString(rnd.nextDouble() * 1000)).append(',')
          .append(DataType.DECIMAL.format(java.math.BigDecimal.valueOf(rnd.nextLong(10_000_000L), 2))).append(',')
          .append(rnd.nextBoolean()).append(',')
          .append(DataType.DATE.format(java.time.LocalDate.ofEpochDay(rnd.nextInt(30_000)))).append(',')
          .append(DataType.TIMESTAMP.format(java.time.LocalDateTime.ofEpochSecond(rnd.nextLong(2_000_000_000L),
              rnd.nextInt(1000) * 1_000_000, java.time.ZoneOffset.UTC))).append('\n');
    }
    Files.writeString(dir.resolve("input.csv"), in, StandardCharsets.UTF_8);
    String csvTopic = kafka.createTopic("rows-csv", 3);
    String jsonTopic = kafka.createTopic("rows-json", 3);
    String servers = kafka.bootstrapServers();
    String kafkaTable = "'connector' = 'kafka', 'properties.bootstrap.servers' = '" + servers + "', 'topic' = ";
    String out = runScript(dir, "out.sql",
        table("src", "'connector' = 'filesystem', 'path' = 'input.csv', 'format' = 'csv'")
        + table("as_json", "'connector' = 'filesystem', 'path' = 'json', 'format' = 'json'")
        + table("k_csv", kafkaTable + "'" + csvTopic + "', 'format' = 'csv'")
        + table("k_json", kafkaTable + "'" + jsonTopic + "', 'format' = 'json'")
        + "INSERT INTO as_json SELECT * FROM src;\nINSERT INTO k_csv SELECT * FROM src;\n"
        + "INSERT INTO k_json SELECT * FROM src;\n");
    runScript(dir, "back.sql",
        table("from_json", "'connector' = 'filesystem', 'path' = 'json/" + out + "', 'format' = 'json'")
        + table("from_k_csv", kafkaTable + "'" + csvTopic + "', 'format' = 'csv', 'scan.bounded.mode' = 'latest-offset'")
        + table("from_k_json", kafkaTable + "'" + jsonTopic + "', 'format' = 'json',"
            + " 'scan.bounded.mode' = 'latest-offset'")
        + table("back_json", "'connector' = 'filesystem', 'path' = 'back-json', 'format' = 'csv'")
        + table("back_k_csv", "'connector' = 'filesystem', 'path' = 'back-k-csv', 'format' = 'csv'")
        + table("back_k_json", "'connector' = 'filesystem', 'path' = 'back-k-json', 'format' = 'csv'")
        + "INSERT INTO back_json SELECT * FROM from_json;\nINSERT INTO back_k_csv SELECT * FROM from_k_csv;\n"
        + "INSERT INTO back_k_json SELECT * FROM from_k_json;\n");
    List<String> want = new ArrayList<>(rows(dir.resolve("input.csv")));
    want.sort(null);
    assertEquals(20_000, want.size());
    for (String copy : List.of("back-json", "back-k-csv", "back-k-json")) {
      Path jobDir;
      try (Stream<Path> s = Files.list(dir.resolve(copy))) {
        jobDir = s.findFirst().orElseThrow();
      }
      List<String> got = parts(jobDir);
      assertEquals(want.size(), got.size(), copy + ": rows");
      assertTrue(want.equals(got), copy + ": the rows differ from the input's");
    }
  }

  @Test
  void whenAScriptHasAMistake_thenTheCliNamesFileLineAndColumnAndSubmitsNothing() throws Exception {
    Path dir = work.resolve("mistake");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("data.csv"), "a,1\n");
    Path script = dir.resolve("job.sql");
    Files.writeString(script, """
        CREATE TABLE Sources (key STRING, `value` INT) WITH ('connector' = 'filesystem', 'path' = 'data.csv', 'format' = 'csv');
        CREATE TABLE Sinks (key STRING, `value` INT) WITH ('connector' = 'filesystem', 'path' = 'out', 'format' = 'csv');
        INSERT INTO Sinks SELECT key, vlaue FROM Sources;
        """);
    int jobsBefore = cluster.get(0, "/jobs").orElseThrow().size();
    Run r = cli("sql", "-f", script.toString(), "--node", "http://127.0.0.1:" + cluster.node(0).httpPort());
    assertEquals(1, r.status(), r.out());
    assertEquals("sluice: " + script + ": line 3, column 31: Column 'vlaue' not found in any table; the columns are"
        + " [key, value]", r.err().strip());
    assertEquals(jobsBefore, cluster.get(0, "/jobs").orElseThrow().size(), "nothing submitted");
  }
}
