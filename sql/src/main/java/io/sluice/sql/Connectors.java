package io.sluice.sql;

import io.sluice.core.connector.CsvFormat;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.JsonFormat;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Source;
import io.sluice.core.connector.Sources;
import io.sluice.core.table.Row;
import io.sluice.persistence.kafka.KafkaSink;
import io.sluice.persistence.sinks.CassandraSink;
import io.sluice.persistence.kafka.KafkaSinks;
import io.sluice.persistence.kafka.KafkaSource;
import io.sluice.persistence.kafka.KafkaSources;
import io.sluice.persistence.kafka.StartingOffsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The connectors a table's {@code WITH (...)} options name: {@code 'connector' = 'filesystem'} with
 * {@code 'format' = 'csv'} or {@code 'json'} (a JSON object per line), a file or directory to read,
 * a directory to write exactly-once part files to; and {@code 'connector' = 'kafka'} with {@code 'format' = 'csv'} or {@code 'json'}, one
 * row per message, read and written exactly-once by Sluice's Kafka source and sink. Filesystem Options as in Flink ({@code path}, {@code csv.field-delimiter} (or {@code field-delimiter},
 * as the first design document writes it),
 * {@code csv.quote-character}, {@code csv.disable-quote-character}, {@code csv.escape-character},
 * {@code csv.null-literal}, {@code csv.ignore-parse-errors}) and Sluice's own ({@code csv.header},
 * {@code csv.max-record-bytes}, {@code sink.fsync}). An unknown option is an error that lists the
 * known ones.
 */
final class Connectors {
  private static final Set<String> FILESYSTEM = Set.of("connector", "path", "format", "csv.field-delimiter",
      "field-delimiter",
      "csv.quote-character", "csv.disable-quote-character", "csv.escape-character", "csv.null-literal",
      "csv.ignore-parse-errors", "csv.header", "csv.max-record-bytes", "sink.fsync", "json.fail-on-missing-field",
      "json.ignore-parse-errors");

