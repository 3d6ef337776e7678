package io.sluice.core.connector;

import io.sluice.core.table.Schema;
import java.nio.file.Path;

/** Built-in sinks. */
public final class Sinks {
  private Sinks() {}

  /**
   * Keeps records in memory of this JVM, per job, for tests and single-JVM runs. Exactly-once:
   * a batch written again under the same id replaces itself. Read with
   * {@link CollectingSink#results(String)}.
   */
  public static <T> CollectingSink<T> collecting(String name) {
    return new CollectingSink<>(name);
  }

  /**
   * Exactly-once text files: one part file per batch, named by its {@link BatchId}, written to a
   * temporary name, synced and renamed into {@code directory/<job id>/}. Records are written with
   * {@code toString()} unless a formatter is given ({@link FileSink#withFormatter}).
   */
  public static <T> FileSink<T> files(String name, Path directory) {
    return new FileSink<>(name, directory, String::valueOf, true);
  }

  /**
   * Exactly-once CSV files in the default {@link CsvFormat}: one part file per batch in
   * {@code directory/<job id>/}; see {@link CsvSink}.
   */
  public static CsvSink csv(String name, Path directory, Schema schema) {
    return csv(name, directory, schema, CsvFormat.defaults());
  }

  /** Exactly-once CSV files in {@code format}; see {@link CsvSink}. */
  public static CsvSink csv(String name, Path directory, Schema schema, CsvFormat format) {
    return new CsvSink(name, directory, schema, format, true);
  }

  /**
   * Exactly-once files of JSON objects, one row per line: one part file ({@code part-<batch
   * id>.jsonl}) per batch in {@code directory/<job id>/}, written as {@link CsvSink} writes its parts.
   */
  public static JsonSink json(String name, Path directory, Schema schema, JsonFormat format) {
    return new JsonSink(name, directory, schema, format, true);
  }

  /** Logs every record at INFO. At-least-once: a failure may log a record again. */
  public static <T> Sink<T> logging(String name) {
    return new LoggingSink<>(name);
  }

  /** Drops every record (benchmarks). */
  public static <T> Sink<T> discarding(String name) {
    return new DiscardingSink<>(name);
  }
}
