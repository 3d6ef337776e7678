package io.sluice.core.internal.engine;

import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.internal.codec.BatchCodec;
import io.sluice.core.internal.exec.ExecContext;
import io.sluice.core.internal.exec.InputBatch;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.OutputBatch;
import io.sluice.core.internal.exec.RecordBatch;
import io.sluice.core.internal.exec.RestartTracker;
import io.sluice.core.internal.exec.StepResult;
import io.sluice.core.internal.exec.UserCodeException;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.internal.exec.ChunkedState;
import io.sluice.core.internal.exec.KeyedBackend;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * INTERNAL API: the channel protocol of one operator instance (DESIGN.md, "why results stay
 * exact") around its operator logic, as a deterministic object with no threads, clocks or I/O of its
 * own. A runtime drives it — the cluster's {@code OperatorEntity} through Pekko Persistence, the
 * {@code PipelineTestDriver} in memory — and does what it asks: persist an event, send a message.
 *
 * <ul>
 *   <li><b>Inputs.</b> {@link #deliver} drops a batch at or below the channel's mark (and
 *       acknowledges it again); others wait per channel until they are next in sequence.
 *   <li><b>Steps.</b> {@link #process} (consuming instances), {@link #poll} (sources) and
 *       {@link #onTime} (processing-time work) run the logic and return the event to persist: what
 *       was consumed, the logic's changes, the batches produced with their sequence numbers, and
 *       the acknowledgements received since the last event. The runtime persists it, hands it to
 *       {@link #apply} (the event handler), then calls {@link #afterPersist}, which sends the
 *       outputs and acknowledges the inputs. A step runs only while every output channel has
 *       credit (fewer than the credit window of unacknowledged batches).
 *   <li><b>Outbox.</b> Produced batches stay in the state until acknowledged; a recovered instance
 *       resends them ({@link #recovered}) and asks its upstreams to resend what it has not consumed.
 *       Sources persist the position range of a batch, not its records, and regenerate it.
 *   <li><b>Failures.</b> A user function that throws makes the step return a
 *       {@link OperatorEvent.StepFailed} with the restart strategy's decision; the runtime persists
 *       it and discards this engine: the logic is in an undefined state.
 *   <li><b>Evidence of a lost journal write</b> (a neighbour acknowledged, or was acknowledged, a
 *       batch the recovered state does not have) stops the instance with {@link #problem()}.
 * </ul>
 *
 * Not thread-safe: one thread at a time, as an actor.
 */
public final class InstanceEngine {
  /** Flags of a delivered batch. */
  public static final int IDLE = 1;
  public static final int END_OF_STREAM = 2;

  /** Where the engine's messages go. Both may be lost: the protocol resends. */
  public interface Outbound {
    /** Sends batch {@code seq} to the receiver of output channel {@code channel}. */
    void deliver(int channel, long seq, long watermark, int flags, long createdAtMillis, BatchPayload payload,
        long senderAcked);

    /** Tells the sender of input channel {@code channel} that everything up to {@code upTo} is consumed. */
    void ack(int channel, long upTo, boolean resend);
  }

  /** An input batch waiting to be consumed. */
  private record Pending(long seq, BatchPayload payload, long watermark, int flags, long createdAtMillis,
      long arrivedMillis) {}

  private record ChannelSeq(int channel, long seq) {}

  private final ExecContext ctx;
  private final PhysicalPlan.PhysicalOperator op;
  private final int index;
  private final OperatorInstance logic;
  private final EngineSettings settings;
  private final JobConfig config;
  private final Outbound out;
  private final BatchCodec codec;
  private final boolean isSource;
  private final boolean isSink;
  private final boolean lightSink;
  private final InstanceState state;
  private final int[][] inChannelOf;
  private final int[][] outChannelOf;
  private final List<PhysicalPlan.ChannelRef> inputs;
  private final List<PhysicalPlan.ChannelRef> outputs;
  private final TreeMap<Long, Pending>[] pending;
  private final boolean[] ackDirty;
  /** Per output channel: when its receiver last answered anything (an acknowledgement). */
  private final long[] lastHeardNanos;
  /** Per output channel: when this incarnation last reported the route to its receiver as suspect. */
  private final long[] lastSuspectNanos;
  private final long incarnation;
  private final LatencyHistogram latency = new LatencyHistogram();
  private final Map<byte[], List<OutputBatch>> regenerated = new IdentityHashMap<>();
  /** A source step's batches by (channel, sequence number), until they are attached to their outbox entries. */
  private final Map<ChannelSeq, RecordBatch> liveSourceBatches = new HashMap<>();
  private boolean replaying = true;
  private int roundRobin;
  /** Sinks in at-least-once mode: batches consumed since their marks were last persisted. */
  private int unpersistedBatches;
  /** ... and their records, which the next persisted event counts. */
  private long unpersistedRecordsIn;
  private long pausedUntil;
  private long lastInputMillis;
  private long firstInputMillis;
  private boolean lastPollFull;
  private boolean commitInterval = true;
  /** When a step held back by the commit interval is due (wall clock), or 0. */
  private long processDueAt;
  /** Why this incarnation cannot run (its persisted state cannot be recovered), or null. */
  private String problem;
  /** The exception of the last failed step of this incarnation (not persisted), or null. */
  private Throwable lastCause;
  /** The output batches of the last step, as the logic produced them. */
  private List<OutputBatch> lastStepOutputs = List.of();
  /** Keyed state stored in chunks, or null. */
  private final ChunkedState chunked;
  private Capture inFlight;
  private boolean snapshotDue;
  private long bytesSinceCapture;
  /** Journal bytes per consumed input batch of the recent live steps (0: none yet): bounds a step's batches. */
  private double bytesPerBatch;
  private long eventsSinceCapture;
  private long lastCaptureMillis = Long.MIN_VALUE;
  /** After a failed capture, none starts before this time; the wait doubles per failure in a row. */
  private long captureRetryAtMillis = Long.MIN_VALUE;
  private long captureBackoffMillis;
  /** The trigger counts when the capture in flight started: a failed capture gives them back. */
  private long bytesBeforeCapture;
  private long eventsBeforeCapture;
  static final long FIRST_CAPTURE_RETRY_MILLIS = 1_000;
  static final long MAX_CAPTURE_RETRY_MILLIS = 30_000;
  /** Journal bytes of the events applied by this incarnation (replayed ones too). */
  private long journalBytes;
  private long postponedSnapshots;
  /** {@link #journalBytes} at the event the last snapshot was taken with (requested / saved). */
  private long snapshotRequestedAt;
  private long snapshottedAt;
  /** Per snapshot kept (newest last): the version of each key group's base it refers to. */
  private final ArrayDeque<Map<Integer, Long>> keptBases = new ArrayDeque<>();

  @SuppressWarnings("unchecked")
  public InstanceEngine(ExecContext ctx, OperatorInstance logic, EngineSettings settings, Outbound out,
      long incarnation) {
    this.ctx = ctx;
    this.logic = logic;
    this.op = logic.operator();
    this.index = logic.index();
    this.settings = settings;
    this.config = ctx.plan().config();
    this.out = out;
    this.incarnation = incarnation;
    this.codec = new BatchCodec(ctx.codec());
    this.isSource = logic.kind() == OperatorInstance.Kind.SOURCE;
    this.isSink = logic.kind() == OperatorInstance.Kind.SINK;
    this.lightSink = isSink && config.delivery() == DeliveryGuarantee.AT_LEAST_ONCE;
    this.state = new InstanceState(logic);
    this.chunked = logic.chunkedState();
    PhysicalPlan plan = ctx.plan();
    this.inChannelOf = new int[plan.operators().size()][];
    this.outChannelOf = new int[plan.operators().size()][];
    for (PhysicalPlan.PhysicalOperator o : plan.operators()) {
      inChannelOf[o.index()] = filled(o.parallelism());
      outChannelOf[o.index()] = filled(o.parallelism());
    }
    this.inputs = plan.inputChannels(op, index);
    this.pending = newArray(inputs.size());
    for (int c = 0; c < inputs.size(); c++) {
      inChannelOf[inputs.get(c).peerOperator()][inputs.get(c).peerInstance()] = c;
      pending[c] = new TreeMap<>();
    }
    this.outputs = plan.outputChannels(op, index);
    this.ackDirty = new boolean[outputs.size()];
    this.lastHeardNanos = new long[outputs.size()];
    this.lastSuspectNanos = new long[outputs.size()];
    for (int c = 0; c < outputs.size(); c++) {
      outChannelOf[outputs.get(c).peerOperator()][outputs.get(c).peerInstance()] = c;
    }
  }

  private static int[] filled(int n) {
    int[] a = new int[n];
    Arrays.fill(a, -1);
    return a;
  }

  // ---- what the runtime needs to know ------------------------------------------------------

  public OperatorInstance logic() {
    return logic;
  }

  public boolean isSource() {
    return isSource;
  }

  public boolean isSink() {
    return isSink;
  }

  /** The peer (operator, instance) of input channel {@code c}. */
  public PhysicalPlan.ChannelRef input(int c) {
    return inputs.get(c);
  }

  /** The peer (operator, instance) of output channel {@code c}. */
  public PhysicalPlan.ChannelRef output(int c) {
    return outputs.get(c);
  }

  public int inputCount() {
    return inputs.size();
  }

  public int outputCount() {
    return outputs.size();
  }

  /** Why this instance cannot run, or null. */
  public String problem() {
    return problem;
  }

  /** Why a source instance cannot read its input right now, or null (see SourceReader#problem). */
  public String inputProblem() {
    return logic.inputProblem();
  }

  /**
   * While the last steps failed and the restart strategy retries (no step succeeded since):
   * what failed, for the job's status; else null.
   */
  public String retrying() {
    OperatorEvent.StepFailed f = state.lastFailure;
    if (f == null || state.consecutiveFailures == 0 || f.decision() != OperatorEvent.Decision.RETRY) {
      return null;
    }
    return "stage '" + f.stage() + "' failed " + state.consecutiveFailures + " time(s) in a row, retrying"
        + (f.record() == null ? "" : " (record " + f.record() + ")") + ": " + f.error();
  }

  /** When the failure {@link #retrying} describes happened (wall-clock millis), or 0. */
  public long retryingSinceMillis() {
    return retrying() == null ? 0 : state.lastFailure.atMillis();
  }

  /** The job failed here: the restart strategy gave up. */
  public boolean failed() {
    return state.failed;
  }

  public OperatorEvent.StepFailed lastFailure() {
    return state.lastFailure;
  }

  /** The output batches of the last step, as the logic produced them (for checks in tests). */
  public List<OutputBatch> lastStepOutputs() {
    return lastStepOutputs;
  }

  /** The exception of this incarnation's last failed step, or null (it is not persisted). */
  public Throwable lastCause() {
    return lastCause;
  }

  public boolean finished() {
    return logic.finished();
  }

  public long recordsIn() {
    return state.recordsIn + unpersistedRecordsIn;
  }

  public long recordsOut() {
    return state.recordsOut;
  }

  public int unacked() {
    return state.unacked();
  }

  /** Input batches received but not consumed yet. */
  public int backlog() {
    int n = 0;
    for (TreeMap<Long, Pending> p : pending) {
      n += p.size();
    }
    return n;
  }

  public long firstInputMillis() {
    return firstInputMillis;
  }

  public long lastInputMillis() {
    return lastInputMillis;
  }

  /** The sinks' end-to-end latencies since the last call, and clears them. */
  public long[] drainLatency() {
    long[] c = latency.counts();
    latency.clear();
    return c;
  }

  public long deadLetters() {
    return logic.deadLetterCount();
  }

  /** A failed step's retry waits until then (wall clock), or 0. */
  public long pausedUntil() {
    return pausedUntil;
  }

  /** The last poll of a source read a full batch: there is probably more right now. */
  public boolean lastPollFull() {
    return lastPollFull;
  }

  /** True while no step may run: failed, unrecoverable, or waiting for a retry. */
  public boolean blocked(long nowMillis) {
    return state.failed || problem != null || nowMillis < pausedUntil;
  }

  /** True if every output channel has credit for another batch. */
  public boolean hasCredit() {
    return state.hasCredit(config.creditWindow());
  }

  /** True if some input channel has its next batch waiting. */
  public boolean inputsReady() {
    for (int c = 0; c < pending.length; c++) {
      if (!pending[c].isEmpty() && pending[c].firstKey() == state.lastSeqIn[c] + 1) {
        return true;
      }
    }
    return false;
  }

  /** Protocol state, for tests of this package. */
  InstanceState state() {
    return state;
  }

  // ---- recovery ------------------------------------------------------------------------------

  /** Restores a snapshot taken with {@link #snapshot()}; before any event is applied. */
  public void restore(byte[] snapshot) {
    state.restore(snapshot);
  }

  /** The state as bytes: what recovery needs to go on without the events before now. */
  public byte[] snapshot() {
    return state.snapshot(p -> p.bytes(codec));
  }

  /**
   * The event handler: applies a persisted event to the protocol state and, while replaying, the
   * logic's changes (live, the step already changed the logic).
   */
  public void apply(OperatorEvent e) {
    eventsSinceCapture++;
    if (e instanceof OperatorEvent.StepFailed f) {
      state.recordFailure(f);
      return;
    }
    OperatorEvent.Stepped s = (OperatorEvent.Stepped) e;
    long size = sizeOf(s);
    bytesSinceCapture += size;
    journalBytes += size;
    if (!replaying && s.consumedChannels().length > 0) {
      // up at once, down slowly: a step after a heavier one is sized by the heavier one
      double b = (double) size / s.consumedChannels().length;
      bytesPerBatch = Math.max(b, 0.7 * bytesPerBatch + 0.3 * b);
    }
    if (replaying && s.changes() != null && problem == null) {
      try {
        logic.apply(s.changes());
      } catch (RuntimeException ex) {
        // corrupt or incompatible state: retrying recovery cannot help; the job fails with the reason
        problem = "cannot recover the state of " + this + ": " + ex.getMessage();
      }
    }
    for (int i = 0; i < s.consumedChannels().length; i++) {
      int c = s.consumedChannels()[i];
      state.lastSeqIn[c] = Math.max(state.lastSeqIn[c], s.consumedSeqs()[i]);
    }
    int[] part = isSource ? new int[state.outbox.length] : null;
    for (OperatorEvent.Output o : s.outputs()) {
      state.nextSeqOut[o.channel()] = o.seq() + 1;
      state.outbox[o.channel()].addLast(new InstanceState.OutEntry(o.seq(), o.watermark(), o.flags(),
          s.createdAtMillis(), o.payload(), isSource ? s.changes() : null, isSource ? part[o.channel()]++ : 0));
    }
    for (int i = 0; i < s.ackChannels().length; i++) {
      state.ack(s.ackChannels()[i], s.ackMarks()[i]);
    }
    state.recordsIn += s.recordsIn();
    state.recordsOut += s.recordsOut();
    if (!isMarker(s)) { // a marker (an empty step) is no successful step after a failure
      state.consecutiveFailures = 0;
      state.isolateNext = false;
    }
  }

  /**
   * An empty step: consumes, produces and changes nothing. The runtime persists one when a snapshot
   * needs an event to be taken with (after a restore's capture, or while catching up).
   */
  public static OperatorEvent.Stepped marker(long nowMillis, long writer) {
    return new OperatorEvent.Stepped(new int[0], new long[0], null, List.of(), new int[0], new long[0], 0, 0,
        nowMillis, writer);
  }

  private static boolean isMarker(OperatorEvent.Stepped s) {
    return s.consumedChannels().length == 0 && s.outputs().isEmpty() && s.changes() == null
        && s.ackChannels().length == 0;
  }

  /**
   * The largest event the journal can take: Cassandra refuses a CQL message over 16 MiB
   * ({@code native_transport_max_frame_size}); 15 MiB leaves room for the other columns.
   */
  public static final long MAX_EVENT_BYTES = 15L << 20;

  /** About the bytes {@code s} takes in the journal: what recovery replays. */
  public static long sizeOf(OperatorEvent.Stepped s) {
    long n = 16L + 10L * (s.consumedChannels().length + s.outputs().size() + s.ackChannels().length);
    if (s.changes() != null) {
      n += s.changes().length;
    }
    for (OperatorEvent.Output o : s.outputs()) {
      if (o.payload() != null && o.payload().hasBytes()) {
        n += o.payload().bytes(null).length;
      }
    }
    return n;
  }

  /**
   * Replay is over: asks every upstream to resend what this instance has not consumed, resends
   * the outbox, and arms a failed step's retry delay. Returns false if the instance cannot run
   * ({@link #problem()} or {@link #failed()}).
   */
  public boolean recovered(long nowMillis, long nowNanos) {
    replaying = false;
    lastCaptureMillis = nowMillis;
    if (chunked != null && chunked.awaitsChunks()) {
      throw new IllegalStateException(this + ": recovered before its stored state was loaded");
    }
    if (keptBases.isEmpty() && chunked != null) {
      keptBases.addLast(bases());
    }
    if (problem != null || state.failed) {
      return false;
    }
    if (state.lastFailure != null && state.consecutiveFailures > 0
        && state.lastFailure.decision() == OperatorEvent.Decision.RETRY && state.lastFailure.retryAtMillis() > nowMillis) {
      pausedUntil = state.lastFailure.retryAtMillis();
    }
    for (int c = 0; c < inputs.size(); c++) {
      out.ack(c, state.lastSeqIn[c], true); // hello: resend what I have not consumed
    }
    for (int c = 0; c < state.outbox.length; c++) {
      resend(c, nowNanos);
    }
    regenerated.clear();
    // silence is counted from now: a slow recovery is not the receivers' silence
    Arrays.fill(lastHeardNanos, nowNanos);
    Arrays.fill(lastSuspectNanos, nowNanos);
    return problem == null;
  }

  /** The retry delay is over. */
  public void resume() {
    pausedUntil = 0;
  }

  // ---- inputs --------------------------------------------------------------------------------

  /**
   * A batch from instance {@code fromIndex} of operator {@code fromOperator}. Returns true if a
   * step may now be possible.
   */
  public boolean deliver(int fromOperator, int fromIndex, long seq, long watermark, int flags, long createdAtMillis,
      BatchPayload payload, long senderAcked, long nowMillis) {
    int c = inChannel(fromOperator, fromIndex);
    if (c < 0) {
      return false;
    }
    if (senderAcked > state.lastSeqIn[c]) {
      if (!lightSink) {
        // This instance acknowledged batches, which it does only after their step was persisted, and
        // its journal no longer has that step: their effect on the state is gone.
        journalLost(peerName(inputs.get(c)) + " was told that batch " + senderAcked + " was consumed, but the"
            + " recovered state of " + this + " has consumed only up to " + state.lastSeqIn[c]);
        return false;
      }
      // An at-least-once sink acknowledges before it persists its marks: everything up to
      // senderAcked was consumed by an earlier incarnation. Move forward rather than wait for
      // batches that the sender dropped when they were acknowledged.
      state.lastSeqIn[c] = senderAcked;
      pending[c].headMap(senderAcked + 1).clear();
    }
    if (seq <= state.lastSeqIn[c]) {
      out.ack(c, state.lastSeqIn[c], false); // a duplicate: acknowledge again
      return false;
    }
    if (pending[c].putIfAbsent(seq, new Pending(seq, payload, watermark, flags, createdAtMillis, nowMillis)) != null) {
      // A resend of a batch that waits here: answer with the current mark, so the sender knows
      // its messages arrive and only this instance is slow.
      out.ack(c, state.lastSeqIn[c], false);
    }
    return true;
  }

  /** The input channel from instance {@code fromIndex} of operator {@code fromOperator}; -1 if none. */
  private int inChannel(int fromOperator, int fromIndex) {
    return fromOperator >= 0 && fromOperator < inChannelOf.length && fromIndex >= 0
        && fromIndex < inChannelOf[fromOperator].length ? inChannelOf[fromOperator][fromIndex] : -1;
  }

  /**
   * A batch that arrives while this instance reads its stored state, before it can consume: it is
   * dropped, and answered with the mark the instance recovered. The sender then knows the instance
   * is alive (a read of 1 GB can outlast {@code routeStaleAfter}, and a sender that hears nothing
   * that long asks for fresh routes, which moves the instance and starts its read again), and
   * resends the batch when the instance, live, asks for everything after its mark.
   */
  public void answerWhileLoading(int fromOperator, int fromIndex) {
    int c = inChannel(fromOperator, fromIndex);
    if (c >= 0) {
      out.ack(c, state.lastSeqIn[c], false);
    }
  }

  /**
   * The receiver of an output channel acknowledged everything up to {@code upTo}; with
   * {@code resend}, it just recovered and wants everything after. Returns true if a step may now be
   * possible.
   */
  public boolean acked(int fromOperator, int fromIndex, long upTo, boolean resend, long nowNanos) {
    int c = fromOperator >= 0 && fromOperator < outChannelOf.length && fromIndex >= 0
        && fromIndex < outChannelOf[fromOperator].length ? outChannelOf[fromOperator][fromIndex] : -1;
    if (c < 0) {
      return false;
    }
    lastHeardNanos[c] = nowNanos;
    if (upTo >= state.nextSeqOut[c]) {
      // Batches are sent only after the step that produced them was persisted.
      journalLost(peerName(outputs.get(c)) + " acknowledged batch " + upTo + ", but the recovered state of " + this
          + " has produced only up to batch " + (state.nextSeqOut[c] - 1));
      return false;
    }
    if (state.ack(c, upTo)) {
      ackDirty[c] = true;
    }
    if (resend) {
      resend(c, nowNanos);
      regenerated.clear();
    }
    return true;
  }

  private String peerName(PhysicalPlan.ChannelRef r) {
    return ctx.plan().operator(r.peerOperator()).name() + "[" + r.peerInstance() + "]";
  }

  /**
   * The journal lost events it had acknowledged (a database that acknowledges writes before they
   * are durable, and crashed), or a second live writer of this instance wrote past them (two
   * clusters running the job: the network chaos saw it with too few seeds). Going on would lose or
   * duplicate records silently, so the instance stops and says why, naming both causes.
   */
  private void journalLost(String evidence) {
    if (problem == null) {
      problem = "the journal lost acknowledged writes: " + evidence + ". Exactly-once cannot be kept. Either the"
          + " journal acknowledged a write before it was durable (Cassandra: commitlog_sync must be batch or group),"
          + " or another incarnation of this instance wrote its journal at the same time: two clusters ran the job"
          + " (every node must be listed in pekko.cluster.seed-nodes)";
    }
  }

  // ---- steps -----------------------------------------------------------------------------------

  /**
   * Consumes up to {@code maxBatchesPerStep} ready input batches (round robin over channels) if
   * credit allows. Returns the event to persist, or null: nothing to do, or (at-least-once sinks)
   * consumed without an event.
   */
  public OperatorEvent process(long nowMillis) {
    processDueAt = 0;
    if (isSource || blocked(nowMillis) || !hasCredit() || catchingUp()) {
      return null;
    }
    if (commitInterval && holdBack(nowMillis)) {
      return null;
    }
    List<InputBatch> in = new ArrayList<>();
    List<Pending> used = new ArrayList<>();
    int n = pending.length;
    long[] next = new long[n];
    for (int k = 0; k < n; k++) {
      next[k] = state.lastSeqIn[k] + 1;
    }
    int max = stepBatches();
    boolean progress = true;
    while (progress && in.size() < max) {
      progress = false;
      for (int k = 0; k < n && in.size() < max; k++) {
        int c = (roundRobin + k) % n;
        Pending d = pending[c].get(next[c]);
        if (d != null) {
          used.add(d);
          in.add(new InputBatch(c, d.seq(), d.payload().decoded(codec), d.watermark(), (d.flags() & IDLE) != 0,
              (d.flags() & END_OF_STREAM) != 0));
          next[c]++;
          progress = true;
        }
      }
    }
    roundRobin = n == 0 ? 0 : (roundRobin + 1) % n;
    if (in.isEmpty()) {
      return null;
    }
    StepResult r;
    try {
      if (state.isolateNext) {
        logic.setIsolation(true, state.consecutiveFailures);
      }
      r = logic.process(in, nowMillis);
    } catch (UserCodeException e) {
      return failure(e, nowMillis);
    } finally {
      if (state.isolateNext) {
        logic.setIsolation(false, 0);
      }
    }
    long createdAt = Long.MAX_VALUE;
    int[] chs = new int[used.size()];
    long[] seqs = new long[used.size()];
    for (int i = 0; i < used.size(); i++) {
      Pending d = used.get(i);
      int c = in.get(i).channel();
      pending[c].remove(d.seq());
      chs[i] = c;
      seqs[i] = d.seq();
      createdAt = Math.min(createdAt, d.createdAtMillis());
      if (isSink && in.get(i).records().size() > 0 && d.createdAtMillis() > 0) {
        latency.record(nowMillis - d.createdAtMillis());
      }
    }
    lastInputMillis = nowMillis;
    if (firstInputMillis == 0) {
      firstInputMillis = nowMillis;
    }
    if (lightSink && !marksDue(in)) {
      // at-least-once sink: the writer returned, acknowledge at once; persist the marks only now and then
      unpersistedBatches += chs.length;
      boolean[] consumed = new boolean[pending.length];
      for (int i = 0; i < chs.length; i++) {
        state.lastSeqIn[chs[i]] = Math.max(state.lastSeqIn[chs[i]], seqs[i]);
        consumed[chs[i]] = true;
      }
      unpersistedRecordsIn += r.recordsIn(); // counted in the next persisted event
      for (int c = 0; c < consumed.length; c++) {
        if (consumed[c]) {
          out.ack(c, state.lastSeqIn[c], false);
        }
      }
      return null;
    }
    unpersistedBatches = 0;
    if (unpersistedRecordsIn > 0) {
      r = new StepResult(r.changes(), r.outputs(), r.recordsIn() + unpersistedRecordsIn, r.recordsOut());
      unpersistedRecordsIn = 0;
    }
    return stepped(chs, seqs, r, createdAt == Long.MAX_VALUE ? nowMillis : createdAt);
  }

  /**
   * Input batches the next step may take: {@code maxBatchesPerStep}, fewer if the recent steps'
   * journal bytes per batch say that so many would exceed {@code stepBytes}; at least one. Until
   * this incarnation has persisted a step it knows nothing of its batches' bytes: one batch, so
   * that an incarnation after a step too large to persist does not take the same step again.
   */
  int stepBatches() {
    int max = settings.maxBatchesPerStep();
    return bytesPerBatch <= 0 ? 1 : (int) Math.max(1, Math.min(max, settings.stepBytes() / bytesPerBatch));
  }

  /**
   * The commit interval: fewer batches are ready than a step may take, no sender is out of credit
   * (it could send no more), nothing ends, and the oldest ready batch arrived less than the
   * interval ago. Then wait for more, until {@link #processDueAt()}.
   */
  private boolean holdBack(long nowMillis) {
    long interval = config.commitInterval().toMillis();
    if (interval <= 0) {
      return false;
    }
    int ready = 0;
    long oldest = Long.MAX_VALUE;
    for (int c = 0; c < pending.length; c++) {
      int run = 0;
      for (long seq = state.lastSeqIn[c] + 1; ; seq++) {
        Pending p = pending[c].get(seq);
        if (p == null) {
          break;
        }
        if ((p.flags() & END_OF_STREAM) != 0) {
          return false;
        }
        oldest = Math.min(oldest, p.arrivedMillis());
        run++;
      }
      if (run >= config.creditWindow()) {
        return false; // its sender is out of credit: nothing more comes until this instance consumes
      }
      ready += run;
    }
    if (ready == 0 || ready >= stepBatches() || nowMillis >= oldest + interval) {
      return false;
    }
    processDueAt = oldest + interval;
    return true;
  }

  /** When a step that the commit interval held back is due (wall clock), or 0 if none is. */
  public long processDueAt() {
    return processDueAt;
  }

  /** Steps run as soon as input is ready, whatever the job's commit interval (the test driver's manual clock). */
  public void ignoreCommitInterval() {
    commitInterval = false;
  }

  /** At-least-once sinks persist their marks every 64 batches and whenever an input ends. */
  private boolean marksDue(List<InputBatch> in) {
    if (unpersistedBatches + in.size() >= 64 || logic.finished()) {
      return true;
    }
    for (InputBatch b : in) {
      if (b.endOfStream()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Sources: reads the next records if credit allows, up to {@link #sourceBatches} batches in one
   * step and one persisted event (its position range), instead of an event per batch. Even if every
   * record goes to one channel, that channel stays within its credit. Returns the event to persist,
   * or null.
   */
  public OperatorEvent poll(long nowMillis) {
    lastPollFull = false;
    if (!isSource || blocked(nowMillis) || logic.finished() || !hasCredit() || catchingUp()) {
      return null;
    }
    StepResult r;
    try {
      if (state.isolateNext) {
        logic.setIsolation(true, state.consecutiveFailures);
      }
      r = logic.emit(nowMillis, sourceBatches());
    } catch (UserCodeException e) {
      return failure(e, nowMillis);
    } finally {
      if (state.isolateNext) {
        logic.setIsolation(false, 0);
      }
    }
    if (r.isEmpty()) {
      return null;
    }
    if (r.recordsIn() > 0) {
      lastInputMillis = nowMillis;
      if (firstInputMillis == 0) {
        firstInputMillis = nowMillis;
      }
    }
    lastPollFull = r.recordsIn() >= config.batchSize();
    return stepped(new int[0], new long[0], r, nowMillis);
  }

  /**
   * How many batches a source's step reads: what every output channel still has credit for, at
   * most half the credit window (the other half keeps the receivers busy while this step is
   * persisted) and at most {@code maxBatchesPerStep}; at least one.
   */
  private int sourceBatches() {
    int window = config.creditWindow();
    return Math.max(1, Math.min(Math.min(state.freeCredit(window), window / 2), settings.maxBatchesPerStep()));
  }

  /** Processing-time work of consuming instances (timers, TTL, idleness). Returns the event, or null. */
  public OperatorEvent onTime(long nowMillis) {
    if (isSource || blocked(nowMillis) || logic.finished() || !hasCredit()) {
      return null;
    }
    StepResult r;
    try {
      r = logic.onTime(nowMillis);
    } catch (UserCodeException e) {
      return failure(e, nowMillis);
    }
    return r.isEmpty() ? null : stepped(new int[0], new long[0], r, nowMillis);
  }

  /** Builds the event of a step: sequence numbers for its outputs, the acknowledgements received since the last event. */
  private OperatorEvent.Stepped stepped(int[] chs, long[] seqs, StepResult r, long createdAt) {
    lastStepOutputs = r.outputs();
    List<OperatorEvent.Output> outs = new ArrayList<>(r.outputs().size());
    liveSourceBatches.clear();
    long[] next = state.nextSeqOut.clone(); // a step may give a channel several batches
    for (OutputBatch b : r.outputs()) {
      int flags = (b.idle() ? IDLE : 0) | (b.endOfStream() ? END_OF_STREAM : 0);
      long seq = next[b.channel()]++;
      BatchPayload payload = null;
      if (isSource) {
        liveSourceBatches.put(new ChannelSeq(b.channel(), seq), b.records());
      } else {
        payload = BatchPayload.of(b.records(), codec.toBytes(b.records()));
      }
      outs.add(new OperatorEvent.Output(b.channel(), seq, b.watermark(), flags, payload));
    }
    int na = 0;
    for (boolean d : ackDirty) {
      if (d) {
        na++;
      }
    }
    int[] ac = new int[na];
    long[] am = new long[na];
    for (int c = 0, k = 0; c < ackDirty.length; c++) {
      if (ackDirty[c]) {
        ac[k] = c;
        am[k++] = state.acked[c];
        ackDirty[c] = false;
      }
    }
    return new OperatorEvent.Stepped(chs, seqs, r.changes(), outs, ac, am, r.recordsIn(), r.recordsOut(), createdAt,
        incarnation);
  }

  private OperatorEvent.StepFailed failure(UserCodeException e, long nowMillis) {
    RestartStrategy strategy = config.restartStrategy();
    int consecutive = state.consecutiveFailures + 1;
    int inInterval = state.failuresSince(nowMillis - strategy.interval().toMillis()) + 1;
    long delay = RestartTracker.decide(strategy, consecutive, inInterval);
    OperatorEvent.Decision decision;
    if (delay != RestartTracker.GIVE_UP) {
      decision = OperatorEvent.Decision.RETRY;
    } else if (logic.hasDeadLetters() && e.record() != null && !state.isolateNext) {
      decision = OperatorEvent.Decision.DEAD_LETTER;
    } else {
      decision = OperatorEvent.Decision.FAIL;
    }
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    lastCause = cause;
    String error = cause.getClass().getName() + ": " + cause.getMessage();
    return new OperatorEvent.StepFailed(consecutive, e.stage(), e.record(), error, nowMillis, decision,
        decision == OperatorEvent.Decision.RETRY ? nowMillis + delay : 0);
  }

  /**
   * After {@code e} (a step) was persisted and applied: sends its outputs and acknowledges what it
   * consumed.
   */
  public void afterPersist(OperatorEvent.Stepped e, long nowNanos) {
    for (OperatorEvent.Output o : e.outputs()) {
      InstanceState.OutEntry entry = entry(o.channel(), o.seq());
      if (entry == null) {
        continue; // acknowledged already (cannot happen before it was sent, but be safe)
      }
      if (entry.payload == null) {
        RecordBatch b = liveSourceBatches.get(new ChannelSeq(o.channel(), o.seq()));
        if (b != null) {
          entry.payload = BatchPayload.of(b);
        }
      }
      send(o.channel(), entry, nowNanos);
    }
    liveSourceBatches.clear();
    int last = -1;
    for (int i = 0; i < e.consumedChannels().length; i++) {
      int c = e.consumedChannels()[i];
      if (c != last) {
        out.ack(c, state.lastSeqIn[c], false);
        last = c;
      }
    }
  }

  /** The outbox entry of {@code seq} on {@code channel}, searching from the newest. */
  private InstanceState.OutEntry entry(int channel, long seq) {
    Iterator<InstanceState.OutEntry> it = state.outbox[channel].descendingIterator();
    while (it.hasNext()) {
      InstanceState.OutEntry e = it.next();
      if (e.seq == seq) {
        return e;
      }
      if (e.seq < seq) {
        return null;
      }
    }
    return null;
  }

  private void send(int channel, InstanceState.OutEntry e, long nowNanos) {
    if (problem != null) {
      return;
    }
    BatchPayload p = e.payload;
    if (p == null) {
      try {
        p = regenerate(channel, e);
      } catch (RuntimeException ex) {
        problem = "cannot regenerate batch " + e.seq + " of " + this + " from its persisted position range: "
            + ex.getMessage();
        return;
      }
      e.payload = p;
    }
    e.sentAt = nowNanos == 0 ? 1 : nowNanos;
    out.deliver(channel, e.seq, e.watermark, e.flags, e.createdAt, p, state.acked[channel]);
  }

  /** A source batch after a recovery: re-read its position range and take this channel's batch. */
  private BatchPayload regenerate(int channel, InstanceState.OutEntry e) {
    List<OutputBatch> all = regenerated.computeIfAbsent(e.sourceChange, logic::regenerate);
    int part = e.part;
    for (OutputBatch b : all) {
      if (b.channel() == channel && part-- == 0) {
        return BatchPayload.of(b.records());
      }
    }
    throw new IllegalStateException(this + ": regenerating batch " + e.seq + " of channel " + channel
        + " gave no batch for that channel");
  }

  private void resend(int channel, long nowNanos) {
    for (InstanceState.OutEntry e : state.outbox[channel]) {
      send(channel, e, nowNanos);
    }
  }

  // ---- snapshots: captures of stored state, then a snapshot that refers to them -----------------

  /**
   * A capture: the key groups changed since their last capture, each as a base or a delta in
   * chunks, to be written to the state store at {@link #stateOwner()}. Keyed state is the only
   * state in chunks; other instances capture nothing and snapshot at once.
   */
  public record Capture(long version, List<KeyedBackend.GroupCapture> groups, List<List<byte[]>> chunks) {
    public long bytes() {
      long n = 0;
      for (KeyedBackend.GroupCapture g : groups) {
        n += g.bytes().length;
      }
      return n;
    }
  }

  /** Where this instance's stored state lives: its job and operator (key groups are per operator). */
  public String stateOwner() {
    return ctx.jobId() + "/" + op.name();
  }

  /** The keyed state waits for its stored versions after a restore: {@link #toLoad}, then {@link #load}. */
  public boolean awaitsChunks() {
    return chunked != null && chunked.awaitsChunks();
  }

  /** The stored versions a restored instance reads, in order. */
  public List<ChunkedState.Part> toLoad() {
    return chunked == null ? List.of() : chunked.toLoad();
  }

  /** Applies the stored versions of one key group (the bytes of its {@link #toLoad} parts, in order). */
  public void loadGroup(int keyGroup, List<byte[]> versions) {
    if (problem != null) {
      return;
    }
    try {
      chunked.loadGroup(keyGroup, versions);
    } catch (RuntimeException e) {
      problem = "cannot recover the state of " + this + " from its stored key group " + keyGroup + ": "
          + e.getMessage();
    }
  }

  /** Every key group is loaded: applies the snapshot's own entries and the changes replayed since. */
  public void finishLoad() {
    if (problem != null) {
      return;
    }
    try {
      chunked.finishLoad();
    } catch (RuntimeException e) {
      problem = "cannot recover the state of " + this + ": " + e.getMessage();
    }
  }

  /** The key groups to load, each with its parts in order. */
  public Map<Integer, List<ChunkedState.Part>> toLoadByGroup() {
    Map<Integer, List<ChunkedState.Part>> out = new java.util.TreeMap<>();
    for (ChunkedState.Part p : toLoad()) {
      out.computeIfAbsent(p.keyGroup(), k -> new ArrayList<>()).add(p);
    }
    return out;
  }

  /**
   * The stored versions that an instance restored from {@code snapshot} will read ({@link #toLoad}),
   * read from the manifest in its operator's part with {@code fresh}, a new instance of the same
   * operator that is used for nothing else (nothing is restored, no function opened). For reading
   * them ahead of the recovery on another node.
   */
  public static List<ChunkedState.Part> storedParts(OperatorInstance fresh, byte[] snapshot) {
    ChunkedState c = fresh.chunkedState();
    return c == null ? List.of() : c.storedPartsOf(InstanceState.logicPart(snapshot));
  }

  /** Splits stored bytes into chunks of at most {@code chunkBytes}. */
  public static List<byte[]> chunks(byte[] bytes, int chunkBytes) {
    List<byte[]> out = new ArrayList<>((bytes.length + chunkBytes - 1) / chunkBytes + 1);
    for (int off = 0; off < bytes.length || out.isEmpty(); off += chunkBytes) {
      out.add(Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + chunkBytes)));
    }
    return out;
  }

  /**
   * True if a capture should start: one of the job's snapshot triggers (events, bytes, time since
   * the last capture with events since) fired or the instance is {@link #catchingUp}, no capture
   * is in flight or waiting for its snapshot, and the wait after a failed capture is over.
   */
  public boolean captureDue(long nowMillis) {
    if (replaying || inFlight != null || snapshotDue || problem != null || state.failed || eventsSinceCapture == 0
        || nowMillis < captureRetryAtMillis) {
      return false;
    }
    return eventsSinceCapture >= config.snapshotEvery() || bytesSinceCapture >= config.snapshotEveryBytes()
        || nowMillis - lastCaptureMillis >= config.snapshotInterval().toMillis() || catchingUp();
  }

  /**
   * Starts a capture at {@code version} (the journal's sequence number: versions must grow). The
   * runtime writes its chunks and calls {@link #captureWritten} or {@link #captureFailed}.
   */
  public Capture startCapture(long version, long nowMillis) {
    if (inFlight != null) {
      throw new IllegalStateException(this + ": a capture is in flight already");
    }
    List<KeyedBackend.GroupCapture> groups = chunked == null ? List.of()
        : chunked.capture(version, settings.maxDeltas(), settings.captureBytes());
    List<List<byte[]>> chunks = new ArrayList<>(groups.size());
    for (KeyedBackend.GroupCapture g : groups) {
      chunks.add(chunks(g.bytes(), settings.chunkBytes()));
    }
    inFlight = new Capture(version, groups, chunks);
    bytesBeforeCapture = bytesSinceCapture;
    eventsBeforeCapture = eventsSinceCapture;
    bytesSinceCapture = 0;
    eventsSinceCapture = 0;
    lastCaptureMillis = nowMillis;
    return inFlight;
  }

  /**
   * A new job's instance restored its logic from a savepoint (no event was replayed but markers):
   * starts a capture of everything, so that the job's own stored state and a snapshot hold it
   * before the instance consumes anything.
   */
  public Capture startRestoreCapture(long version, long nowMillis) {
    replaying = false;
    return startCapture(version, nowMillis);
  }

  /** Per output channel, the sequence number of the last batch sent (0: none). */
  public long[] sentSeqs() {
    long[] out = new long[state.nextSeqOut.length];
    for (int c = 0; c < out.length; c++) {
      out[c] = state.nextSeqOut[c] - 1;
    }
    return out;
  }

  /** Per input channel, the sequence number of the last batch consumed (0: none). */
  public long[] consumedSeqs() {
    return state.lastSeqIn.clone();
  }

  /** The capture's chunks are durable: the next event gets a snapshot that refers to them. */
  public void captureWritten(Capture c) {
    if (c != inFlight) {
      throw new IllegalStateException(this + ": not the capture in flight");
    }
    if (chunked != null) {
      int[] counts = new int[c.chunks().size()];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = c.chunks().get(i).size();
      }
      chunked.captureWritten(c.groups(), counts);
    }
    inFlight = null;
    snapshotDue = true;
    captureBackoffMillis = 0;
    captureRetryAtMillis = Long.MIN_VALUE;
  }

  /**
   * The capture could not be written: its key groups are stored anew by a later capture. That one
   * is due at once, as the failed one was, but starts no sooner than 1 s from {@code nowMillis},
   * doubling per failure in a row up to 30 s, so that a failing store is not sent up to
   * {@code capture-bytes} on every tick.
   */
  public void captureFailed(Capture c, long nowMillis) {
    if (c != inFlight) {
      throw new IllegalStateException(this + ": not the capture in flight");
    }
    captureBackoffMillis = captureBackoffMillis == 0 ? FIRST_CAPTURE_RETRY_MILLIS
        : Math.min(MAX_CAPTURE_RETRY_MILLIS, captureBackoffMillis * 2);
    captureRetryAtMillis = nowMillis + captureBackoffMillis;
    // the capture did not happen: its triggers still hold (a catching-up instance has no other
    // event that would fire them again, and would wait for good)
    bytesSinceCapture += bytesBeforeCapture;
    eventsSinceCapture += eventsBeforeCapture;
    if (chunked != null) {
      chunked.captureFailed(c.groups());
    }
    inFlight = null;
  }

  /**
   * Asked after every persisted event: true if a snapshot should be taken now (a capture was
   * written, and the changes since it are small enough to go into the snapshot itself). If they
   * are not, or key groups still wait to be stored, another capture comes first.
   */
  public boolean shouldSnapshot() {
    if (!snapshotDue || inFlight != null || replaying) {
      return false;
    }
    snapshotDue = false;
    if (chunked != null && (!chunked.storedIsComplete() || chunked.changedSinceCapture() > 4 * settings.inlineBytes()
        || !chunked.prepareSnapshot(settings.inlineBytes()))) {
      eventsSinceCapture = Math.max(eventsSinceCapture, config.snapshotEvery()); // capture again at once
      postponedSnapshots++;
      return false;
    }
    snapshotRequestedAt = journalBytes;
    return true;
  }

  /** A capture was written: the snapshot (or the next capture) waits for the next persisted event. */
  public boolean snapshotWaitsForEvent() {
    return snapshotDue && inFlight == null && !replaying;
  }

  /** Snapshots postponed since this incarnation started because the changes since the capture were too many. */
  public long postponedSnapshots() {
    return postponedSnapshots;
  }

  /** Keyed bytes changed since their key groups were last captured (0 without stored keyed state). */
  public long changedSinceCapture() {
    return chunked == null ? 0 : chunked.changedSinceCapture();
  }

  /**
   * The journal bytes written after the last saved snapshot: about what a recovery replays now
   * (the events since the snapshot a recovery started from count too).
   */
  public long tailBytes() {
    return journalBytes - snapshottedAt;
  }

  /**
   * True while the journal written since the last saved snapshot exceeds
   * {@link EngineSettings#maxTailBytes}: the stored state fell behind the changes (they come in
   * faster than captures store them, so no snapshot could be taken). No input is consumed and no
   * source polls until a snapshot lands, so that a recovery never replays more than about that
   * bound, and the unstored changes stop growing. Captures and timers go on; the runtime persists
   * an empty step after each capture, so that the snapshot has an event to be taken with.
   */
  public boolean catchingUp() {
    return !replaying && tailBytes() > settings.maxTailBytes();
  }

  /** A stored version no kept snapshot refers to: every version of {@code keyGroup} below {@code version}. */
  public record Reclaim(int keyGroup, long belowVersion) {}

  /**
   * A snapshot was saved: the stored versions that none of the {@code keep} newest snapshots
   * refer to can be deleted.
   */
  public List<Reclaim> snapshotSaved(int keep) {
    snapshottedAt = Math.max(snapshottedAt, snapshotRequestedAt);
    if (chunked == null) {
      return List.of();
    }
    Map<Integer, Long> now = bases();
    keptBases.addLast(now);
    while (keptBases.size() > Math.max(1, keep)) {
      keptBases.removeFirst();
    }
    List<Reclaim> out = new ArrayList<>();
    Map<Integer, Long> oldest = keptBases.peekFirst();
    for (Map.Entry<Integer, Long> e : now.entrySet()) {
      Long old = oldest.get(e.getKey());
      long keepFrom = old == null ? e.getValue() : Math.min(old, e.getValue());
      out.add(new Reclaim(e.getKey(), keepFrom));
    }
    return out;
  }

  private Map<Integer, Long> bases() {
    Map<Integer, Long> m = new HashMap<>();
    for (int kg : chunked.storedGroups()) {
      m.put(kg, chunked.stored(kg).get(0).version());
    }
    return m;
  }

  /**
   * After a recovery: stored versions newer than the restored snapshot refers to were written by
   * a capture that no snapshot took up (the instance died in between): every version of
   * {@code keyGroup} above {@code aboveVersion}. To be deleted before the first capture.
   */
  public record Orphans(int keyGroup, long aboveVersion) {}

  public List<Orphans> orphans() {
    if (chunked == null || chunked.storedGroups().length == 0) {
      return List.of(); // no snapshot refers to stored state: later reclaims take what a dead capture left
    }
    List<Orphans> out = new ArrayList<>();
    for (int kg = chunked.firstKeyGroup(); kg < chunked.endKeyGroup(); kg++) {
      List<KeyedBackend.Stored> st = chunked.stored(kg);
      out.add(new Orphans(kg, st.isEmpty() ? 0 : st.get(st.size() - 1).version()));
    }
    return out;
  }

  // ---- periodic --------------------------------------------------------------------------------

  /**
   * Resends batches not acknowledged within the resend timeout. Returns the output channels whose
   * receiver has answered none of the resends for {@code routeStaleAfter}: the runtime asks for
   * fresh routes to them. A receiver that is alive answers every resend, even when it is too busy
   * to consume; one that stays silent is down, cannot reach its journal, or is reached through a
   * routing table that still points at a dead incarnation of its node.
   */
  public int[] tick(long nowNanos) {
    long resendNanos = settings.resendAfter().toNanos();
    long limit = settings.routeStaleAfter().toNanos();
    int[] suspects = new int[0];
    for (int c = 0; c < state.outbox.length; c++) {
      InstanceState.OutEntry head = state.outbox[c].peekFirst();
      if (head != null && (head.sentAt == 0 || nowNanos - head.sentAt > resendNanos)) {
        resend(c, nowNanos);
      }
      if (head == null) {
        lastHeardNanos[c] = nowNanos; // silence counts only while something waits for an answer
      } else if (!state.failed && problem == null && nowNanos - lastHeardNanos[c] > limit
          && nowNanos - lastSuspectNanos[c] > limit) {
        lastSuspectNanos[c] = nowNanos;
        suspects = Arrays.copyOf(suspects, suspects.length + 1);
        suspects[suspects.length - 1] = c;
      }
    }
    regenerated.clear();
    return suspects;
  }

  /** How long output channel {@code c}'s receiver has been silent, in seconds. */
  public long silentSeconds(int c, long nowNanos) {
    return (nowNanos - lastHeardNanos[c]) / 1_000_000_000L;
  }

  @Override
  public String toString() {
    return ctx.jobId() + "/" + op.name() + "/" + index;
  }

  @SuppressWarnings({"unchecked", "rawtypes"}) // an array of a generic type can only be made raw
  private static <K, V> TreeMap<K, V>[] newArray(int n) {
    return new TreeMap[n];
  }
}