  private static final Set<String> CASSANDRA = Set.of("connector", "keyspace", "table", "contact-points",
      "local-datacenter");
  private static final java.util.regex.Pattern CQL_NAME = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,47}");
  private static final Set<String> KAFKA = Set.of("connector", "topic", "format", "properties.bootstrap.servers",
      "properties.group.id", "scan.startup.mode", "scan.startup.timestamp-millis", "scan.bounded.mode",
      "sink.delivery-guarantee", "csv.field-delimiter", "field-delimiter", "csv.quote-character",
      "csv.disable-quote-character", "csv.escape-character", "csv.null-literal", "csv.ignore-parse-errors",
      "json.fail-on-missing-field", "json.ignore-parse-errors");

  private Connectors() {}

  static void check(TableDef t) {
    String connector = t.options().get("connector");
    if (connector == null) {
      throw new SqlException(t.line(), 1, "Table options do not contain an option key 'connector' for table '"
          + t.name() + "'; the connectors are 'filesystem', 'kafka' and 'cassandra'");
    }
    boolean kafka = connector.equals("kafka");
    if (connector.equals("cassandra")) {
      checkCassandra(t);
      return;
    }
    if (!kafka && !connector.equals("filesystem")) {
      throw new SqlException(t.line(), 1, "Could not find any factory for identifier '" + connector
          + "' (table '" + t.name() + "'); the connectors are 'filesystem', 'kafka' and 'cassandra'");
    }
    Set<String> unknown = new TreeSet<>(t.options().keySet());
    unknown.removeAll(kafka ? KAFKA : FILESYSTEM);
    if (kafka) {
      unknown.removeIf(k -> k.startsWith("properties."));
    }
    if (!unknown.isEmpty()) {
      throw new SqlException(t.line(), 1, "Unsupported options found for '" + connector + "' (table '" + t.name()
          + "'): " + unknown + "; supported options: " + new TreeSet<>(kafka ? KAFKA : FILESYSTEM)
          + (kafka ? " and properties.* (Kafka client settings)" : ""));
    }
    for (String required : kafka ? List.of("topic", "properties.bootstrap.servers") : List.of("path")) {
      if (t.options().get(required) == null) {
        throw new SqlException(t.line(), 1, "table '" + t.name() + "': the " + connector + " connector needs '"
            + required + "'");
      }
    }
    String format = t.options().get("format");
    if (!"csv".equals(format) && !"json".equals(format)) {
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': " + (format == null ? "no 'format'"
          : "format '" + format + "' is not supported") + "; the formats are 'csv' and 'json'");
    }
    format(t);
    if (kafka) {
      startingOffsets(t);
      String bounded = t.options().getOrDefault("scan.bounded.mode", "unbounded");
      if (!bounded.equals("unbounded") && !bounded.equals("latest-offset")) {
        throw new SqlException(t.line(), 1, "table '" + t.name() + "': 'scan.bounded.mode' must be 'unbounded' or"
            + " 'latest-offset', not '" + bounded + "'");
      }
      guarantee(t);
    }
  }

  private static void checkCassandra(TableDef t) {
    Set<String> unknown = new TreeSet<>(t.options().keySet());
    unknown.removeAll(CASSANDRA);
    if (!unknown.isEmpty()) {
      throw new SqlException(t.line(), 1, "Unsupported options found for 'cassandra' (table '" + t.name() + "'): "
          + unknown + "; supported options: " + new TreeSet<>(CASSANDRA));
    }
    for (String k : List.of("keyspace", "table")) {
      String v = t.options().get(k);
      if (v == null || !CQL_NAME.matcher(v).matches()) {
        throw new SqlException(t.line(), 1, "table '" + t.name() + "': the cassandra connector needs '" + k
            + "', a CQL name (letters, digits, _), not " + (v == null ? "nothing" : "'" + v + "'"));
      }
    }
    if (t.primaryKey().isEmpty()) {
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': a cassandra table needs PRIMARY KEY (...) NOT"
          + " ENFORCED, the key of the Cassandra table's rows: each row is an upsert");
    }
    for (io.sluice.core.table.Column c : t.schema().columns()) {
      if (!CQL_NAME.matcher(c.name()).matches()) {
        throw new SqlException(t.line(), 1, "table '" + t.name() + "': column '" + c.name() + "' is not a CQL name");
      }
    }
  }

  private static boolean isCassandra(TableDef t) {
    return "cassandra".equals(t.options().get("connector"));
  }

  private static boolean isKafka(TableDef t) {
    return "kafka".equals(t.options().get("connector"));
  }

  private static StartingOffsets startingOffsets(TableDef t) {
    String mode = t.options().getOrDefault("scan.startup.mode", "earliest-offset");
    switch (mode) {
      case "earliest-offset":
        return StartingOffsets.earliest();
      case "latest-offset":
        return StartingOffsets.latest();
      case "group-offsets":
        return StartingOffsets.committed(StartingOffsets.earliest());
      case "timestamp": {
        String ms = t.options().get("scan.startup.timestamp-millis");
        try {
          return StartingOffsets.timestamp(Long.parseLong(ms == null ? "" : ms.trim()));
        } catch (NumberFormatException e) {
          throw new SqlException(t.line(), 1, "table '" + t.name() + "': 'scan.startup.mode' = 'timestamp' needs"
              + " 'scan.startup.timestamp-millis' (milliseconds since the epoch), not " + ms);
        }
      }
      default:
        throw new SqlException(t.line(), 1, "table '" + t.name() + "': 'scan.startup.mode' must be"
            + " 'earliest-offset', 'latest-offset', 'group-offsets' or 'timestamp', not '" + mode + "'");
    }
  }

  private static DeliveryGuarantee guarantee(TableDef t) {
    String g = t.options().getOrDefault("sink.delivery-guarantee", "exactly-once");
    switch (g) {
      case "exactly-once":
        return DeliveryGuarantee.EXACTLY_ONCE;
      case "at-least-once":
        return DeliveryGuarantee.AT_LEAST_ONCE;
      default:
        throw new SqlException(t.line(), 1, "table '" + t.name() + "': 'sink.delivery-guarantee' must be"
            + " 'exactly-once' or 'at-least-once', not '" + g + "'");
    }
  }

  private static RowFormats.Format messages(TableDef t) {
    return "json".equals(t.options().get("format"))
        ? RowFormats.json(t.schema(), "true".equalsIgnoreCase(t.options().get("json.fail-on-missing-field")))
        : RowFormats.csv(t.schema(), format(t));
  }

  private static <C> C withProperties(TableDef t, C connector, java.util.function.BiFunction<C, String[], C> with) {
    C c = connector;
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(t.options()).entrySet()) {
      String k = e.getKey();
      if (k.startsWith("properties.") && !k.equals("properties.bootstrap.servers")
          && !k.equals("properties.group.id")) {
        c = with.apply(c, new String[] {k.substring("properties.".length()), e.getValue()});
      }
    }
    return c;
  }

  /** True if the table's sink only appends rows (it cannot take updates of earlier results). */
  static boolean appendOnly(TableDef t) {
    return !isCassandra(t);
  }

  static Source<Row> source(TableDef t, String stageName, Path baseDir) {
    if (isCassandra(t)) {
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': a cassandra table can only be written to"
          + " (INSERT INTO), not read");
    }
    if (isKafka(t)) {
      RowFormats.Format f = messages(t);
      String topic = t.options().get("topic");
      KafkaSource<Row> k = KafkaSources.topic(stageName, t.options().get("properties.bootstrap.servers"), topic,
          record -> {
            if (record.value() == null) {
              throw new IllegalArgumentException("a record without a value");
            }
            return f.read(record.value());
          }).withStartingOffsets(startingOffsets(t));
      String group = t.options().get("properties.group.id");
      if (group != null) {
        k = k.withGroupId(group);
      }
      if ("latest-offset".equals(t.options().get("scan.bounded.mode"))) {
        k = k.bounded();
      }
      return withProperties(t, k, (c, kv) -> c.withProperty(kv[0], kv[1]));
    }
    if (isJson(t)) {
      return Sources.json(stageName, path(t, baseDir), t.schema(), jsonFormat(t));
    }
    return Sources.csv(stageName, path(t, baseDir), t.schema(), format(t));
  }

  private static boolean isJson(TableDef t) {
    return "json".equals(t.options().get("format"));
  }

  /** A filesystem table's JSON lines: Flink's json.* options. */
  private static JsonFormat jsonFormat(TableDef t) {
    JsonFormat f = JsonFormat.defaults().withFailOnMissingField(bool(t, "json.fail-on-missing-field"));
    return bool(t, "json.ignore-parse-errors") ? f.onError(CsvFormat.OnError.DEAD_LETTER) : f;
  }

  static Sink<Row> sink(TableDef t, String stageName, Path baseDir) {
    if (isCassandra(t)) {
      java.util.List<io.sluice.core.table.Column> cols = t.schema().columns();
      String cql = "INSERT INTO " + t.options().get("keyspace") + "." + t.options().get("table") + " ("
          + cols.stream().map(c -> "\"" + c.name() + "\"").collect(java.util.stream.Collectors.joining(", "))
          + ") VALUES (" + cols.stream().map(c -> "?").collect(java.util.stream.Collectors.joining(", ")) + ")";
      List<String> contactPoints = java.util.Arrays.stream(t.options().getOrDefault("contact-points",
          "127.0.0.1:9042").split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
      int[] key = t.primaryKey().stream().mapToInt(k -> t.schema().indexOf(k)).toArray();
      return new UpsertSink(CassandraSink.<Row>upsert(stageName, cql, row -> {
        Object[] v = row.values();
        for (int i = 0; i < v.length; i++) {
          if (v[i] instanceof java.time.LocalDateTime ts) {
            v[i] = ts.toInstant(java.time.ZoneOffset.UTC);
          }
        }
        return v;
      }).withContactPoints(contactPoints, t.options().getOrDefault("local-datacenter", "datacenter1")), key);
    }
    if (isKafka(t)) {
      RowFormats.Format f = messages(t);
      KafkaSink<Row> k = KafkaSinks.topic(stageName, t.options().get("properties.bootstrap.servers"),
          t.options().get("topic"), (Row row, String topic) -> new ProducerRecord<>(topic, null, f.write(row)))
          .withGuarantee(guarantee(t));
      return withProperties(t, k, (c, kv) -> c.withProperty(kv[0], kv[1]));
    }
    if (isJson(t)) {
      return Sinks.json(stageName, path(t, baseDir), t.schema(), jsonFormat(t))
          .withFsync(!"false".equalsIgnoreCase(t.options().getOrDefault("sink.fsync", "true")));
    }
    return Sinks.csv(stageName, path(t, baseDir), t.schema(), format(t))
        .withFsync(!"false".equalsIgnoreCase(t.options().getOrDefault("sink.fsync", "true")));
  }

  private static Path path(TableDef t, Path baseDir) {
    return baseDir.resolve(t.options().get("path")).normalize();
  }

  private static CsvFormat format(TableDef t) {
    CsvFormat f = CsvFormat.defaults();
    try {
      String d = t.options().getOrDefault("csv.field-delimiter", t.options().get("field-delimiter"));
      if (d != null) {
        f = f.withDelimiter(character(t, "csv.field-delimiter", d));
      }
      String q = t.options().get("csv.quote-character");
      if (q != null) {
        f = f.withQuote(character(t, "csv.quote-character", q));
      }
      if (bool(t, "csv.disable-quote-character")) {
        f = f.withoutQuote();
      }
      String e = t.options().get("csv.escape-character");
      if (e != null) {
        f = f.withEscape(character(t, "csv.escape-character", e));
      }
      String n = t.options().get("csv.null-literal");
      if (n != null) {
        f = f.withNullLiteral(n);
      }
      if (bool(t, "csv.ignore-parse-errors")) {
        f = f.onError(CsvFormat.OnError.DEAD_LETTER);
      }
      f = f.withHeader(bool(t, "csv.header"));
      String max = t.options().get("csv.max-record-bytes");
      if (max != null) {
        f = f.withMaxRecordBytes(Integer.parseInt(max.trim()));
      }
    } catch (IllegalArgumentException ex) {
      if (ex instanceof SqlException s) {
        throw s;
      }
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': " + ex.getMessage());
    }
    return f;
  }

  private static boolean bool(TableDef t, String key) {
    String v = t.options().get(key);
    if (v == null) {
      return false;
    }
    if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': option '" + key + "' must be 'true' or"
          + " 'false', not '" + v + "'");
    }
    return v.equalsIgnoreCase("true");
  }

  private static char character(TableDef t, String key, String v) {
    String s = v.equals("\\t") ? "\t" : v;
    if (s.length() != 1) {
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': option '" + key
          + "' must be a single character, not '" + v + "'");
    }
    return s.charAt(0);
  }

}
