package io.sluice.sql;

import io.sluice.core.connector.CsvFormat;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Source;
import io.sluice.core.connector.Sources;
import io.sluice.core.table.Row;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The connectors a table's {@code WITH (...)} options name. Today {@code 'connector' = 'filesystem'}
 * with {@code 'format' = 'csv'}: a file or directory to read, a directory to write exactly-once part
 * files to. Options as in Flink ({@code path}, {@code csv.field-delimiter},
 * {@code csv.quote-character}, {@code csv.disable-quote-character}, {@code csv.escape-character},
 * {@code csv.null-literal}, {@code csv.ignore-parse-errors}) and Sluice's own ({@code csv.header},
 * {@code csv.max-record-bytes}, {@code sink.fsync}). An unknown option is an error that lists the
 * known ones.
 */
final class Connectors {
  private static final Set<String> FILESYSTEM = Set.of("connector", "path", "format", "csv.field-delimiter",
      "csv.quote-character", "csv.disable-quote-character", "csv.escape-character", "csv.null-literal",
      "csv.ignore-parse-errors", "csv.header", "csv.max-record-bytes", "sink.fsync");

  private Connectors() {}

  static void check(TableDef t) {
    String connector = t.options().get("connector");
    if (connector == null) {
      throw new SqlException(t.line(), 1, "Table options do not contain an option key 'connector' for table '"
          + t.name() + "'; the connectors are 'filesystem'");
    }
    if (!connector.equals("filesystem")) {
      throw new SqlException(t.line(), 1, "Could not find any factory for identifier '" + connector
          + "' (table '" + t.name() + "'); the connectors are 'filesystem'");
    }
    Set<String> unknown = new TreeSet<>(t.options().keySet());
    unknown.removeAll(FILESYSTEM);
    if (!unknown.isEmpty()) {
      throw new SqlException(t.line(), 1, "Unsupported options found for 'filesystem' (table '" + t.name() + "'): "
          + unknown + "; supported options: " + new TreeSet<>(FILESYSTEM));
    }
    if (t.options().get("path") == null) {
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': the filesystem connector needs 'path'");
    }
    String format = t.options().get("format");
    if (!"csv".equals(format)) {
      throw new SqlException(t.line(), 1, "table '" + t.name() + "': " + (format == null ? "no 'format'"
          : "format '" + format + "' is not supported") + "; the formats are 'csv'");
    }
    format(t);
  }

  /** True if the table's sink only appends rows (it cannot take updates of earlier results). */
  static boolean appendOnly(TableDef t) {
    return true;
  }

  static Source<Row> source(TableDef t, String stageName, Path baseDir) {
    return Sources.csv(stageName, path(t, baseDir), t.schema(), format(t));
  }

  static Sink<Row> sink(TableDef t, String stageName, Path baseDir) {
    return Sinks.csv(stageName, path(t, baseDir), t.schema(), format(t))
        .withFsync(!"false".equalsIgnoreCase(t.options().getOrDefault("sink.fsync", "true")));
  }

  private static Path path(TableDef t, Path baseDir) {
    return baseDir.resolve(t.options().get("path")).normalize();
  }

  private static CsvFormat format(TableDef t) {
    CsvFormat f = CsvFormat.defaults();
    try {
      String d = t.options().get("csv.field-delimiter");
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

  /** For messages. */
  static List<String> names() {
    return List.of("filesystem");
  }
}
