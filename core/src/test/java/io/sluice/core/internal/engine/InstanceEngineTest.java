package io.sluice.core.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.exec.ExecContext;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The protocol engine of one keyed instance, driven by hand: the test plays its upstream (a
 * source, operator 0) and its downstream (a sink), with a manual clock. No actors, no journal.
 */
class InstanceEngineTest {
  private final List<String> sent = new ArrayList<>();
  private final InstanceEngine.Outbound out = new InstanceEngine.Outbound() {
    @Override
    public void deliver(int channel, long seq, long watermark, int flags, long createdAtMillis, BatchPayload payload,
        long senderAcked) {
      sent.add("deliver " + channel + ":" + seq);
    }

    @Override
    public void ack(int channel, long upTo, boolean resend) {
      sent.add("ack " + channel + ":" + upTo + (resend ? " resend" : ""));
    }
  };

  private InstanceEngine engine(JobConfig config) {
    return engine(config, EngineSettings.defaults());
  }

  private InstanceEngine engine(JobConfig config, EngineSettings settings) {
    ExecContext ctx = ExecContext.of("j", PipelineImpl.physical(countsPipeline(config)));
    OperatorInstance logic = OperatorInstance.create(ctx, ctx.plan().operator("count").orElseThrow().index(), 0);
    InstanceEngine e = new InstanceEngine(ctx, logic, settings, out, 1);
    e.recovered(0, 0);
    sent.clear();
    return e;
  }

  private static Pipeline countsPipeline(JobConfig config) {
    Pipeline.Builder p = Pipeline.builder("counts").config(config.withParallelism(1));
    p.readFrom(Sources.collection("src", List.of("unused"))).keyBy(w -> w).aggregate("count", Aggregations.counting())
        .writeTo(Sinks.collecting("out"));
    return p.build();
  }

  private static boolean deliver(InstanceEngine e, long seq, long now, String... words) {
    return e.deliver(0, 0, seq, Long.MIN_VALUE, 0, now, BatchPayload.of(RecordBatch.of(List.of((Object[]) words))), 0,
        now);
  }

  /** Persisting is the runtime's job: here, apply and send at once. */
  private static OperatorEvent.Stepped persist(InstanceEngine e, OperatorEvent ev) {
    OperatorEvent.Stepped s = assertInstanceOf(OperatorEvent.Stepped.class, ev);
    e.apply(s);
    e.afterPersist(s, 1);
    return s;
  }

  @Test
  void aDuplicateBatchIsDroppedAndAcknowledgedAgain() {
    InstanceEngine e = engine(JobConfig.defaults());
    assertTrue(deliver(e, 1, 0, "a", "b"));
    OperatorEvent.Stepped s = persist(e, e.process(0));
    assertEquals(2, s.recordsIn());
    assertEquals(List.of("deliver 0:1", "ack 0:1"), sent);
    sent.clear();
    assertFalse(deliver(e, 1, 0, "a", "b"), "a duplicate makes no step possible");
    assertEquals(List.of("ack 0:1"), sent);
    assertNull(e.process(0));
  }

  @Test
  void withoutCreditNoStepRuns() {
    InstanceEngine e = engine(JobConfig.defaults().withCreditWindow(1));
    deliver(e, 1, 0, "a");
    persist(e, e.process(0));
    deliver(e, 2, 0, "b");
    assertNull(e.process(0), "batch 1 to the sink is not acknowledged: no credit");
    assertTrue(e.acked(2, 0, 1, false, 1));
    assertNotNull(e.process(0));
  }

  /**
   * Design of this test: with a commit interval, a step waits for more input while fewer batches
   * are ready than a step may take, until the oldest ready batch has waited the interval, or the
   * sender is out of credit (it would send no more), or an input ends.
   */
  @Test
  void theCommitIntervalHoldsAStepBackUntilItPassesOrTheSenderIsOutOfCredit() {
    InstanceEngine e = engine(JobConfig.defaults().withCommitInterval(Duration.ofMillis(50)).withCreditWindow(3));
    deliver(e, 1, 90, "z");
    assertEquals(1, persist(e, e.process(90)).consumedSeqs().length, "a first step takes one batch at once");
    deliver(e, 2, 100, "a");
    assertNull(e.process(120));
    assertEquals(150, e.processDueAt());
    deliver(e, 3, 130, "b");
    assertNull(e.process(140));
    assertEquals(150, e.processDueAt(), "due when the oldest ready batch has waited the interval");
    OperatorEvent.Stepped s = persist(e, e.process(150));
    assertEquals(2, s.consumedSeqs().length, "one step for both batches");
    assertEquals(0, e.processDueAt());

    deliver(e, 4, 200, "c");
    deliver(e, 5, 201, "d");
    assertNull(e.process(202));
    deliver(e, 6, 203, "e");
    assertEquals(3, persist(e, e.process(204)).consumedSeqs().length, "the sender has no credit left: step now");

    InstanceEngine ignoring = engine(JobConfig.defaults().withCommitInterval(Duration.ofMillis(50)));
    ignoring.ignoreCommitInterval();
    deliver(ignoring, 1, 100, "a");
    assertNotNull(ignoring.process(100));
  }

