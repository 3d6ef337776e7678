package io.sluice.core.internal.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.codec.Hex;
import io.sluice.core.internal.dsl.PipelineImpl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of the change and snapshot formats that instances persist (format version 1). A
 * source persists position ranges, never records; a keyed instance persists the entries a step
 * touched, in full. Applying the changes to a fresh instance must reproduce the live state.
 */
class StateFormatTest {
  private static final String W_MIN = "ff ff ff ff ff ff ff ff ff 01"; // zig-zag Long.MIN_VALUE
  private static final String W_MAX = "fe ff ff ff ff ff ff ff ff 01"; // zig-zag Long.MAX_VALUE

  private static ExecContext context(Pipeline.Builder p) {
    return ExecContext.of("job-1", PipelineImpl.physical(p.build()));
  }

  private static ExecContext sourcePipeline(boolean timestamps, boolean failOn20) {
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1).withBatching(2, Duration.ZERO)
        .withDeadLetterSink(Sinks.collecting("dead")));
    var src = p.readFrom(Sources.collection("nums", List.of(10L, 20L, 30L)));
    if (timestamps) {
      src.withTimestamps(v -> v, Duration.ofMillis(5));
    }
    src.map(v -> {
      if (failOn20 && v == 20L) {
        throw new IllegalArgumentException("no twenties");
      }
      return v;
    }).writeTo(Sinks.collecting("out"));
    return context(p);
  }

  private static OperatorInstance open(ExecContext ctx, String name, int index) throws Exception {
    int op = ctx.plan().operator(name).orElseThrow().index();
    OperatorInstance i = OperatorInstance.create(ctx, op, index);
    i.open();
    return i;
  }

  private static List<Object> records(OutputBatch b) {
    return new ArrayList<>(b.records().records());
  }

  // ---- source ---------------------------------------------------------------------------------

  @Test
  void sourceChangesHoldPositionRangesWatermarkAndFlags() throws Exception {
    ExecContext ctx = sourcePipeline(false, false);
    OperatorInstance src = open(ctx, "nums", 0);
    StepResult first = src.emit(0);
    assertEquals("01 00 00 02 04 " + W_MIN + " " + W_MIN + " 00 00 00", Hex.of(first.changes()));
    assertEquals(List.of(10L, 20L), records(first.outputs().get(0)));
    StepResult last = src.emit(0);
    assertEquals("01 00 04 01 06 " + W_MAX + " " + W_MIN + " 02 00 00", Hex.of(last.changes()));
    OutputBatch end = last.outputs().get(0);
    assertEquals(List.of(30L), records(end));
    assertTrue(end.endOfStream());
    assertEquals(Long.MAX_VALUE, end.watermark());
    assertTrue(src.finished());
    assertTrue(src.emit(0).isEmpty());
  }

  @Test
  void sourceWithEventTimePersistsTheWatermarkAndTheLargestTimestamp() throws Exception {
    ExecContext ctx = sourcePipeline(true, false);
    OperatorInstance src = open(ctx, "nums", 0);
    StepResult first = src.emit(0);
    // max timestamp 20, out-of-orderness 5: watermark 20 - 5 - 1 = 14 (zig-zag 28 = 0x1c)
    assertEquals("01 00 00 02 04 1c 28 00 00 00", Hex.of(first.changes()));
    assertEquals(14, first.outputs().get(0).watermark());
    assertEquals("01 00 04 00 04 1c 28 00 00 00", Hex.of(src.snapshot()), "a snapshot is an empty range at the position");
  }

  @Test
  void aSourceRegeneratesTheSameBatchFromItsPersistedRange() throws Exception {
    ExecContext ctx = sourcePipeline(true, false);
    OperatorInstance live = open(ctx, "nums", 0);
    StepResult first = live.emit(0);
    StepResult second = live.emit(0);
    OperatorInstance recovered = open(ctx, "nums", 0);
    recovered.restore(live.snapshot());
    for (StepResult r : List.of(first, second)) {
      OutputBatch original = r.outputs().get(0);
      OutputBatch again = recovered.regenerate(r.changes()).get(0);
      assertEquals(records(original), records(again));
      assertEquals(original.watermark(), again.watermark());
      assertEquals(original.endOfStream(), again.endOfStream());
      for (int i = 0; i < original.records().size(); i++) {
        assertEquals(original.records().timestamp(i), again.records().timestamp(i));
      }
    }
    assertArrayEquals(live.snapshot(), recovered.snapshot());
    assertTrue(recovered.finished());
  }

  @Test
  void aSourceChangeListsSkippedOrdinalsAndTheDeadLettersItSent() throws Exception {
    ExecContext ctx = sourcePipeline(false, true);
    OperatorInstance src = open(ctx, "nums", 0);
    src.setIsolation(true, 0);
    StepResult r = src.emit(0);
    ByteWriter dl = new ByteWriter().writeByte(0x1f).writeString(DeadLetter.class.getName())
        .writeByte(6).writeString("job-1").writeByte(6).writeString("map-1").writeByte(3).writeByte(0)
        .writeByte(6).writeString("20").writeByte(6).writeString("java.lang.IllegalArgumentException: no twenties")
        .writeByte(3).writeByte(2);
    assertEquals("01 00 00 02 04 " + W_MIN + " " + W_MIN + " 00 01 01 01 " + Hex.of(dl.toByteArray()),
        Hex.of(r.changes()));
    assertEquals(List.of(10L), records(r.outputs().get(0)));
    assertEquals(List.of(new DeadLetter("job-1", "map-1", 0, "20", "java.lang.IllegalArgumentException: no twenties", 1)),
        records(r.outputs().get(1)));
    OperatorInstance replay = open(ctx, "nums", 0);
    List<OutputBatch> again = replay.regenerate(r.changes());
    assertEquals(List.of(10L), records(again.get(0)), "the skipped record is skipped again, without calling the map");
    assertEquals(records(r.outputs().get(1)), records(again.get(1)));
  }

  @Test
  void corruptSourceChangesAreReported() throws Exception {
    OperatorInstance src = open(sourcePipeline(false, false), "nums", 0);
    byte[] good = src.emit(0).changes();
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertEquals("nums source change: 1 unexpected trailing bytes at offset " + good.length,
        assertThrows(CorruptDataException.class, () -> src.apply(trailing)).getMessage());
    assertEquals("truncated data: need 1 bytes at offset " + (good.length - 1) + ", have 0",
        assertThrows(CorruptDataException.class, () -> src.apply(Arrays.copyOf(good, good.length - 1))).getMessage());
    assertEquals("nums[0]: state of kind 1 where SOURCE was expected: the pipeline's structure changed",
        assertThrows(CorruptDataException.class, () -> src.apply(Hex.bytes("01 01 00"))).getMessage());
  }

  // ---- keyed (reduce) -------------------------------------------------------------------------

  private static ExecContext reducePipeline() {
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("nums", List.of(1L, 2L, 3L))).keyBy(v -> v % 2).reduce("sum", Long::sum)
        .writeTo(Sinks.collecting("out"));
    return context(p);
  }

  private static final String ONE_TO_THREE_CHANGE = "01 01 00 00 02 "
      + "04 02 01 01 01 04 08 00 00 00 "  // key 1L: one slot, present, value 4L, no expiry; no timers
      + "04 00 01 01 01 04 04 00 00 00";  // key 0L: value 2L

  @Test
  void keyedChangesHoldTheTouchedEntriesInFull() throws Exception {
    ExecContext ctx = reducePipeline();
    OperatorInstance sum = open(ctx, "sum", 0);
    StepResult r = sum.process(List.of(new InputBatch(0, 1, RecordBatch.of(List.of(1L, 2L, 3L)), Long.MIN_VALUE,
        false, false)), 0);
    assertEquals(ONE_TO_THREE_CHANGE, Hex.of(r.changes()));
    assertEquals(List.of(1L, 2L, 4L), records(r.outputs().get(0)));
    assertEquals(3, r.recordsIn());
    assertEquals(3, r.recordsOut());
    String snapshot = "01 01 00 01 00 " + W_MIN + " 00 02 "
        + "04 00 01 01 01 04 04 00 00 00 "
        + "04 02 01 01 01 04 08 00 00 00";
    assertEquals(snapshot, Hex.of(sum.canonicalSnapshot()));

    StepResult end = sum.process(List.of(new InputBatch(0, 2, RecordBatch.EMPTY, Long.MAX_VALUE, false, true)), 0);
    assertEquals("01 01 01 01 00 " + W_MAX + " 02 00", Hex.of(end.changes()), "finished, channel 0 ended at MAX");
    assertTrue(end.outputs().get(0).endOfStream());
    assertTrue(sum.finished());
  }

  @Test
  void applyingKeyedChangesOrASnapshotReproducesTheLiveState() throws Exception {
    ExecContext ctx = reducePipeline();
    OperatorInstance live = open(ctx, "sum", 0);
    List<byte[]> changes = new ArrayList<>();
    changes.add(live.process(List.of(new InputBatch(0, 1, RecordBatch.of(List.of(1L, 2L, 3L)), 5, false, false)), 0)
        .changes());
    changes.add(live.process(List.of(new InputBatch(0, 2, RecordBatch.of(List.of(10L, 11L)), 9, false, false)), 0)
        .changes());
    OperatorInstance replayed = open(ctx, "sum", 0);
    for (byte[] c : changes) {
      replayed.apply(c);
    }
    assertArrayEquals(live.canonicalSnapshot(), replayed.canonicalSnapshot());
    OperatorInstance restored = open(ctx, "sum", 0);
    restored.restore(live.snapshot());
    assertArrayEquals(live.canonicalSnapshot(), restored.canonicalSnapshot());
    // and it goes on from there: key 1 holds 1 + 3 + 11 = 15
    StepResult next = restored.process(List.of(new InputBatch(0, 3, RecordBatch.of(List.of(1L)), 9, false, false)), 0);
    assertEquals(List.of(16L), records(next.outputs().get(0)));
  }

  @Test
  void corruptKeyedChangesAreReported() throws Exception {
    OperatorInstance sum = open(reducePipeline(), "sum", 0);
    byte[] good = Hex.bytes(ONE_TO_THREE_CHANGE);
    assertEquals("sum[0]: state format version 2 is not supported (expected 1)",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("02 01 00 00 00"))).getMessage());
    assertEquals("sum[0]: state of kind 0 where KEYED was expected: the pipeline's structure changed",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("01 00 00 00 00"))).getMessage());
    assertEquals("sum[0]: unknown flags 4",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("01 01 04 00 00"))).getMessage());
    assertEquals("sum[0] change: 1 unexpected trailing bytes at offset " + good.length,
        assertThrows(CorruptDataException.class, () -> sum.apply(Arrays.copyOf(good, good.length + 1))).getMessage());
    assertEquals("truncated data: need 1 bytes at offset " + (good.length - 1) + ", have 0",
        assertThrows(CorruptDataException.class, () -> sum.apply(Arrays.copyOf(good, good.length - 1))).getMessage());
    assertEquals("input channel 3 out of range (instance has 1)",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("01 01 00 01 03 00 00 00"))).getMessage());
    assertEquals("keyed state of key 1 has 2 slots, but the operator registers 1: the pipeline's state declarations"
        + " changed", assertThrows(CorruptDataException.class,
            () -> sum.apply(Hex.bytes("01 01 00 00 01 04 02 01 02 00 00 00 00"))).getMessage());
    assertEquals("keyed state change: invalid presence flag 7",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("01 01 00 00 01 04 02 07"))).getMessage());
  }
}
