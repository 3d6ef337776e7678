package io.sluice.core.connector;

import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the table file sinks ({@link CsvSink}, {@link JsonSink}) share: exactly-once part files, one
 * per batch, named by the batch id, in {@code <directory>/<job id>/} ({@link PartFiles}); rows must
 * have the table's column types, in order.
 */
abstract class RowFileSink implements Sink<Row> {
  final String name;
  final Path directory;
  final Schema schema;
  final boolean fsync;

  RowFileSink(String name, Path directory, Schema schema, boolean fsync) {
    this.name = Objects.requireNonNull(name, "sink name");
    this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
    this.schema = Objects.requireNonNull(schema, "schema");
    this.fsync = fsync;
  }

  /** The bytes of a part holding {@code rows} (each already fits the table). */
  abstract byte[] encode(List<Row> rows) throws IOException;

  /** The file name suffix of a part, such as {@code .csv}. */
  abstract String suffix();

  /** A source that reads one part back, failing on a malformed line. */
  abstract CsvSource reader(Path part);

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final DeliveryGuarantee guarantee() {
    return DeliveryGuarantee.EXACTLY_ONCE;
  }

  /** The table's columns. */
  public final Schema schema() {
    return schema;
  }

  /** Where a job's parts go. */
  public final Path jobDirectory(String jobId) {
    return directory.resolve(jobId);
  }

  @Override
  public final SinkWriter<Row> createWriter(Context context) throws IOException {
    PartFiles parts = PartFiles.open(name, jobDirectory(context.jobId()), context.instanceIndex(), fsync);
    return new SinkWriter<>() {
      @Override
      public void write(BatchId id, List<Row> rows) throws IOException {
        List<Row> fitted = new ArrayList<>(rows.size());
        for (Row r : rows) {
          fitted.add(fit(r));
        }
        parts.write("part-" + id.asFileName() + suffix(), encode(fitted));
      }

      @Override
      public void endOfStream() throws IOException {
        parts.end();
      }
    };
  }

  /**
   * {@code r} if it has the table's column types in order, as a row of the table (its column names).
   * Otherwise fails naming the sink, both schemas and the row.
   */
  private Row fit(Row r) {
    Schema s = r.schema();
    boolean fits = s.size() == schema.size();
    for (int i = 0; fits && i < s.size(); i++) {
      fits = s.column(i).type() == schema.column(i).type();
    }
    if (!fits) {
      throw new IllegalArgumentException("sink '" + name + "': a row of (" + s + ") does not fit the table ("
          + schema + "): " + r);
    }
    return s.equals(schema) ? r : Row.of(schema, r.values());
  }

  /**
   * The rows of every part in {@code jobDirectory}, in part order (by sink instance, upstream,
   * upstream instance and batch), read with this sink's schema and format.
   */
  public final List<Row> readRows(Path jobDirectory) throws IOException {
    List<Row> out = new ArrayList<>();
    for (Path part : PartFiles.parts(jobDirectory)) {
      out.addAll(reader(part).readAll());
    }
    return out;
  }
}
