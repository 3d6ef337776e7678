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
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.ListState;
import io.sluice.core.dsl.MapState;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.codec.Hex;
import io.sluice.core.internal.dsl.PipelineImpl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of the change and snapshot formats that instances persist. A source persists
 * position ranges, never records (format 1); a keyed instance persists one entry per key a step
 * touched, with only the slots it touched, lists, maps and windows as deltas (format 2; format 1
 * stays readable). Applying the changes to a fresh instance must reproduce the live state.
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
    StepResult first = src.emit(0, 1);
    assertEquals("01 00 00 02 04 " + W_MIN + " " + W_MIN + " 00 00 00", Hex.of(first.changes()));
    assertEquals(List.of(10L, 20L), records(first.outputs().get(0)));
    StepResult last = src.emit(0, 1);
    assertEquals("01 00 04 01 06 " + W_MAX + " " + W_MIN + " 02 00 00", Hex.of(last.changes()));
    OutputBatch end = last.outputs().get(0);
    assertEquals(List.of(30L), records(end));
    assertTrue(end.endOfStream());
    assertEquals(Long.MAX_VALUE, end.watermark());
    assertTrue(src.finished());
    assertTrue(src.emit(0, 1).isEmpty());
  }

  @Test
  void sourceWithEventTimePersistsTheWatermarkAndTheLargestTimestamp() throws Exception {
    ExecContext ctx = sourcePipeline(true, false);
    OperatorInstance src = open(ctx, "nums", 0);
    StepResult first = src.emit(0, 1);
    // max timestamp 20, out-of-orderness 5: watermark 20 - 5 - 1 = 14 (zig-zag 28 = 0x1c)
    assertEquals("01 00 00 02 04 1c 28 00 00 00", Hex.of(first.changes()));
    assertEquals(14, first.outputs().get(0).watermark());
    assertEquals("01 00 04 00 04 1c 28 00 00 00", Hex.of(src.snapshot()), "a snapshot is an empty range at the position");
  }

  @Test
  void aSourceRegeneratesTheSameBatchFromItsPersistedRange() throws Exception {
    ExecContext ctx = sourcePipeline(true, false);
    OperatorInstance live = open(ctx, "nums", 0);
    StepResult first = live.emit(0, 1);
    StepResult second = live.emit(0, 1);
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
  void aSourceStepOfSeveralBatchesPersistsOneRangeAndRegeneratesTheSameBatches() throws Exception {
    ExecContext ctx = sourcePipeline(true, false);
    OperatorInstance live = open(ctx, "nums", 0);
    StepResult step = live.emit(0, 2); // batch size 2: three records, two batches, one step
    // one range: from 0, 3 records, to position 6 (zig-zag), then the end of the input
    assertEquals("01 00 00 03 06 " + W_MAX + " 3c 02 00 00", Hex.of(step.changes()));
    int out = step.outputs().get(0).channel(); // the other channel is the dead-letter sink's
    List<OutputBatch> batches = step.outputs().stream().filter(b -> b.channel() == out).toList();
    assertEquals(List.of(List.of(10L, 20L), List.of(30L)), batches.stream().map(b -> records(b)).toList());
    assertEquals(List.of(false, true), batches.stream().map(OutputBatch::endOfStream).toList());
    OperatorInstance recovered = open(ctx, "nums", 0);
    List<OutputBatch> again = recovered.regenerate(step.changes()).stream().filter(b -> b.channel() == out).toList();
    assertEquals(batches.stream().map(b -> records(b)).toList(), again.stream().map(b -> records(b)).toList());
    assertEquals(batches.get(1).watermark(), again.get(1).watermark());
  }

  @Test
  void aSourceChangeListsSkippedOrdinalsAndTheDeadLettersItSent() throws Exception {
    ExecContext ctx = sourcePipeline(false, true);
    OperatorInstance src = open(ctx, "nums", 0);
    src.setIsolation(true, 0);
    StepResult r = src.emit(0, 1);
    // a dead letter: a record (1d) by its logical name with its schema, then its ints untagged
    ByteWriter dl = new ByteWriter().writeByte(0x1d).writeString("sluice.DeadLetter").writeVarInt(6)
        .writeString("job").writeByte(0).writeString("operator").writeByte(0).writeString("instance").writeByte(2)
        .writeString("record").writeByte(0).writeString("error").writeByte(0).writeString("attempts").writeByte(2)
        .writeByte(6).writeString("job-1").writeByte(6).writeString("map-1").writeByte(0)
        .writeByte(6).writeString("20").writeByte(6).writeString("java.lang.IllegalArgumentException: no twenties")
        .writeByte(2);
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
    byte[] good = src.emit(0, 1).changes();
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

  // key 0L is in key group 6 (0x06) and key 1L in key group 89 (0x59) of 128
  // format 4: a group's count n as n << 1 | 1 when its keys are longs (03: one key), and the keys
  // as a zig-zag varint (and later ones as differences to the previous, in ascending order)
  private static final String ONE_TO_THREE_CHANGE = "04 01 00 00 02 "
      + "06 03 00 03 01 04 04 "  // group 6, one long key: 0, only slot 0 (03), a value (01): 2L
      + "59 03 02 03 01 04 08";  // group 89, one long key: 1, value 4L

  /** Format 2 wrote the count and every key as a tagged value. */
  private static final String ONE_TO_THREE_CHANGE_V2 = "02 01 00 00 02 "
      + "06 01 04 00 03 01 04 04 "
      + "59 01 04 02 03 01 04 08";

  private static final String ONE_TO_THREE_CHANGE_V1 = "01 01 00 00 02 "
      + "04 02 01 01 01 04 08 00 00 00 "  // key 1L: one slot, present, value 4L, no expiry; no timers
      + "04 00 01 01 01 04 04 00 00 00";  // key 0L: value 2L

  @Test
  void keyedChangesHoldOneEntryPerTouchedKeyGroupedByKeyGroup() throws Exception {
    ExecContext ctx = reducePipeline();
    OperatorInstance sum = open(ctx, "sum", 0);
    StepResult r = sum.process(List.of(new InputBatch(0, 1, RecordBatch.of(List.of(1L, 2L, 3L)), Long.MIN_VALUE,
        false, false)), 0);
    assertEquals(ONE_TO_THREE_CHANGE, Hex.of(r.changes()));
    assertEquals(List.of(1L, 2L, 4L), records(r.outputs().get(0)));
    assertEquals(3, r.recordsIn());
    assertEquals(3, r.recordsOut());
    String snapshot = "02 01 00 01 00 " + W_MIN + " 00 02 "
        + "06 01 04 00 01 01 01 04 04 "  // key 0L in full (01): one slot, present, 2L; reduce has no timers
        + "59 01 04 02 01 01 01 04 08";
    assertEquals(snapshot, Hex.of(sum.canonicalSnapshot()));

    StepResult end = sum.process(List.of(new InputBatch(0, 2, RecordBatch.EMPTY, Long.MAX_VALUE, false, true)), 0);
    assertEquals("04 01 01 01 00 " + W_MAX + " 02 00", Hex.of(end.changes()), "finished, channel 0 ended at MAX");
    assertTrue(end.outputs().get(0).endOfStream());
    assertTrue(sum.finished());
  }

  @Test
  void longKeysOfAGroupAreWrittenAscending_asDifferences() throws Exception {
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1).withMaxParallelism(1));
    p.readFrom(Sources.collection("nums", List.of(1L))).keyBy(v -> v).reduce("sum", Long::sum)
        .writeTo(Sinks.collecting("out"));
    ExecContext ctx = context(p);
    OperatorInstance sum = open(ctx, "sum", 0);
    StepResult r = sum.process(List.of(new InputBatch(0, 1, RecordBatch.of(List.of(300L, -2L, 5L)), Long.MIN_VALUE,
        false, false)), 0);
    // one group (0), three long keys (3 << 1 | 1 = 07): -2 (zig-zag 03), then +7 to 5, then +295 to 300
    // (a7 02), each followed by its entry: slot 0 in full, its value
    assertEquals("04 01 00 00 01 00 07 03 03 01 04 03 07 03 01 04 0a a7 02 03 01 04 d8 04", Hex.of(r.changes()));
    OperatorInstance replayed = open(ctx, "sum", 0);
    replayed.apply(r.changes());
    assertArrayEquals(sum.canonicalSnapshot(), replayed.canonicalSnapshot());
    assertEquals("keyed state change: 9 entries in key group 0 with 0 bytes left at offset 7",
        assertThrows(CorruptDataException.class, () -> open(ctx, "sum", 0).apply(Hex.bytes("04 01 00 00 01 00 13")))
            .getMessage());
  }

  @Test
  void formatOneKeyedChangesAndSnapshotsStayReadable() throws Exception {
    ExecContext ctx = reducePipeline();
    OperatorInstance live = open(ctx, "sum", 0);
    live.process(List.of(new InputBatch(0, 1, RecordBatch.of(List.of(1L, 2L, 3L)), Long.MIN_VALUE, false, false)), 0);
    OperatorInstance replayed = open(ctx, "sum", 0);
    replayed.apply(Hex.bytes(ONE_TO_THREE_CHANGE_V1));
    assertArrayEquals(live.canonicalSnapshot(), replayed.canonicalSnapshot());
    OperatorInstance replayedV2 = open(ctx, "sum", 0);
    replayedV2.apply(Hex.bytes(ONE_TO_THREE_CHANGE_V2));
    assertArrayEquals(live.canonicalSnapshot(), replayedV2.canonicalSnapshot());
    OperatorInstance restored = open(ctx, "sum", 0);
    restored.restore(Hex.bytes("01 01 00 01 00 " + W_MIN + " 00 02 04 00 01 01 01 04 04 00 00 00 "
        + "04 02 01 01 01 04 08 00 00 00"));
    assertArrayEquals(live.canonicalSnapshot(), restored.canonicalSnapshot());
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
    assertEquals("sum[0]: state format version 5 is not supported (expected 1 to 4)",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("05 01 00 00 00"))).getMessage());
    assertEquals("sum[0]: a format-3 body outside a snapshot",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("03 01 00 00 00"))).getMessage());
    assertEquals("sum[0]: state of kind 0 where KEYED was expected: the pipeline's structure changed",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("02 00 00 00 00"))).getMessage());
    assertEquals("sum[0]: unknown flags 4",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("02 01 04 00 00"))).getMessage());
    assertEquals("sum[0] change: 1 unexpected trailing bytes at offset " + good.length,
        assertThrows(CorruptDataException.class, () -> sum.apply(Arrays.copyOf(good, good.length + 1))).getMessage());
    assertEquals("truncated data: need 1 bytes at offset " + (good.length - 1) + ", have 0",
        assertThrows(CorruptDataException.class, () -> sum.apply(Arrays.copyOf(good, good.length - 1))).getMessage());
    assertEquals("input channel 3 out of range (instance has 1)",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("02 01 00 01 03 00 00 00"))).getMessage());
    assertEquals("keyed state of key 0 has 2 slots, but the operator registers 1: the pipeline's state declarations"
        + " changed", assertThrows(CorruptDataException.class,
            () -> sum.apply(Hex.bytes("02 01 00 00 01 06 01 04 00 01 02 00 00"))).getMessage());
    assertEquals("keyed state of key 0 changes slots 10 (a bit per slot), but the operator registers 1: the"
        + " pipeline's state declarations changed", assertThrows(CorruptDataException.class,
            () -> sum.apply(Hex.bytes("04 01 00 00 01 06 03 00 44 00"))).getMessage());
    assertEquals("keyed state of key 0: operations for slots it does not change", assertThrows(
        CorruptDataException.class, () -> sum.apply(Hex.bytes("04 01 00 00 01 06 03 00 42 04 04 02"))).getMessage());
    assertEquals("keyed state of key 0: timers for an operator that derives them", assertThrows(
        CorruptDataException.class, () -> sum.apply(Hex.bytes("04 01 00 00 01 06 03 00 43 01 04 02 00 00")))
            .getMessage());
    assertEquals("keyed state change: invalid presence flag 7",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("02 01 00 00 01 06 01 04 00 07"))).getMessage());
    assertEquals("keyed state of key group 200, which this instance (key groups [0, 128) of 128) does not own",
        assertThrows(CorruptDataException.class, () -> sum.apply(Hex.bytes("02 01 00 00 01 c8 01 01 04 00 00")))
            .getMessage());
  }

  // ---- keyed (process: list and map state) ------------------------------------------------------

  /** Appends each value to a list and counts values per parity in a map. */
  static final class ListAndMap extends KeyedProcessFunction<Long, Long, Long> {
    private ListState<Long> values;
    private MapState<String, Long> parity;

    @Override
    public void open(OpenContext ctx) {
      values = ctx.state(StateSpec.list("values"));
      parity = ctx.state(StateSpec.map("parity"));
    }

    @Override
    public void processElement(Long v, Context<Long> ctx, Collector<Long> out) {
      if (v < 0) { // keep the odd values, then add this one
        List<Long> odd = new ArrayList<>();
        for (Long x : values.get()) {
          if (x % 2 != 0) {
            odd.add(x);
          }
        }
        odd.add(v);
        values.update(odd);
      } else {
        values.add(v);
      }
      String p = v % 2 == 0 ? "even" : "odd";
      Long n = parity.get(p);
      parity.put(p, n == null ? 1 : n + 1);
    }
  }

  private static ExecContext processPipeline() {
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("nums", List.of(1L))).keyBy(v -> 0L).process("fn", ListAndMap::new)
        .writeTo(Sinks.collecting("out"));
    return context(p);
  }

  private static StepResult step(OperatorInstance i, long seq, Long... values) {
    return i.process(List.of(new InputBatch(0, seq, RecordBatch.of(List.of(values)), Long.MIN_VALUE, false, false)), 0);
  }

  @Test
  void listAndMapStateChangesHoldOnlyWhatChanged() throws Exception {
    ExecContext ctx = processPipeline();
    OperatorInstance fn = open(ctx, "fn", 0);
    // first: a compact patch (0x40) of slots 0 and 1 (mask 11), timers unchanged (flag 0): 46;
    // then the operations, two bits per slot: both in full (01 01 = 05): list [1, 3], map {odd=2}
    assertEquals("04 01 00 00 01 06 03 00 46 05 09 02 04 02 04 06 0a 01 06 03 6f 64 64 04 04",
        Hex.of(step(fn, 1, 1L, 3L).changes()));
    // then deltas (10 10 = 0a): the list appends [4], the map puts even=1 (present 01)
    assertEquals("04 01 00 00 01 06 03 00 46 0a 01 04 08 01 06 04 65 76 65 6e 01 04 02",
        Hex.of(step(fn, 2, 4L).changes()));
    OperatorInstance replayed = open(ctx, "fn", 0);
    OperatorInstance live = open(ctx, "fn", 0);
    for (StepResult r : List.of(step(live, 1, 1L, 3L), step(live, 2, 4L), step(live, 3, 5L, 6L))) {
      replayed.apply(r.changes());
    }
    assertArrayEquals(live.canonicalSnapshot(), replayed.canonicalSnapshot());
    // replacing the list by some of its items and a new one: which it keeps (op 3), not the list
    OperatorInstance pruned = open(ctx, "fn", 0);
    List<byte[]> prunedChanges = new ArrayList<>();
    prunedChanges.add(step(pruned, 1, 1L, 3L, 4L).changes()); // [1, 3, 4]
    prunedChanges.add(step(pruned, 2, -1L).changes());        // a negative value keeps the odd ones and appends it
    // slots 0 and 1 (mask 11: 46), ops 3 and 2 (0b1011 = 0b); the list: of 3 committed items keep 1
    // and 3 (bits 011 = 03), append one: -1L (04 01); the map puts (01 present) odd=3
    assertEquals("04 01 00 00 01 06 03 00 46 0b 03 03 01 04 01 01 06 03 6f 64 64 01 04 06",
        Hex.of(prunedChanges.get(1)));
    OperatorInstance prunedReplay = open(ctx, "fn", 0);
    for (byte[] c : prunedChanges) {
      prunedReplay.apply(c);
    }
    assertArrayEquals(pruned.canonicalSnapshot(), prunedReplay.canonicalSnapshot());
    // format 2 wrote a count, and a slot number and an operation byte per slot, and a timer flag
    OperatorInstance replayedV2 = open(ctx, "fn", 0);
    replayedV2.apply(Hex.bytes("02 01 00 00 01 06 01 04 00 02 02 00 01 09 02 04 02 04 06 01 01 0a 01 06 03 6f 64 64"
        + " 04 04 00"));
    replayedV2.apply(Hex.bytes("02 01 00 00 01 06 01 04 00 02 02 00 02 01 04 08 01 02 01 06 04 65 76 65 6e 01 04 02"
        + " 00"));
    OperatorInstance twoSteps = open(ctx, "fn", 0);
    step(twoSteps, 1, 1L, 3L);
    step(twoSteps, 2, 4L);
    assertArrayEquals(twoSteps.canonicalSnapshot(), replayedV2.canonicalSnapshot());
  }

  /** Per record v: removes key "k" + (v / 10) if v % 10 == 0, else puts "k" + v = v. */
  static final class MapOrder extends KeyedProcessFunction<Long, Long, Long> {
    private MapState<String, Long> m;

    @Override
    public void open(OpenContext ctx) {
      m = ctx.state(StateSpec.map("m"));
    }

    @Override
    public void processElement(Long v, Context<Long> ctx, Collector<Long> out) {
      if (v % 10 == 0) {
        m.remove("k" + v / 10);
      } else {
        m.put("k" + v, v);
      }
    }
  }

  @Test
  void aMapKeyRemovedAndPutAgainInOneStepMovesToTheEndOnReplayToo() throws Exception {
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("nums", List.of(1L))).keyBy(v -> 0L).process("fn", MapOrder::new)
        .writeTo(Sinks.collecting("out"));
    ExecContext ctx = context(p);
    OperatorInstance live = open(ctx, "fn", 0);
    List<byte[]> changes = new ArrayList<>();
    changes.add(step(live, 1, 1L, 2L, 3L).changes());     // {k1, k2, k3}
    changes.add(step(live, 2, 10L, 1L, 4L).changes());    // k1 removed and put again: {k2, k3, k1, k4}
    changes.add(step(live, 3, 20L, 5L).changes());        // k2 removed: {k3, k1, k4, k5}
    // k6 and k7 new, k6 removed and back: {k3, k1, k4, k5, k7, k6}; so k6 is written after k7
    changes.add(step(live, 4, 6L, 7L, 60L, 6L).changes());
    OperatorInstance replayed = open(ctx, "fn", 0);
    for (byte[] c : changes) {
      replayed.apply(c);
    }
    assertArrayEquals(live.canonicalSnapshot(), replayed.canonicalSnapshot());
  }

  // ---- keyed (windows) ------------------------------------------------------------------------

  private static ExecContext windowPipeline() {
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("nums", List.of(1L))).withTimestamps(v -> v, Duration.ZERO).keyBy(v -> 0L)
        .window(WindowDefinition.sliding(Duration.ofMillis(20), Duration.ofMillis(10))).aggregate("w",
            Aggregations.counting())
        .writeTo(Sinks.collecting("out"));
    return context(p);
  }

  private static StepResult timed(OperatorInstance i, long seq, long watermark, long... times) {
    RecordBatch rs = new RecordBatch(times.length, true);
    for (long t : times) {
      rs.add(t, t);
    }
    return i.process(List.of(new InputBatch(0, seq, rs, watermark, false, false)), 0);
  }

  @Test
  void windowChangesHoldOnlyTheWindowsAStepChangedAndNoTimers() throws Exception {
    ExecContext ctx = windowPipeline();
    OperatorInstance w = open(ctx, "w", 0);
    // a new key, only slot 0 (03), its windows in full (01): two, [-10, 10) and [0, 20) as zig-zag
    // start and end, unfired, count 1L (04 02); no timers: they follow from the windows
    assertEquals("04 01 00 00 01 06 03 00 03 01 02 13 14 00 04 02 00 28 00 04 02",
        Hex.of(timed(w, 1, Long.MIN_VALUE, 5).changes()));
    // time 15 changes [0, 20) and creates [10, 30): a delta (02) with two puts, in slide units
    // (0 then +1), no length (fixed windows), not fired, accumulator in full; no removals
    assertEquals("04 01 00 00 01 06 03 00 03 02 02 00 00 00 04 04 02 00 00 04 02 00",
        Hex.of(timed(w, 2, Long.MIN_VALUE, 15).changes()));
    // the watermark passes 19: [-10, 10) and [0, 20) fire and are removed (no lateness)
    // (a channel change first: watermark 20); puts 0, removes 2: -1 and +1 slides
    assertEquals("04 01 00 01 00 28 00 01 06 03 00 03 02 00 02 01 02", Hex.of(timed(w, 3, 20).changes()));
    OperatorInstance replayed = open(ctx, "w", 0);
    OperatorInstance live = open(ctx, "w", 0);
    for (StepResult r : List.of(timed(live, 1, Long.MIN_VALUE, 5), timed(live, 2, Long.MIN_VALUE, 15),
        timed(live, 3, 20), timed(live, 4, 21, 22, 25))) {
      replayed.apply(r.changes());
    }
    assertArrayEquals(live.canonicalSnapshot(), replayed.canonicalSnapshot());
    assertEquals(live.nextDeadline(), replayed.nextDeadline());
  }

  /** Keeps the two largest values seen, in a list it sorts and trims in place. */
  static final class TopTwo implements AggregateFunction<Long, ArrayList<Long>, List<Long>> {
    @Override
    public ArrayList<Long> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public ArrayList<Long> add(ArrayList<Long> acc, Long v) {
      acc.add(v);
      acc.sort(Comparator.reverseOrder());
      while (acc.size() > 2) {
        acc.remove(acc.size() - 1);
      }
      return acc;
    }

    @Override
    public ArrayList<Long> merge(ArrayList<Long> a, ArrayList<Long> b) {
      for (Long v : b) {
        add(a, v);
      }
      return a;
    }

    @Override
    public List<Long> result(ArrayList<Long> acc) {
      return acc;
    }
  }

  @Test
  void aUserListAccumulatorChangedInPlaceReplaysAsItWas() throws Exception {
    // the list is sorted and trimmed, not appended to: a change must hold it whole
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("nums", List.of(1L))).withTimestamps(v -> v, Duration.ZERO).keyBy(v -> 0L)
        .window(WindowDefinition.tumbling(Duration.ofMillis(100))).aggregate("w", new TopTwo())
        .writeTo(Sinks.collecting("out"));
    ExecContext ctx = context(p);
    OperatorInstance live = open(ctx, "w", 0);
    OperatorInstance replayed = open(ctx, "w", 0);
    for (StepResult r : List.of(timed(live, 1, Long.MIN_VALUE, 5, 7), timed(live, 2, Long.MIN_VALUE, 9),
        timed(live, 3, Long.MIN_VALUE, 3, 8))) {
      replayed.apply(r.changes());
    }
    assertArrayEquals(live.canonicalSnapshot(), replayed.canonicalSnapshot());
    // the window fires with the two largest of 5, 7, 9, 3, 8 on both
    List<Object> fired = records(timed(live, 4, 200).outputs().get(0));
    assertEquals(List.of(List.of(9L, 8L)), fired.stream().map(r -> ((WindowResult<?, ?>) r).value()).toList());
    assertEquals(fired, records(timed(replayed, 4, 200).outputs().get(0)));
  }

  // ---- times relative to the unit -----------------------------------------------------------

  /** Registers an event-time timer at the record's value (a time). */
  static final class TimerAt extends KeyedProcessFunction<Long, Long, Long> {
    @Override
    public void processElement(Long v, Context<Long> ctx, Collector<Long> out) {
      ctx.timers().registerEventTimeTimer(v);
    }
  }

  @Test
  void timesInAChangeAreDifferencesToThePreviousTimeInIt() throws Exception {
    Pipeline.Builder p = Pipeline.builder("fmt");
    p.config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("nums", List.of(1L))).keyBy(v -> v % 2).process("fn", TimerAt::new)
        .writeTo(Sinks.collecting("out"));
    ExecContext ctx = context(p);
    OperatorInstance fn = open(ctx, "fn", 0);
    long t = 1_700_000_000_000L; // even: key 0 (group 6), and t + 1001 odd: key 1 (group 89)
    String change = Hex.of(step(fn, 1, t, t + 1001).changes());
    // key 0: a compact patch of no slot with timers (41, no operations 00): one event timer, t as a
    // difference to 0 (6 bytes); key 1: its timer t + 1001 as a difference to t: +1001 (zig-zag
    // 2002 = d2 0f)
    assertEquals("04 01 00 00 02 06 03 00 41 00 01 80 a0 ab fe f9 62 00 "
        + "59 03 02 41 00 01 d2 0f 00", change);
    OperatorInstance replayed = open(ctx, "fn", 0);
    replayed.apply(Hex.bytes(change));
    assertArrayEquals(fn.canonicalSnapshot(), replayed.canonicalSnapshot());
  }
}
