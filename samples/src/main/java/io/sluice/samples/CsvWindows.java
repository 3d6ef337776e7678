package io.sluice.samples;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.sluice.core.connector.CsvFormat;
import io.sluice.core.connector.CsvSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import io.sluice.sql.SqlPlanner;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code csv-windows}: per user, the orders and their total amount in tumbling event-time windows,
 * from CSV files to CSV files, exactly.
 *
 * <pre>
 *   csv(input: user STRING, amount DECIMAL, ts TIMESTAMP) -> event time from ts -> keyBy(user)
 *     -> tumbling window (10 s) "totals" (count, sum) -> rows -> csv(output)
 * </pre>
 *
 * <p>{@link #prepare} writes the input: {@code records} orders over {@code files} CSV files with a
 * header, order {@code i} at {@code 2023-11-14 22:13:20 + i ms}, for a user of {@code keys}. User
 * names have commas, quotes, line breaks and non-ASCII letters in them, so the files need quoting
 * and hold records that span lines. {@link #verify} reads the output with Jackson's CSV module and
 * compares every (user, window) row with the counts and totals computed from the definition of the
 * orders, not from the files.
 *
 * <p>Parameters: {@code input} (directory, default {@code data/csv-windows/input}), {@code output}
 * (directory, default {@code out/csv-windows}), {@code keys} (1000), {@code records} (1,200,000),
 * {@code files} (3), {@code window} (10s), {@code parallelism} (2), {@code fsync}, and the job
 * settings of {@link SampleSinks#config}. With {@code sql=true} the same job is planned from SQL
 * ({@link #script}): the window function {@code TUMBLE} grouped by user, into a CSV table; with
 * {@code kafka=<bootstrap servers>} too, the orders are JSON messages in Kafka topic {@code topic}
 * (default {@code csv-windows-orders}, {@code partitions} 4), which {@link #prepare} writes, read by a
 * Kafka table of the script; with {@code cassandra=<contact point>} (and {@code keyspace},
 * {@code table}), the script is instead a running {@code GROUP BY `user`} (no window) upserted into
 * a Cassandra table with the user as its primary key, and {@link #verify} reads that table.
 */
public final class CsvWindows implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "csv-windows";
  /** The input table. */
  public static final Schema ORDERS = Schema.builder().column("user", DataType.STRING)
      .column("amount", DataType.DECIMAL).column("ts", DataType.TIMESTAMP).build();
  /** The output table. */
  public static final Schema TOTALS = Schema.builder().column("user", DataType.STRING)
      .column("window_start", DataType.TIMESTAMP).column("window_end", DataType.TIMESTAMP)
      .column("orders", DataType.BIGINT).column("total", DataType.DECIMAL).build();
  private static final CsvFormat FORMAT = CsvFormat.defaults().withHeader(true);
  private static final long EPOCH = 1_700_000_000_000L;
  private static final DateTimeFormatter TEXT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  /** A window's accumulator: orders and the sum of their amounts in cents. */
  public record Acc(long orders, long cents) {}

  /**
   * Where the orders are: CSV files in {@code input}, or, with {@code kafka} (bootstrap servers)
   * set, JSON messages in Kafka topic {@code topic} of {@code partitions} partitions.
   */
  record Settings(Path input, Path output, int keys, long records, int files, Duration window, String kafka,
      String topic, int partitions, CassandraTotals.Table cassandra) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "per-user order totals in 10 s tumbling windows, CSV in, CSV out; input=data/csv-windows/input"
        + " output=out/csv-windows keys=1000 records=1200000 files=3";
  }

  static Settings settings(Parameters params) {
    return new Settings(Path.of(params.string("input", "data/csv-windows/input")).toAbsolutePath(),
        SampleSinks.outputDir(params, NAME).toAbsolutePath(), SampleSinks.positiveInt(params, "keys", 1000),
        SampleSinks.positiveLong(params, "records", 1_200_000), SampleSinks.positiveInt(params, "files", 3),
        params.duration("window", Duration.ofSeconds(10)), params.get("kafka").orElse(null),
        params.string("topic", "csv-windows-orders"), SampleSinks.positiveInt(params, "partitions", 4),
        params.get("cassandra").map(c -> new CassandraTotals.Table(params.string("keyspace", "sluice_samples"),
            params.string("table", "user_totals"), c, params.string("local-datacenter", "datacenter1"))).orElse(null));
  }

  @Override
  public Pipeline create(Parameters params) {
    Settings s = settings(params);
    if ((s.kafka() != null || s.cassandra() != null) && !SampleSinks.bool(params, "sql", false)) {
      throw new IllegalArgumentException("parameters 'kafka' and 'cassandra' need sql=true: the orders in Kafka and"
          + " the totals in Cassandra are read and written by SQL");
    }
    if (SampleSinks.bool(params, "sql", false)) {
      return new SqlPlanner(Path.of(".")).plan(script(s, SampleSinks.positiveInt(params, "parallelism", 2),
          SampleSinks.bool(params, "fsync", true))).pipeline();
    }
    CsvSink sink = Sinks.csv("out", s.output(), TOTALS, FORMAT).withFsync(SampleSinks.bool(params, "fsync", true));
    return pipeline(s.input(), s.window(), SampleSinks.config(params), sink);
  }

  /** The pipeline over the CSV files in {@code input}. */
  public static Pipeline pipeline(Path input, Duration window, JobConfig config, CsvSink sink) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(config.withType(Acc.class, "samples.CsvWindowsAcc"));
    p.readFrom(Sources.csv("orders", input, ORDERS, FORMAT))
        .withTimestamps(r -> r.epochMillis("ts"), Duration.ZERO)
        .keyBy(r -> r.getString("user"))
        .window(WindowDefinition.tumbling(window))
        .aggregate("totals", sum())
        .map(CsvWindows::row).named("rows")
        .writeTo(sink);
    return p.build();
  }

  /** The same job in SQL: what {@code sql=true} runs. */
  static String script(Settings s, int parallelism, boolean fsync) {
    if (s.window().toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("parameter 'window' must be whole seconds with sql=true: " + s.window());
    }
    if (s.cassandra() != null) {
      return "SET 'parallelism.default' = '" + parallelism + "';\n"
          + ordersTable(s)
          + "CREATE TABLE totals (`user` STRING, orders BIGINT, total DECIMAL(12, 2), PRIMARY KEY (`user`) NOT ENFORCED)\n"
          + "  WITH ('connector' = 'cassandra', 'keyspace' = '" + s.cassandra().keyspace() + "', 'table' = '"
          + s.cassandra().table() + "', 'contact-points' = '" + s.cassandra().contactPoint() + "',"
          + " 'local-datacenter' = '" + s.cassandra().localDatacenter() + "');\n"
          + "INSERT INTO totals SELECT `user`, COUNT(*), SUM(amount) FROM orders GROUP BY `user`;\n";
    }
    return "SET 'parallelism.default' = '" + parallelism + "';\n"
        + ordersTable(s)
        + "CREATE TABLE totals (`user` STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), orders BIGINT,"
        + " total DECIMAL(12, 2))\n"
        + "  WITH ('connector' = 'filesystem', 'path' = '" + s.output() + "', 'format' = 'csv', 'csv.header' = 'true',"
        + " 'sink.fsync' = '" + fsync + "');\n"
        + "INSERT INTO totals\n"
        + "SELECT `user`, window_start, window_end, COUNT(*), SUM(amount)\n"
        + "FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '" + s.window().toSeconds() + "' SECOND))\n"
        + "GROUP BY window_start, window_end, `user`;\n";
  }

  private static String ordersTable(Settings s) {
    return "CREATE TABLE orders (`user` STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3), WATERMARK FOR ts AS ts)\n"
        + (s.kafka() == null
            ? "  WITH ('connector' = 'filesystem', 'path' = '" + s.input() + "', 'format' = 'csv', 'csv.header' = 'true');\n"
            : "  WITH ('connector' = 'kafka', 'topic' = '" + s.topic() + "', 'properties.bootstrap.servers' = '"
                + s.kafka() + "', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset');\n");
  }

  private static Row row(WindowResult<String, Acc> w) {
    return Row.of(TOTALS, w.key(), time(w.start()), time(w.end()), w.value().orders(),
        BigDecimal.valueOf(w.value().cents(), 2));
  }

  private static LocalDateTime time(long millis) {
    return LocalDateTime.ofEpochSecond(Math.floorDiv(millis, 1000), Math.floorMod(millis, 1000) * 1_000_000,
        ZoneOffset.UTC);
  }

  static AggregateFunction<Row, Acc, Acc> sum() {
    return new AggregateFunction<>() {
      @Override
      public Acc createAccumulator() {
        return new Acc(0, 0);
      }

      @Override
      public Acc add(Acc acc, Row r) {
        return new Acc(acc.orders() + 1, acc.cents() + r.getDecimal("amount").movePointRight(2).longValueExact());
      }

      @Override
      public Acc merge(Acc a, Acc b) {
        return new Acc(a.orders() + b.orders(), a.cents() + b.cents());
      }

      @Override
      public Acc result(Acc acc) {
        return acc;
      }
    };
  }

  /** The user of order {@code i}. */
  static int userOf(long i, int keys) {
    long z = (i + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
    return (int) Math.floorMod(z ^ (z >>> 29), (long) keys);
  }

  /** The name of user {@code k}: with a comma and quotes, a line break, or non-ASCII letters. */
  static String userName(int k) {
    switch (k % 4) {
      case 1:
        return "user-" + k + ", \"vip\"";
      case 2:
        return "user-" + k + "\nsecond line";
      case 3:
        return "user-" + k + " Zürich 日本";
      default:
        return "user-" + k;
    }
  }

  /** The amount of order {@code i} in cents. */
  static long centsOf(long i) {
    return (i * 7919) % 100_000;
  }

  /** Writes the orders into {@code files} CSV files (a temporary name each, then renamed). */
  @Override
  public void prepare(Parameters params) throws Exception {
    Settings s = settings(params);
    if (s.kafka() != null) {
      prepareKafka(s);
      return;
    }
    if (s.cassandra() != null) {
      prepareTable(s.cassandra());
    }
    Files.createDirectories(s.input());
    try (Stream<Path> old = Files.list(s.input())) {
      for (Path p : old.toList()) {
        Files.delete(p);
      }
    }
    for (int f = 0; f < s.files(); f++) {
      long from = f * s.records() / s.files();
      long to = (f + 1) * s.records() / s.files();
      Path tmp = s.input().resolve(".orders-" + f + ".tmp");
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        w.write("user,amount,ts\n");
        for (long i = from; i < to; i++) {
          w.write('"');
          w.write(userName(userOf(i, s.keys())).replace("\"", "\"\""));
          w.write("\",");
          w.write(BigDecimal.valueOf(centsOf(i), 2).toPlainString());
          w.write(',');
          w.write(TEXT.format(time(EPOCH + i)));
          w.write(i % 5 == 0 ? "\r\n" : "\n");
        }
      }
      Files.move(tmp, s.input().resolve(String.format("orders-%03d.csv", f)), StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** The orders as JSON messages in the topic, keyed by user; nothing if the topic already holds them all. */
  private static void prepareKafka(Settings s) throws Exception {
    KafkaTotals.createTopics(s.kafka(), s.partitions(), s.topic());
    long there = KafkaTotals.records(s.kafka(), s.topic());
    if (there == s.records()) {
      return;
    }
    if (there > 0) {
      throw new IllegalArgumentException("Kafka topic '" + s.topic() + "' holds " + there + " records, not the "
          + s.records() + " orders: pass another topic=");
    }
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = KafkaTotals.producer(s.kafka())) {
      for (long i = 0; i < s.records(); i++) {
        String user = userName(userOf(i, s.keys()));
        com.fasterxml.jackson.databind.node.ObjectNode o = json.createObjectNode()
            .put("user", user).put("amount", BigDecimal.valueOf(centsOf(i), 2)).put("ts", TEXT.format(time(EPOCH + i)));
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(s.topic(),
            user.getBytes(StandardCharsets.UTF_8), json.writeValueAsBytes(o)));
      }
      producer.flush();
    }
    long written = KafkaTotals.records(s.kafka(), s.topic());
    if (written != s.records()) {
      throw new IllegalStateException("wrote " + s.records() + " orders to '" + s.topic() + "' but it holds " + written);
    }
  }

  /** The totals table (a row per user), which must be empty: the check reads the whole table. */
  private static void prepareTable(CassandraTotals.Table t) {
    try (com.datastax.oss.driver.api.core.CqlSession c = t.session()) {
      c.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS "
          + t.keyspace() + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
          .setTimeout(Duration.ofSeconds(60)));
      c.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("CREATE TABLE IF NOT EXISTS "
          + t.name() + " (\"user\" text PRIMARY KEY, orders bigint, total decimal)").setTimeout(Duration.ofSeconds(60)));
      if (c.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("SELECT \"user\" FROM " + t.name()
          + " LIMIT 1").setTimeout(Duration.ofSeconds(60))).one() != null) {
        throw new IllegalArgumentException("Cassandra table " + t.name() + " already holds rows: pass another table="
            + " (the check reads the whole table)");
      }
    }
  }

  /** Checks the per-user totals in the Cassandra table against the orders' definition. */
  private static Verdict verifyTable(Settings s) {
    Map<String, Expected> want = new HashMap<>();
    for (long i = 0; i < s.records(); i++) {
      want.merge(userName(userOf(i, s.keys())), new Expected(1, centsOf(i)),
          (a, b) -> new Expected(a.orders() + b.orders(), a.cents() + b.cents()));
    }
    List<String> problems = new ArrayList<>();
    long delivered = 0;
    long wrong = 0;
    long present = 0; // rows of users that have orders, right or wrong
    try (com.datastax.oss.driver.api.core.CqlSession c = s.cassandra().session()) {
      for (com.datastax.oss.driver.api.core.cql.Row r : c.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement
          .newInstance("SELECT \"user\", orders, total FROM " + s.cassandra().name()).setPageSize(5000)
          .setTimeout(Duration.ofSeconds(60)))) {
        delivered++;
        Expected e = want.get(r.getString(0));
        Expected got = new Expected(r.getLong(1), r.getBigDecimal(2).movePointRight(2).longValueExact());
        if (e != null) {
          present++;
        }
        if (e == null || !e.equals(got)) {
          wrong++;
          problem(problems, "user '" + r.getString(0) + "': " + got + ", expected " + e);
        }
      }
    }
    long lost = want.size() - present;
    boolean exact = wrong == 0 && lost == 0;
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + want.size() + " user totals expected, " + delivered
        + " rows in " + s.cassandra().name() + ", " + lost + " lost, " + wrong + " wrong";
    return new Verdict(exact, want.size(), delivered, lost, 0, wrong, problems, summary);
  }

  record Expected(long orders, long cents) {}

  /** The right answer: per user and window start, the orders and cents, from the orders' definition. */
  static Map<String, Map<Long, Expected>> expected(Settings s) {
    long w = s.window().toMillis();
    Map<String, Map<Long, Expected>> out = new HashMap<>();
    for (long i = 0; i < s.records(); i++) {
      long t = EPOCH + i;
      long start = t - Math.floorMod(t, w);
      out.computeIfAbsent(userName(userOf(i, s.keys())), k -> new HashMap<>())
          .merge(start, new Expected(1, centsOf(i)), (a, b) -> new Expected(a.orders() + b.orders(),
              a.cents() + b.cents()));
    }
    return out;
  }

  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    Settings s = settings(params);
    if (s.cassandra() != null) {
      return Optional.of(verifyTable(s));
    }
    return Optional.of(verify(expected(s), s.window(), s.output().resolve(jobId)));
  }

  /** Reads every part in {@code jobDirectory} with Jackson and checks it against {@code expected}. */
  static Verdict verify(Map<String, Map<Long, Expected>> expected, Duration window, Path jobDirectory) {
    long total = expected.values().stream().mapToLong(Map::size).sum();
    List<String> problems = new ArrayList<>();
    Map<String, Map<Long, Boolean>> seen = new HashMap<>();
    long delivered = 0;
    long duplicated = 0;
    long wrong = 0;
    CsvMapper mapper = CsvMapper.builder().enable(CsvParser.Feature.WRAP_AS_ARRAY).build();
    for (Path part : parts(jobDirectory)) {
      try (MappingIterator<String[]> it = mapper.readerForArrayOf(String.class).readValues(part.toFile())) {
        boolean header = true;
        while (it.hasNextValue()) {
          String[] f = it.nextValue();
          if (header) {
            header = false;
            if (!String.join(",", f).equals("user,window_start,window_end,orders,total")) {
              wrong++;
              problem(problems, part.getFileName() + ": header " + String.join(",", f));
            }
            continue;
          }
          delivered++;
          if (f.length != 5) {
            wrong++;
            problem(problems, part.getFileName() + ": " + f.length + " fields: " + String.join("|", f));
            continue;
          }
          long start = LocalDateTime.parse(f[1].replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
          long end = LocalDateTime.parse(f[2].replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
          Expected e = expected.getOrDefault(f[0], Map.of()).get(start);
          Expected got = new Expected(Long.parseLong(f[3]), new BigDecimal(f[4]).movePointRight(2).longValueExact());
          if (e == null || end - start != window.toMillis() || !e.equals(got)) {
            wrong++;
            problem(problems, "window [" + f[1] + ", " + f[2] + ") of '" + f[0] + "': " + got + ", expected " + e);
            continue;
          }
          if (seen.computeIfAbsent(f[0], k -> new HashMap<>()).put(start, Boolean.TRUE) != null) {
            duplicated++;
            problem(problems, "window [" + f[1] + ", " + f[2] + ") of '" + f[0] + "' delivered again");
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + part, e);
      }
    }
    long found = seen.values().stream().mapToLong(Map::size).sum();
    long lost = total - found;
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0;
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + total + " (user, window) totals expected, "
        + delivered + " rows delivered, " + lost + " lost, " + duplicated + " duplicated, " + wrong + " wrong";
    return new Verdict(exact, total, delivered, lost, duplicated, wrong, problems, summary);
  }

  private static List<Path> parts(Path jobDirectory) {
    if (!Files.isDirectory(jobDirectory)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(jobDirectory)) {
      return s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + jobDirectory, e);
    }
  }

  private static void problem(List<String> problems, String p) {
    if (problems.size() < 20) {
      problems.add(p);
    }
  }
}
