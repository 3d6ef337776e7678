package io.sluice.core.connector;

import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Exactly-once files of JSON objects, one row per line: every batch becomes one part file
 * {@code part-<batch id>.jsonl} in {@code <directory>/<job id>/}, written and renamed into place as
 * {@link FileSink} does, so a batch written again after a failure replaces its part. Rows must have
 * the table's column types, in order; fields are named by the table's columns.
 */
public final class JsonSink extends RowFileSink {
  private final JsonFormat format;

  JsonSink(String name, Path directory, Schema schema, JsonFormat format, boolean fsync) {
    super(name, directory, schema, fsync);
    this.format = Objects.requireNonNull(format, "format");
  }

  /** Whether each part is forced to disk before it is renamed into place (default on). */
  public JsonSink withFsync(boolean fsync) {
    return new JsonSink(name, directory, schema, format, fsync);
  }

  @Override
  byte[] encode(List<Row> rows) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(rows.size() * 64 + 64);
    for (Row r : rows) {
      bytes.write(format.formatRow(r));
      bytes.write('\n');
    }
    return bytes.toByteArray();
  }

  @Override
  String suffix() {
    return ".jsonl";
  }

  @Override
  CsvSource reader(Path part) {
    return new CsvSource(name, part, schema, format.onError(CsvFormat.OnError.FAIL));
  }

  @Override
  public String describe() {
    return "json(" + directory + ", " + schema + "; " + format + (fsync ? "" : ", no fsync") + ")";
  }
}
