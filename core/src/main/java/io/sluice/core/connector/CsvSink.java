package io.sluice.core.connector;

import com.fasterxml.jackson.databind.SequenceWriter;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Exactly-once CSV files. Every batch becomes one part file {@code part-<batch id>.csv} in
 * {@code <directory>/<job id>/}, with the header line if the format has one, written and renamed
 * into place as {@link FileSink} does: a batch written again after a failure replaces its part with
 * the same content, so nothing is doubled. Fields are written by Jackson's CSV module, quoted when
 * they hold the delimiter, a quote or a line break; an empty string is written as {@code ""} and a
 * null as an empty field (or the format's null literal), so both read back as they were.
 *
 * <p>Rows must have the table's column types, in order (their column names may differ, as in SQL's
 * {@code INSERT INTO}). A {@link Sources#csv CSV source} over the job directory reads the rows back.
 */
public final class CsvSink extends RowFileSink {
  private final CsvFormat format;

  CsvSink(String name, Path directory, Schema schema, CsvFormat format, boolean fsync) {
    super(name, directory, schema, fsync);
    this.format = Objects.requireNonNull(format, "format");
  }

  /** Whether each part is forced to disk before it is renamed into place (default on); see {@link FileSink#withFsync}. */
  public CsvSink withFsync(boolean fsync) {
    return new CsvSink(name, directory, schema, format, fsync);
  }

  @Override
  byte[] encode(List<Row> rows) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(rows.size() * 32 + 64);
    try (SequenceWriter w = format.rowWriter(schema).writeValues(bytes)) {
      for (Row r : rows) {
        w.write(CsvFormat.fields(r));
      }
    }
    return bytes.toByteArray();
  }

  @Override
  String suffix() {
    return ".csv";
  }

  @Override
  CsvSource reader(Path part) {
    return new CsvSource(name, part, schema, format.onError(CsvFormat.OnError.FAIL));
  }

  @Override
  public String describe() {
    return "csv(" + directory + ", " + schema + "; " + format + (fsync ? "" : ", no fsync") + ")";
  }
}
