package io.sluice.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An upsert sink writes the last row of each key of a batch, in the order of those last rows. */
class UpsertSinkTest {
  private static final Schema S = Schema.builder().column("k", DataType.STRING).column("n", DataType.INT)
      .column("v", DataType.BIGINT).build();

  @Test
  void onlyTheLastRowOfEachKeyOfABatchIsWrittenAndABatchAgainWritesTheSame() throws Exception {
    List<List<Row>> written = new ArrayList<>();
    Sink<Row> recording = new Sink<>() {
      @Override
      public String name() {
        return "rec";
      }

      @Override
      public DeliveryGuarantee guarantee() {
        return DeliveryGuarantee.EXACTLY_ONCE;
      }

      @Override
      public SinkWriter<Row> createWriter(Context context) {
        return (id, rows) -> written.add(List.copyOf(rows));
      }
    };
    UpsertSink sink = new UpsertSink(recording, new int[] {0, 1});
    List<Row> batch = List.of(Row.of(S, "a", 1, 1L), Row.of(S, "b", 1, 2L), Row.of(S, "a", 1, 3L),
        Row.of(S, "a", 2, 4L), Row.of(S, null, 1, 5L), Row.of(S, "b", 1, 6L), Row.of(S, null, 1, 7L));
    try (SinkWriter<Row> w = sink.createWriter(null)) {
      w.write(new BatchId(0, "up", 0, 1), batch);
      w.write(new BatchId(0, "up", 0, 1), batch);
    }
    List<Row> want = List.of(Row.of(S, "a", 1, 3L), Row.of(S, "a", 2, 4L), Row.of(S, "b", 1, 6L),
        Row.of(S, null, 1, 7L));
    assertEquals(List.of(want, want), written);
  }
}
