package io.sluice.core.testing;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.engine.BatchPayload;
import io.sluice.core.internal.engine.EngineSettings;
import io.sluice.core.internal.engine.EventFormats;
import io.sluice.core.internal.engine.InMemoryStateStore;
import io.sluice.core.internal.engine.InstanceEngine;
import io.sluice.core.internal.engine.OperatorEvent;
import io.sluice.core.internal.engine.StateStore;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.exec.ChunkedState;
import io.sluice.core.internal.exec.ExecContext;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.OutputBatch;
import io.sluice.core.internal.exec.RecordBatch;
import io.sluice.core.internal.exec.RestartTracker;
import io.sluice.core.internal.exec.UserCodeException;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a whole pipeline in the calling thread, deterministically, without a cluster: for unit
 * tests of pipelines (like Kafka Streams' {@code TopologyTestDriver}).
 *
 * <p>It runs what the cluster runs: every instance is the same protocol engine the nodes run
 * (per-channel sequence numbers, deduplication, acknowledgements, credit, outboxes, restart
 * strategies), its events are persisted — serialized in the journal's format — to an in-memory
 * journal with snapshots every {@code snapshotEvery} events, and {@link #crash} rebuilds an
 * instance from them exactly as a recovery on a node would. Messages between instances are
 * delivered in order and never lost. Processing time is a manual clock; event time and watermarks
 * come from the records' timestamps.
 *
 * <pre>{@code
 * try (PipelineTestDriver driver = PipelineTestDriver.of(pipeline)) {
 *   driver.run();
 *   assertEquals(List.of(...), driver.results(sink));
 * }
 * }</pre>
 *
 * {@link #savepoint()} and {@link #fromSavepoint} test a pipeline's next version (or another
 * parallelism) against the state of this one. Restart strategies are applied without waiting for
 * their delays. Not thread-safe.
 */
public final class PipelineTestDriver implements AutoCloseable {
  private static final AtomicInteger JOBS = new AtomicInteger();

  private final PhysicalPlan plan;
  private final ExecContext ctx;
  private final EngineSettings settings = EngineSettings.defaults().withChunkBytes(4096);
  private final InMemoryStateStore store = new InMemoryStateStore();
  private final List<Slot> slots = new ArrayList<>();
  private final Slot[][] byOperator;
  private final boolean verifyRecovery;
  private long now;
  private long steps;
  private long recoveries;
  private long journalBytes;
  private long journalEvents;
  private long incarnations;
  private JobFailedException failure;

  /** A message on its way to an instance. */
  private record Message(boolean ack, int fromOperator, int fromIndex, long seq, long watermark, int flags,
      long createdAt, BatchPayload payload, long senderAcked, boolean resend) {}

  /** One instance with its journal and inbox. */
  private final class Slot {
    final int op;
    final int index;
    final ArrayDeque<Message> inbox = new ArrayDeque<>();
    final RestartTracker restarts;
    InstanceEngine engine;
    OperatorInstance shadow;
    byte[] snapshot;
    final List<byte[]> journal = new ArrayList<>();
    /** The savepoint part this instance's job started from: restored before its journal, at every incarnation. */
    io.sluice.core.internal.exec.OperatorSavepoint restoredFrom;
    /** Events persisted so far: the journal's sequence number. */
    long seqNr;
    /** Bytes of the events persisted so far. */
    long journalBytes;

    Slot(int op, int index) {
      this.op = op;
      this.index = index;
      this.restarts = new RestartTracker(plan.config().restartStrategy());
    }

    Slot target(PhysicalPlan.ChannelRef ref) {
      return byOperator[ref.peerOperator()][ref.peerInstance()];
    }
  }

  private PipelineTestDriver(Pipeline pipeline, String jobId, long startMillis, boolean verifyRecovery) {
    this(pipeline, jobId, startMillis, verifyRecovery, null, false);
  }

  private PipelineTestDriver(Pipeline pipeline, String jobId, long startMillis, boolean verifyRecovery,
      Savepoint from, boolean allowNonRestoredState) {
    this.plan = PipelineImpl.physical(pipeline);
    this.ctx = ExecContext.of(jobId, plan);
    this.now = startMillis;
    this.verifyRecovery = verifyRecovery;
    this.byOperator = new Slot[plan.operators().size()][];
    for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
      byOperator[op.index()] = new Slot[op.parallelism()];
      for (int i = 0; i < op.parallelism(); i++) {
        Slot s = new Slot(op.index(), i);
        byOperator[op.index()][i] = s;
        slots.add(s);
      }
    }
    if (from != null) {
      assign(from, allowNonRestoredState);
    }
    for (Slot s : slots) {
      s.engine = build(s);
      if (verifyRecovery) {
        s.shadow = OperatorInstance.create(ctx, s.op, s.index);
      }
    }
  }

  /** A driver for {@code pipeline}, processing time starting at 2024-01-01T00:00:00Z. */
  public static PipelineTestDriver of(Pipeline pipeline) {
    return new PipelineTestDriver(pipeline, "test-" + JOBS.incrementAndGet(), Instant.parse("2024-01-01T00:00:00Z")
        .toEpochMilli(), false);
  }

  /**
   * A driver that, after every step, also replays the persisted change on a shadow copy of the
   * instance and, for sources, regenerates the batch from its persisted position range, and fails
   * if either differs from what the live instance did. Slower; for tests of the engine itself.
   */
  public static PipelineTestDriver withRecoveryChecks(Pipeline pipeline) {
    return new PipelineTestDriver(pipeline, "test-" + JOBS.incrementAndGet(), Instant.parse("2024-01-01T00:00:00Z")
        .toEpochMilli(), true);
  }

  /**
   * A driver for {@code pipeline} that starts from {@code savepoint}, as a job submitted from a
   * savepoint on a cluster does: each stateful operator takes the state the savepoint holds under
   * its name — a keyed operator the key groups of each instance's range, whatever the parallelism
   * that wrote them; a source the position of each split (its parallelism must be the same). An
   * operator the savepoint does not know starts empty. Fails, naming the operator, if the savepoint
   * holds state of an operator the pipeline no longer has, or state that does not fit its operator
   * (another kind of operator, other states, another max parallelism).
   */
  public static PipelineTestDriver fromSavepoint(Pipeline pipeline, Savepoint savepoint) {
    return fromSavepoint(pipeline, savepoint, false);
  }

  /**
   * As {@link #fromSavepoint(Pipeline, Savepoint)}; with {@code allowNonRestoredState}, the state of
   * operators the pipeline no longer has is dropped instead of refused (Flink's
   * {@code --allowNonRestoredState}).
   */
  public static PipelineTestDriver fromSavepoint(Pipeline pipeline, Savepoint savepoint,
      boolean allowNonRestoredState) {
    Objects.requireNonNull(savepoint, "savepoint");
    return new PipelineTestDriver(pipeline, "test-" + JOBS.incrementAndGet(), Instant.parse("2024-01-01T00:00:00Z")
        .toEpochMilli(), false, savepoint, allowNonRestoredState);
  }

  /** Gives each instance its operator's part of {@code from}, after checking every part has an operator. */
  private void assign(Savepoint from, boolean allowNonRestoredState) {
    List<String> unknown = new ArrayList<>();
    for (String name : from.operators()) {
      if (plan.operator(name).isEmpty()) {
        unknown.add(name);
      }
    }
    if (!unknown.isEmpty() && !allowNonRestoredState) {
      throw new IllegalArgumentException("the savepoint holds state of operator(s) " + unknown + " that the pipeline"
          + " no longer has (its operators: " + plan.operators().stream().map(PhysicalPlan.PhysicalOperator::name)
          .toList() + "); rename them back, or drop their state with allowNonRestoredState");
    }
    for (Slot s : slots) {
      s.restoredFrom = from.part(plan.operator(s.op).name());
    }
  }

  /**
   * A new incarnation of {@code s} from its journal: the last snapshot and the events after it,
   * then the hello of a recovered instance (resend requests upstream, its outbox downstream). If
   * it cannot even be opened (a missing input file, a sink that cannot create its writer), or its
   * state cannot be recovered, the job fails.
   */
  private InstanceEngine build(Slot s) {
    OperatorInstance inst = OperatorInstance.create(ctx, s.op, s.index);
    UserCodeException error;
    try {
      inst.open();
      if (s.restoredFrom != null && s.snapshot == null) {
        try {
          inst.restoreSavepoint(s.restoredFrom); // what the journal's events apply to
        } catch (IllegalArgumentException e) {
          throw new UserCodeException(inst.operatorName() + " (restoring the savepoint)", null, e);
        }
      }
      InstanceEngine e = new InstanceEngine(ctx, inst, settings, outbound(s), ++incarnations);
      e.ignoreCommitInterval(); // the clock is manual: a step held back would wait for a test to move it
      if (s.snapshot != null) {
        e.restore(s.snapshot);
      }
      for (byte[] bytes : s.journal) {
        e.apply(EventFormats.read(bytes));
      }
      if (e.awaitsChunks()) {
        for (Map.Entry<Integer, List<ChunkedState.Part>> g : e.toLoadByGroup().entrySet()) {
          List<byte[]> versions = new ArrayList<>();
          for (ChunkedState.Part p : g.getValue()) {
            versions.add(join(store.read(e.stateOwner(), p.keyGroup(), p.stored().version(), p.stored().chunks())));
          }
          e.loadGroup(g.getKey(), versions);
        }
        e.finishLoad();
      }
      for (InstanceEngine.Orphans o : e.orphans()) {
        store.deleteAbove(e.stateOwner(), o.keyGroup(), o.aboveVersion());
      }
      if (e.problem() == null) {
        e.recovered(now, now * 1_000_000);
      }
      if (e.problem() != null) {
        error = new UserCodeException(inst.operatorName() + " (recovery)", null, new IllegalStateException(e.problem()));
      } else {
        e.resume(); // restart strategies' delays are not waited for
        return e;
      }
    } catch (UserCodeException e) {
      error = e;
    } catch (Exception e) {
      error = new UserCodeException(inst.operatorName() + " (opening)", null, e);
    }
    failure = new JobFailedException(error.stage(), error.record(), Math.max(1, s.restarts.consecutiveFailures()),
        error.getCause());
    throw failure;
  }

  private static byte[] join(java.util.concurrent.CompletionStage<List<byte[]>> read) {
    return StateStore.concat(read.toCompletableFuture().join());
  }

  private InstanceEngine.Outbound outbound(Slot s) {
    PhysicalPlan.PhysicalOperator op = plan.operator(s.op);
    List<PhysicalPlan.ChannelRef> outs = plan.outputChannels(op, s.index);
    List<PhysicalPlan.ChannelRef> ins = plan.inputChannels(op, s.index);
    return new InstanceEngine.Outbound() {
      @Override
      public void deliver(int channel, long seq, long watermark, int flags, long createdAt, BatchPayload payload,
          long senderAcked) {
        s.target(outs.get(channel)).inbox.add(new Message(false, s.op, s.index, seq, watermark, flags, createdAt,
            payload, senderAcked, false));
      }

      @Override
      public void ack(int channel, long upTo, boolean resend) {
        s.target(ins.get(channel)).inbox.add(new Message(true, s.op, s.index, upTo, 0, 0, 0, null, 0, resend));
      }
    };
  }

  public String jobId() {
    return ctx.jobId();
  }

  /** The current processing time. */
  public Instant processingTime() {
    return Instant.ofEpochMilli(now);
  }

  /** Runs until nothing can make progress: sources have nothing to emit, every inbox is empty. */
  public PipelineTestDriver run() {
    runSteps(Long.MAX_VALUE);
    return this;
  }

  /**
   * Runs at most {@code maxSteps} steps that did something, in the same order as {@link #run()}, and
   * stops there: batches may then be in flight between instances, which is where {@link #crash}
   * tests recovery best. Returns true if it stopped because of the limit (there may be work left).
   */
  public boolean runSteps(long maxSteps) {
    if (maxSteps < 0) {
      throw new IllegalArgumentException("maxSteps must not be negative, was " + maxSteps);
    }
    checkNotFailed();
    long done = 0;
    while (true) {
      boolean progress = false;
      for (Slot s : slots) {
        if (done >= maxSteps) {
          return true;
        }
        progress |= drain(s);
        boolean did = step(s, false);
        checkNotFailed();
        if (did) {
          done++;
          progress = true;
        }
      }
      if (!progress) {
        return false;
      }
    }
  }

  /** Hands {@code s} the messages waiting for it. */
  private boolean drain(Slot s) {
    boolean any = !s.inbox.isEmpty();
    Message m;
    while ((m = s.inbox.poll()) != null) {
      if (m.ack()) {
        s.engine.acked(m.fromOperator(), m.fromIndex(), m.seq(), m.resend(), now * 1_000_000);
      } else {
        s.engine.deliver(m.fromOperator(), m.fromIndex(), m.seq(), m.watermark(), m.flags(), m.createdAt(),
            m.payload(), m.senderAcked(), now);
      }
    }
    if (s.engine.problem() != null) {
      failure = new JobFailedException(s.engine.logic().operatorName() + " (recovery)", null, 1,
          new IllegalStateException(s.engine.problem()));
    }
    return any;
  }

  /** Moves processing time forward, fires processing-time work (timers, TTL, idleness), then {@link #run()}s. */
  public PipelineTestDriver advanceProcessingTime(Duration by) {
    Objects.requireNonNull(by, "by");
    if (by.isNegative()) {
      throw new IllegalArgumentException("processing time cannot go back: " + by);
    }
    now += by.toMillis();
    checkNotFailed();
    for (Slot s : slots) {
      if (!s.engine.isSource()) {
        drain(s);
        step(s, true);
        checkNotFailed();
      }
    }
    return run();
  }

  /** Runs one step of {@code s} (an onTime step if {@code timers}). Returns true if it persisted an event. */
  private boolean step(Slot s, boolean timers) {
    InstanceEngine e = s.engine;
    OperatorEvent ev = timers ? e.onTime(now) : e.isSource() ? e.poll(now) : e.process(now);
    if (ev == null && e.catchingUp() && e.snapshotWaitsForEvent()) {
      // as the runtime does: the snapshot that ends a catch-up is taken with an empty step
      OperatorEvent.Stepped marker = InstanceEngine.marker(now, 0);
      persist(s, marker);
      e.apply(marker);
      snapshotIfDue(s);
      return true;
    }
    if (ev == null) {
      return false;
    }
    persist(s, ev);
    e.apply(ev);
    if (ev instanceof OperatorEvent.StepFailed f) {
      return failed(s, f, e.lastCause());
    }
    s.restarts.onSuccess();
    OperatorEvent.Stepped stepped = (OperatorEvent.Stepped) ev;
    steps++;
    if (verifyRecovery) {
      verify(s, stepped);
    }
    e.afterPersist(stepped, now * 1_000_000);
    snapshotIfDue(s);
    return true;
  }

  /**
   * What the runtime does after every event: a snapshot once a capture was written, and a new
   * capture (its chunks written to the in-memory state store) when a snapshot trigger fired.
   */
  private void snapshotIfDue(Slot s) {
    InstanceEngine e = s.engine;
    if (e.shouldSnapshot()) {
      s.snapshot = e.snapshot();
      s.journal.clear();
      for (InstanceEngine.Reclaim r : e.snapshotSaved(plan.config().keepSnapshots())) {
        store.deleteBelow(e.stateOwner(), r.keyGroup(), r.belowVersion());
      }
    }
    if (e.captureDue(now)) {
      InstanceEngine.Capture c = e.startCapture(s.seqNr, now);
      for (int i = 0; i < c.groups().size(); i++) {
        store.write(e.stateOwner(), c.groups().get(i).keyGroup(), c.version(), c.chunks().get(i));
      }
      e.captureWritten(c);
    }
  }

  /** The state store of the driver's instances (for Sluice's own tests of stored state; not API). */
  InMemoryStateStore stateStore() {
    return store;
  }

  private void persist(Slot s, OperatorEvent ev) {
    byte[] bytes = EventFormats.write(ev);
    s.journal.add(bytes);
    s.seqNr++;
    s.journalBytes += bytes.length;
    journalBytes += bytes.length;
    journalEvents++;
  }

  /** A step failed and its failure is persisted: recover, and fail the job if the strategy gave up. */
  private boolean failed(Slot s, OperatorEvent.StepFailed f, Throwable cause) {
    s.restarts.onFailure(now);
    recoveries++;
    closeQuietly(s.engine);
    s.engine = build(s); // discard the failed incarnation, recover from the journal
    if (f.decision() == OperatorEvent.Decision.FAIL) {
      failure = new JobFailedException(f.stage(), f.record(), f.attempt(),
          cause != null ? cause : new IllegalStateException(f.error()));
    }
    return true;
  }

  private static void closeQuietly(InstanceEngine e) {
    try {
      e.logic().close();
    } catch (Exception ignored) {
      // a failed or crashed instance gets no chance to close cleanly either
    }
  }

  private void verify(Slot s, OperatorEvent.Stepped ev) {
    OperatorInstance live = s.engine.logic();
    if (ev.changes() != null) {
      s.shadow.apply(ev.changes());
    }
    if (live.kind() == OperatorInstance.Kind.SOURCE && ev.changes() != null) {
      List<OutputBatch> again = s.shadow.regenerate(ev.changes());
      List<OutputBatch> original = s.engine.lastStepOutputs();
      for (int i = 0; i < original.size(); i++) {
        OutputBatch orig = original.get(i);
        OutputBatch re = nthOfChannel(again, orig.channel(), partOf(original, i));
        boolean lastPart = partOf(original, i) == countOfChannel(original, orig.channel()) - 1;
        // the watermark of a batch before the last of its channel is whatever was sent before the
        // step; the runtime persists it with the batch, so only records and flags must reproduce
        if (re == null || !sameRecords(orig.records(), re.records()) || re.endOfStream() != orig.endOfStream()
            || lastPart && re.watermark() != orig.watermark()) {
          throw new AssertionError(live + ": regenerating batch " + i + " (channel " + orig.channel()
              + ") from its persisted range gave a different batch");
        }
      }
    }
    if (!Arrays.equals(live.canonicalSnapshot(), s.shadow.canonicalSnapshot())) {
      throw new AssertionError(live + ": replaying the persisted changes does not reproduce the live state");
    }
  }

  /** The index of {@code outputs.get(i)} among the outputs of its channel. */
  private static int partOf(List<OutputBatch> outputs, int i) {
    int part = 0;
    for (int k = 0; k < i; k++) {
      if (outputs.get(k).channel() == outputs.get(i).channel()) {
        part++;
      }
    }
    return part;
  }

  private static int countOfChannel(List<OutputBatch> outputs, int channel) {
    int n = 0;
    for (OutputBatch b : outputs) {
      if (b.channel() == channel) {
        n++;
      }
    }
    return n;
  }

  private static OutputBatch nthOfChannel(List<OutputBatch> outputs, int channel, int n) {
    for (OutputBatch b : outputs) {
      if (b.channel() == channel && n-- == 0) {
        return b;
      }
    }
    return null;
  }

  private static boolean sameRecords(RecordBatch a, RecordBatch b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Objects.equals(a.get(i), b.get(i)) || a.timestamp(i) != b.timestamp(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Kills instance {@code index} of operator {@code operator} and recovers it from its persisted
   * snapshot and events, as a node failure would: what it had received but not consumed is lost,
   * and the recovered instance asks its upstreams to resend it and resends its own unacknowledged
   * batches (which receivers drop as duplicates when they had them).
   */
  public PipelineTestDriver crash(String operator, int index) {
    PhysicalPlan.PhysicalOperator op = plan.operator(operator).orElseThrow(
        () -> new IllegalArgumentException("no operator named '" + operator + "'; operators: "
            + plan.operators().stream().map(PhysicalPlan.PhysicalOperator::name).toList()));
    if (index < 0 || index >= op.parallelism()) {
      throw new IllegalArgumentException(operator + " has no instance " + index);
    }
    Slot s = byOperator[op.index()][index];
    closeQuietly(s.engine);
    s.inbox.clear();
    s.engine = build(s);
    recoveries++;
    return this;
  }

  /**
   * Takes a savepoint of every stateful operator. The job must be drained first — {@link #run()} it
   * until nothing moves: no batch in flight or unacknowledged, no input waiting — as a cluster
   * drains a job (pausing its sources) before it takes one.
   *
   * @throws IllegalStateException if something is still in flight, naming the instance
   */
  public Savepoint savepoint() {
    checkNotFailed();
    Map<String, io.sluice.core.internal.exec.OperatorSavepoint> parts = new LinkedHashMap<>();
    for (Slot s : slots) {
      String name = plan.operator(s.op).name() + "/" + s.index;
      if (!s.inbox.isEmpty() || s.engine.unacked() > 0 || s.engine.backlog() > 0) {
        throw new IllegalStateException(name + " is not drained (" + s.inbox.size() + " message(s) waiting, "
            + s.engine.unacked() + " batch(es) unacknowledged, backlog " + s.engine.backlog()
            + "): run() the driver until nothing moves before a savepoint");
      }
      if (s.engine.awaitsChunks()) {
        throw new IllegalStateException(name + " has not loaded its stored state");
      }
      io.sluice.core.internal.exec.OperatorSavepoint part = s.engine.logic().savepoint();
      if (part != null) {
        parts.merge(plan.operator(s.op).name(), part, io.sluice.core.internal.exec.OperatorSavepoint::merge);
      }
    }
    return new Savepoint(ctx.jobId(), parts);
  }

  /** True once every sink instance has seen the end of all its inputs. */
  public boolean isFinished() {
    for (PhysicalPlan.PhysicalOperator sink : plan.sinks()) {
      for (Slot s : byOperator[sink.index()]) {
        if (!s.engine.finished()) {
          return false;
        }
      }
    }
    return true;
  }

  /** What {@code sink} collected for this driver's job. */
  public <T> List<T> results(CollectingSink<T> sink) {
    return sink.results(ctx.jobId());
  }

  /** Steps run so far (over all instances). */
  public long steps() {
    return steps;
  }

  /** Instance recoveries so far (crashes and restarts after failures). */
  public long recoveries() {
    return recoveries;
  }

  /** Records sent to the dead-letter sink so far. */
  public long deadLetters() {
    long n = 0;
    for (Slot s : slots) {
      n += s.engine.deadLetters();
    }
    return n;
  }

  /** Bytes of the events persisted so far, in the journal's format (over all instances). */
  public long journalBytes() {
    return journalBytes;
  }

  /** Bytes of the events persisted so far by each operator (over its instances), in plan order. */
  public Map<String, Long> journalBytesByOperator() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (Slot[] instances : byOperator) {
      for (Slot s : instances) {
        m.merge(plan.operator(s.op).name(), s.journalBytes, Long::sum);
      }
    }
    return m;
  }

  /** Events persisted so far (over all instances). */
  public long journalEvents() {
    return journalEvents;
  }

  /** The failure that stopped the job, if any. */
  public JobFailedException failure() {
    return failure;
  }

  private void checkNotFailed() {
    if (failure != null) {
      throw failure;
    }
  }

  /** The plan, as {@link Pipeline#describe()} prints it. */
  public String describe() {
    return plan.describe();
  }

  @Override
  public void close() {
    for (Slot s : slots) {
      closeQuietly(s.engine);
    }
  }
}
