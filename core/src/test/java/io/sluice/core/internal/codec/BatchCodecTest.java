package io.sluice.core.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.codec.CodecRegistry;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.exec.RecordBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden bytes of the record batch format, version 1. */
class BatchCodecTest {
  record Point(int x, int y) {}

  private final BatchCodec codec = new BatchCodec(new ValueCodec(
      CodecRegistry.defaults().withName(Point.class, "test.Point"), getClass().getClassLoader()));

  private static RecordBatch batch(boolean timestamped, Object... valuesAndTimes) {
    RecordBatch b = new RecordBatch(4, timestamped);
    for (int i = 0; i < valuesAndTimes.length; i += 2) {
      b.add(valuesAndTimes[i], (Long) valuesAndTimes[i + 1]);
    }
    return b;
  }

  private static List<Object> records(RecordBatch b) {
    return new ArrayList<>(b.records());
  }

  @Test
  void goldenBytesWithoutTimestamps() {
    RecordBatch b = batch(false, "a", RecordBatch.NO_TIMESTAMP, "b", RecordBatch.NO_TIMESTAMP);
    assertEquals("01 00 02 06 01 61 06 01 62", Hex.of(codec.toBytes(b)));
    RecordBatch back = codec.fromBytes(Hex.bytes("01 00 02 06 01 61 06 01 62"));
    assertFalse(back.timestamped());
    assertEquals(List.of("a", "b"), records(back));
    assertEquals(RecordBatch.NO_TIMESTAMP, back.timestamp(1));
  }

  @Test
  void goldenBytesWithDeltaEncodedTimestamps() {
    RecordBatch b = batch(true, "a", 1000L, "b", 1003L, "c", 999L);
    String hex = "01 01 03 d0 0f 06 07 06 01 61 06 01 62 06 01 63";
    assertEquals(hex, Hex.of(codec.toBytes(b)));
    RecordBatch back = codec.fromBytes(Hex.bytes(hex));
    assertTrue(back.timestamped());
    assertEquals(List.of("a", "b", "c"), records(back));
    assertEquals(List.of(1000L, 1003L, 999L), List.of(back.timestamp(0), back.timestamp(1), back.timestamp(2)));
  }

  @Test
  void aRecordTypeIsNamedOncePerBatch() {
    RecordBatch b = batch(false, new Point(1, 2), RecordBatch.NO_TIMESTAMP, new Point(3, 4), RecordBatch.NO_TIMESTAMP);
    String hex = "01 00 02 1d 0a 74 65 73 74 2e 50 6f 69 6e 74 02 01 78 02 01 79 02 02 04 20 06 08";
    assertEquals(hex, Hex.of(codec.toBytes(b)));
    assertEquals(List.of(new Point(1, 2), new Point(3, 4)), records(codec.fromBytes(Hex.bytes(hex))));
    // the scope starts again with the next batch
    assertEquals(hex, Hex.of(codec.toBytes(b)));
  }

  @Test
  void emptyBatchesAndExtremeTimestampsRoundTrip() {
    assertEquals("01 00 00", Hex.of(codec.toBytes(RecordBatch.EMPTY)));
    assertEquals("01 01 00", Hex.of(codec.toBytes(new RecordBatch(0, true))));
    RecordBatch extremes = batch(true, 1L, Long.MIN_VALUE + 1, 2L, Long.MAX_VALUE, 3L, 0L);
    RecordBatch back = codec.fromBytes(codec.toBytes(extremes));
    assertEquals(List.of(Long.MIN_VALUE + 1, Long.MAX_VALUE, 0L),
        List.of(back.timestamp(0), back.timestamp(1), back.timestamp(2)));
  }

  private String corrupt(String hex) {
    return assertThrows(CorruptDataException.class, () -> codec.fromBytes(Hex.bytes(hex))).getMessage();
  }

  @Test
  void corruptBatchesAreReported() {
    assertEquals("record batch format version 2 is not supported (expected 1)", corrupt("02 00 00"));
    assertEquals("record batch has unknown flags 2", corrupt("01 02 00"));
    assertEquals("length 3 exceeds the 2 bytes remaining at offset 3", corrupt("01 00 03 06 00"));
    assertEquals("truncated data: need 1 bytes at offset 5, have 0", corrupt("01 00 02 06 00"));
    assertEquals("record batch: 1 unexpected trailing bytes at offset 3", corrupt("01 00 00 00"));
    assertEquals("truncated data: need 1 bytes at offset 0, have 0", corrupt(""));
  }
}
