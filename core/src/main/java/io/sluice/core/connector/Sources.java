package io.sluice.core.connector;

import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** Built-in sources. */
public final class Sources {
  private Sources() {}

  /**
   * The given items, in order, as a bounded source. With {@code n} splits, split {@code s} emits the
   * items at indexes {@code i} with {@code i mod n = s}. Items must be encodable (see
   * {@link io.sluice.core.codec.Codec}); the list is copied.
   */
  public static <T> Source<T> collection(String name, List<? extends T> items) {
    return new CollectionSource<>(name, List.copyOf(items));
  }

  /** The lines of a UTF-8 text file, split into byte ranges (one per instance). */
  public static Source<String> textFile(String name, Path file) {
    return new TextFileSource(name, file);
  }

  /**
   * The rows of a CSV file, or of every file in a directory (in name order, skipping names that
   * start with {@code .} or {@code _}), in the default {@link CsvFormat}: split into byte ranges
   * (one per instance) without breaking a quoted line break. See {@link CsvFormat} for how fields
   * become values and what a malformed line does.
   */
  public static Source<Row> csv(String name, Path path, Schema schema) {
    return csv(name, path, schema, CsvFormat.defaults());
  }

  /** The rows of CSV files in {@code format}; see {@link #csv(String, Path, Schema)}. */
  public static Source<Row> csv(String name, Path path, Schema schema, CsvFormat format) {
    return new CsvSource(name, path, schema, format);
  }

  /**
   * The rows of files of JSON objects, one per line (JSON lines), in a file or a directory, split
   * into byte ranges as {@link #csv(String, Path, Schema)} is; see {@link JsonFormat}.
   */
  public static Source<Row> json(String name, Path path, Schema schema, JsonFormat format) {
    return new CsvSource(name, path, schema, format);
  }

  /** Deterministic keyed records; see {@link Generator}. */
  public static Source<GeneratedRecord> generator(String name, Generator generator) {
    return Objects.requireNonNull(generator, "generator").toSource(name);
  }
}
