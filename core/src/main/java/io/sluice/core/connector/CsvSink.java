package io.sluice.core.connector;

import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SequenceWriter;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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
public final class CsvSink implements Sink<Row> {
  private final String name;
  private final Path directory;
  private final Schema schema;
  private final CsvFormat format;
  private final boolean fsync;

  CsvSink(String name, Path directory, Schema schema, CsvFormat format, boolean fsync) {
    this.name = Objects.requireNonNull(name, "sink name");
    this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
    this.schema = Objects.requireNonNull(schema, "schema");
    this.format = Objects.requireNonNull(format, "format");
    this.fsync = fsync;
  }

  /** Whether each part is forced to disk before it is renamed into place (default on); see {@link FileSink#withFsync}. */
  public CsvSink withFsync(boolean fsync) {
    return new CsvSink(name, directory, schema, format, fsync);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return DeliveryGuarantee.EXACTLY_ONCE;
  }

  public Schema schema() {
    return schema;
  }

  /** Where a job's parts go. */
  public Path jobDirectory(String jobId) {
    return directory.resolve(jobId);
  }

  @Override
  public SinkWriter<Row> createWriter(Context context) throws IOException {
    PartFiles parts = PartFiles.open(name, jobDirectory(context.jobId()), context.instanceIndex(), fsync);
    ObjectWriter writer = format.rowWriter(schema);
    return new SinkWriter<>() {
      @Override
      public void write(BatchId id, List<Row> rows) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(rows.size() * 32 + 64);
        try (SequenceWriter w = writer.writeValues(bytes)) {
          for (Row r : rows) {
            check(r);
            w.write(CsvFormat.fields(r));
          }
        }
        parts.write("part-" + id.asFileName() + ".csv", bytes.toByteArray());
      }

      @Override
      public void endOfStream() throws IOException {
        parts.end();
      }
    };
  }

  private void check(Row r) {
    Schema s = r.schema();
    boolean fits = s.size() == schema.size();
    for (int i = 0; fits && i < s.size(); i++) {
      fits = s.column(i).type() == schema.column(i).type();
    }
    if (!fits) {
      throw new IllegalArgumentException("sink '" + name + "': a row of (" + s + ") does not fit the table ("
          + schema + "): " + r);
    }
  }

  /**
   * The rows of every part in {@code jobDirectory}, in part order (by sink instance, upstream,
   * upstream instance and batch), read with this sink's schema and format.
   */
  public List<Row> readRows(Path jobDirectory) throws IOException {
    List<Row> out = new ArrayList<>();
    for (Path part : PartFiles.parts(jobDirectory)) {
      out.addAll(new CsvSource(name, part, schema, format.onError(CsvFormat.OnError.FAIL)).readAll());
    }
    return out;
  }

  @Override
  public String describe() {
    return "csv(" + directory + ", " + schema + "; " + format + (fsync ? "" : ", no fsync") + ")";
  }
}
