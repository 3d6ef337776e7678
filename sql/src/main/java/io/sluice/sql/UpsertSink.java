package io.sluice.sql;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import io.sluice.core.table.Row;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An upsert sink that writes only the last row of each primary key in a batch: the rows of one key
 * overwrite each other, so the others would be written for nothing (a running {@code GROUP BY}
 * updates its group's row for every input row). Still exactly-once: a batch written again after a
 * failure has the same rows, so it writes the same last rows.
 */
final class UpsertSink implements Sink<Row> {
  private final Sink<Row> inner;
  private final int[] key;

  UpsertSink(Sink<Row> inner, int[] key) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.key = key.clone();
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return inner.guarantee();
  }

  @Override
  public String describe() {
    return inner.describe() + ", the last row per key of each batch";
  }

  @Override
  public SinkWriter<Row> createWriter(Context context) throws Exception {
    SinkWriter<Row> w = inner.createWriter(context);
    return new SinkWriter<>() {
      @Override
      public void write(BatchId id, List<Row> rows) throws Exception {
        Map<List<Object>, Row> last = new LinkedHashMap<>();
        for (Row r : rows) {
          List<Object> k = new ArrayList<>(key.length);
          for (int i : key) {
            k.add(r.get(i));
          }
          last.remove(k); // keep the order of the last rows
          last.put(k, r);
        }
        w.write(id, new ArrayList<>(last.values()));
      }

      @Override
      public void endOfStream() throws Exception {
        w.endOfStream();
      }

      @Override
      public void close() throws Exception {
        w.close();
      }
    };
  }
}