  /**
   * Design of this test: a step's event must fit one journal write, so once the steps show how many
   * bytes a batch costs, a step takes only as many batches as fit {@code stepBytes}; when batches
   * get lighter again it takes more, up to {@code maxBatchesPerStep}.
   */
  @Test
  void aStepTakesNoMoreBatchesThanFitItsBytes() {
    EngineSettings d = EngineSettings.defaults();
    EngineSettings settings = new EngineSettings(d.maxBatchesPerStep(), d.resendAfter(), d.routeStaleAfter(),
        d.chunkBytes(), d.captureBytes(), d.maxDeltas(), d.inlineBytes(), 2048, d.maxTailBytes());
    InstanceEngine e = engine(JobConfig.defaults().withCreditWindow(100), settings);
    assertEquals(1, e.stepBatches(), "no step yet: one batch, its bytes unknown");
    String[] heavy = new String[100];
    for (int i = 0; i < heavy.length; i++) {
      heavy[i] = "key-" + i + "-" + "x".repeat(40); // a new key each: about 50 bytes of changes
    }
    for (int seq = 1; seq <= 4; seq++) {
      deliver(e, seq, 0, heavy.clone());
    }
    OperatorEvent.Stepped first = persist(e, e.process(0));
    assertEquals(1, first.consumedSeqs().length);
    assertTrue(first.changes().length > 2048 / 2, "a heavy batch: " + first.changes().length + " bytes");
    assertEquals(1, e.stepBatches(), "a batch alone is about the step's bytes");
    assertEquals(1, persist(e, e.process(0)).consumedSeqs().length);
    for (int seq = 5; seq <= 8; seq++) {
      deliver(e, seq, 0, "a");
    }
    for (int i = 0; i < 12 && e.stepBatches() < 3; i++) {
      persist(e, e.process(0)); // light batches: the estimate comes down
      deliver(e, 9 + i, 0, "a");
    }
    assertTrue(e.stepBatches() >= 3, "light batches again: " + e.stepBatches());
    deliver(e, 30, 0, "a");
    deliver(e, 31, 0, "a");
    assertTrue(persist(e, e.process(0)).consumedSeqs().length >= 2, "a step takes several light batches");
  }

  @Test
  void anEndOfStreamIsNotHeldBack() {
    InstanceEngine e = engine(JobConfig.defaults().withCommitInterval(Duration.ofMillis(50)));
    e.deliver(0, 0, 1, Long.MAX_VALUE, InstanceEngine.END_OF_STREAM, 0, BatchPayload.of(RecordBatch.EMPTY), 0, 100);
    assertNotNull(e.process(100));
  }

  /**
   * Design of this test: a snapshot is taken only after a capture's chunks are durable, once, and
   * never while a capture is in flight; a failed capture takes no snapshot.
   */
  @Test
  void aSnapshotFollowsAWrittenCaptureOnly() {
    InstanceEngine e = engine(JobConfig.defaults().withSnapshotEvery(2));
    deliver(e, 1, 0, "a");
    persist(e, e.process(0));
    assertFalse(e.captureDue(0), "one event of two");
    e.acked(2, 0, 1, false, 1);
    deliver(e, 2, 0, "b");
    persist(e, e.process(0));
    assertTrue(e.captureDue(0));
    InstanceEngine.Capture c = e.startCapture(2, 0);
    assertEquals(2, c.groups().size(), "keys a and b, in their key groups");
    assertFalse(e.shouldSnapshot(), "the capture is in flight");
    e.captureFailed(c, 0);
    assertFalse(e.shouldSnapshot(), "a failed capture takes no snapshot");
    e.acked(2, 0, 2, false, 1);
    deliver(e, 3, 0, "a");
    persist(e, e.process(0));
    e.acked(2, 0, 3, false, 1);
    deliver(e, 4, 0, "c");
    persist(e, e.process(0));
    assertFalse(e.captureDue(999), "no capture within 1 s of a failed one");
    assertTrue(e.captureDue(1_000));
    InstanceEngine.Capture again = e.startCapture(4, 1_000);
    assertTrue(again.groups().stream().allMatch(g -> g.written().full()), "after a failure: new bases");
    e.captureWritten(again);
    assertTrue(e.shouldSnapshot());
    assertFalse(e.shouldSnapshot(), "once");
  }

  /**
   * Design of this test: reading a dead instance's state ahead needs, from its snapshot's bytes
   * alone, the stored versions its recovery will read: the same as a restored engine's.
   */
  @Test
  void theStoredPartsOfASnapshotAreThoseItsRecoveryReads() {
    InstanceEngine e = engine(JobConfig.defaults().withSnapshotEvery(1));
    deliver(e, 1, 0, "a", "b", "c");
    persist(e, e.process(0));
    e.captureWritten(e.startCapture(1, 0));
    assertTrue(e.shouldSnapshot());
    byte[] snapshot = e.snapshot();

    ExecContext ctx = ExecContext.of("j", PipelineImpl.physical(countsPipeline(JobConfig.defaults())));
    int op = ctx.plan().operator("count").orElseThrow().index();
    List<io.sluice.core.internal.exec.ChunkedState.Part> parts =
        InstanceEngine.storedParts(OperatorInstance.create(ctx, op, 0), snapshot);
    InstanceEngine restored = engine(JobConfig.defaults());
    restored.restore(snapshot);
    assertEquals(restored.toLoad(), parts);
    assertEquals(3, parts.stream().mapToInt(io.sluice.core.internal.exec.ChunkedState.Part::keyGroup).distinct()
        .count(), "keys a, b and c, each in its key group's base: " + parts);
    assertTrue(parts.stream().allMatch(p -> p.stored().version() == 1 && p.stored().full()));
  }

  /**
   * Design of this test: once the journal written after the last saved snapshot passes
   * {@code maxTailBytes} (its stored state fell behind), the instance consumes nothing, even with
   * input and credit, until a capture was written and a snapshot taken with a marker (an empty
   * step) was saved; then it consumes again. A marker does not count as a successful step.
   */
  @Test
  void pastItsJournalTailBoundAnInstanceConsumesNothingUntilASnapshotLands() {
    EngineSettings settings = EngineSettings.defaults().withMaxTailBytes(EngineSettings.DEFAULT_STEP_BYTES);
    InstanceEngine e = engine(JobConfig.defaults().withCreditWindow(1000), settings);
    String[] words = new String[2000];
    long seq = 0;
    while (!e.catchingUp()) {
      assertTrue(seq < 10_000, "the tail never passed its bound: " + e.tailBytes());
      seq++;
      for (int i = 0; i < words.length; i++) {
        words[i] = "w" + seq + "-" + i; // new keys: every record changes the state
      }
      deliver(e, seq, 0, words);
      persist(e, e.process(0));
      e.acked(2, 0, seq, false, 1);
    }
    assertTrue(e.tailBytes() > EngineSettings.DEFAULT_STEP_BYTES, "tail " + e.tailBytes());
    deliver(e, seq + 1, 0, "x");
    assertTrue(e.inputsReady() && e.hasCredit());
    assertNull(e.process(0), "catching up: no input consumed");
    assertTrue(e.captureDue(0));

    // the store fails twice: no input comes to fire a trigger, yet captures are retried, 1 s and
    // then 2 s after each failure, not on every tick
    e.captureFailed(e.startCapture(seq, 0), 0);
    assertFalse(e.captureDue(999));
    assertTrue(e.captureDue(1_000), "a catching-up instance retries a failed capture");
    e.captureFailed(e.startCapture(seq, 1_000), 1_000);
    assertFalse(e.captureDue(2_999));
    assertTrue(e.captureDue(3_000));
    InstanceEngine.Capture c = e.startCapture(seq, 3_000);
    e.captureWritten(c);
    assertTrue(e.snapshotWaitsForEvent(), "the snapshot waits for an event");
    OperatorEvent.Stepped marker = InstanceEngine.marker(0, 1);
    e.apply(marker);
    assertTrue(e.shouldSnapshot(), "everything changed is stored: snapshot with the marker");
    assertTrue(e.catchingUp(), "until the snapshot is saved");
    assertNull(e.process(0));
    e.snapshotSaved(2);
    assertFalse(e.catchingUp());
    assertTrue(e.tailBytes() < 1024, "the tail starts at the snapshot: " + e.tailBytes());
    OperatorEvent.Stepped s = persist(e, e.process(0));
    assertEquals(1, s.recordsIn(), "consuming again");
  }

  /**
   * Design of this test: an at-least-once sink persists its marks only every 64 batches; the
   * records of the steps in between must still be counted by the next persisted event, or a
   * recovered sink reports fewer records than it wrote.
   */
  @Test
  void anAtLeastOnceSinkCountsTheRecordsOfUnpersistedStepsInItsNextEvent() {
    Pipeline.Builder p = Pipeline.builder("alo").config(JobConfig.defaults().withParallelism(1)
        .withDelivery(io.sluice.core.connector.DeliveryGuarantee.AT_LEAST_ONCE));
    p.readFrom(Sources.collection("src", List.of("unused"))).writeTo(Sinks.collecting("out"));
    ExecContext ctx = ExecContext.of("j-alo", PipelineImpl.physical(p.build()));
    OperatorInstance logic = OperatorInstance.create(ctx, ctx.plan().operator("out").orElseThrow().index(), 0);
    InstanceEngine e = new InstanceEngine(ctx, logic, EngineSettings.defaults(), out, 1);
    e.recovered(0, 0);
    long total = 0;
    OperatorEvent persisted = null;
    for (long seq = 1; persisted == null; seq++) {
      deliver(e, seq, 0, "a", "b", "c");
      total += 3;
      persisted = e.process(0);
    }
    OperatorEvent.Stepped s = assertInstanceOf(OperatorEvent.Stepped.class, persisted);
    assertEquals(total, s.recordsIn(), "every record since the last persisted marks");
    assertTrue(total > 3, "steps without an event came first");
    e.apply(s);
    assertEquals(total, e.recordsIn());
  }
}
