package io.sluice.core.testing;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.exec.ExecContext;
import io.sluice.core.internal.exec.InputBatch;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.OutputBatch;
import io.sluice.core.internal.exec.RecordBatch;
import io.sluice.core.internal.exec.RestartTracker;
import io.sluice.core.internal.exec.StepResult;
import io.sluice.core.internal.exec.UserCodeException;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a whole pipeline in the calling thread, deterministically, without a cluster: for unit
 * tests of pipelines (like Kafka Streams' {@code TopologyTestDriver}).
 *
 * <p>It runs the same operator logic the cluster runs, with the same channel protocol in miniature:
 * every batch carries a per-channel sequence number, every step's state changes are "persisted" in
 * memory with snapshots every {@code snapshotEvery} steps, and {@link #crash} rebuilds an instance
 * from them exactly as a recovery would. Processing time is a manual clock; event time and
 * watermarks come from the records' timestamps.
 *
 * <pre>{@code
 * try (PipelineTestDriver driver = PipelineTestDriver.of(pipeline)) {
 *   driver.run();
 *   assertEquals(List.of(...), driver.results(sink));
 * }
 * }</pre>
 *
 * Restart strategies are applied without waiting for their delays. Not thread-safe.
 */
public final class PipelineTestDriver implements AutoCloseable {
  private static final AtomicInteger JOBS = new AtomicInteger();
  private static final int MAX_BATCHES_PER_STEP = 8;

  private final PhysicalPlan plan;
  private final ExecContext ctx;
  private final List<Slot> slots = new ArrayList<>();
  private final Slot[][] byOperator;
  private final boolean verifyRecovery;
  private long now;
  private long steps;
  private long recoveries;
  private JobFailedException failure;

  /** One instance with its "journal" and inbox. */
  private final class Slot {
    final int op;
    final int index;
    final Route[] routes;
    final long[] nextSeq;
    final long[] lastSeqIn;
    final ArrayDeque<InputBatch> inbox = new ArrayDeque<>();
    final RestartTracker restarts;
    OperatorInstance live;
    OperatorInstance shadow;
    byte[] snapshot;
    final List<byte[]> changes = new ArrayList<>();
    List<OutputBatch> lastOutputs = List.of();
    long[] lastSeqs = new long[0];
    byte[] lastChange;
    long stepsSinceSnapshot;
    boolean isolating;

    Slot(int op, int index) {
      this.op = op;
      this.index = index;
      PhysicalPlan.PhysicalOperator o = plan.operator(op);
      List<PhysicalPlan.ChannelRef> outs = plan.outputChannels(o, index);
      this.routes = new Route[outs.size()];
      this.nextSeq = new long[outs.size()];
      Arrays.fill(nextSeq, 1);
      this.lastSeqIn = new long[plan.inputChannels(o, index).size()];
      this.restarts = new RestartTracker(plan.config().restartStrategy());
    }
  }

  private record Route(int op, int index, int channel) {}

  private PipelineTestDriver(Pipeline pipeline, String jobId, long startMillis, boolean verifyRecovery) {
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
    for (Slot s : slots) {
      PhysicalPlan.PhysicalOperator o = plan.operator(s.op);
      List<PhysicalPlan.ChannelRef> outs = plan.outputChannels(o, s.index);
      for (int c = 0; c < outs.size(); c++) {
        PhysicalPlan.ChannelRef ref = outs.get(c);
        PhysicalPlan.PhysicalOperator target = plan.operator(ref.peerOperator());
        List<PhysicalPlan.ChannelRef> ins = plan.inputChannels(target, ref.peerInstance());
        int inCh = -1;
        for (int k = 0; k < ins.size(); k++) {
          if (ins.get(k).peerOperator() == s.op && ins.get(k).peerInstance() == s.index) {
            inCh = k;
            break;
          }
        }
        s.routes[c] = new Route(ref.peerOperator(), ref.peerInstance(), inCh);
      }
      s.live = build(s);
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
   * A new incarnation of {@code s} from its "persisted" state. If it cannot even be opened (a
   * missing input file, a sink that cannot create its writer), the job fails.
   */
  private OperatorInstance build(Slot s) {
    OperatorInstance inst = OperatorInstance.create(ctx, s.op, s.index);
    UserCodeException error;
    try {
      inst.open();
      if (s.snapshot != null) {
        inst.restore(s.snapshot);
      }
      for (byte[] c : s.changes) {
        inst.apply(c);
      }
      return inst;
    } catch (UserCodeException e) {
      error = e;
    } catch (Exception e) {
      error = new UserCodeException(inst.operatorName() + " (opening)", null, e);
    }
    failure = new JobFailedException(error.stage(), error.record(), Math.max(1, s.restarts.consecutiveFailures()),
        error.getCause());
    throw failure;
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
        boolean did = false;
        if (s.live.kind() == OperatorInstance.Kind.SOURCE) {
          did = step(s, List.of(), true);
        } else if (!s.inbox.isEmpty()) {
          List<InputBatch> in = new ArrayList<>();
          for (InputBatch b : s.inbox) {
            in.add(b);
            if (in.size() == MAX_BATCHES_PER_STEP) {
              break;
            }
          }
          did = step(s, in, false);
        }
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

  /** Moves processing time forward, fires processing-time work (timers, TTL, idleness), then {@link #run()}s. */
  public PipelineTestDriver advanceProcessingTime(Duration by) {
    Objects.requireNonNull(by, "by");
    if (by.isNegative()) {
      throw new IllegalArgumentException("processing time cannot go back: " + by);
    }
    now += by.toMillis();
    checkNotFailed();
    for (Slot s : slots) {
      if (s.live.kind() != OperatorInstance.Kind.SOURCE) {
        step(s, null, false);
      }
    }
    return run();
  }

  /** Runs one step of {@code s}; inputs null means an onTime step. Returns true if it did anything. */
  private boolean step(Slot s, List<InputBatch> inputs, boolean source) {
    StepResult r;
    try {
      if (source) {
        r = s.live.emit(now);
      } else if (inputs == null) {
        r = s.live.onTime(now);
      } else {
        r = s.live.process(inputs, now);
      }
    } catch (UserCodeException e) {
      return failed(s, inputs, source, e);
    }
    s.restarts.onSuccess();
    if (inputs != null) {
      for (int i = 0; i < inputs.size(); i++) {
        s.inbox.removeFirst();
      }
    }
    if (r.isEmpty() && (inputs == null || inputs.isEmpty())) {
      return false;
    }
    commit(s, r);
    return true;
  }

  private boolean failed(Slot s, List<InputBatch> inputs, boolean source, UserCodeException e) {
    long delay = s.restarts.onFailure(now);
    recoveries++;
    s.live = build(s); // discard the failed incarnation, recover from "persisted" state
    if (delay != RestartTracker.GIVE_UP) {
      return true; // retried in the next round: the inputs are still in the inbox
    }
    // a failure that escapes isolation mode is not about one record: dead letters cannot absorb it
    if (!s.live.hasDeadLetters() || s.isolating) {
      failure = new JobFailedException(e.stage(), e.record(), s.restarts.consecutiveFailures(), e.getCause());
      return false;
    }
    s.isolating = true;
    s.live.setIsolation(true, s.restarts.consecutiveFailures());
    try {
      return step(s, inputs, source);
    } finally {
      s.isolating = false;
      s.live.setIsolation(false, 0);
    }
  }

  private void commit(Slot s, StepResult r) {
    steps++;
    if (r.changes() != null) {
      s.changes.add(r.changes());
      s.lastChange = r.changes();
    }
    if (verifyRecovery) {
      verify(s, r);
    }
    s.stepsSinceSnapshot++;
    if (s.stepsSinceSnapshot >= plan.config().snapshotEvery()) {
      s.snapshot = s.live.snapshot();
      s.changes.clear();
      s.stepsSinceSnapshot = 0;
    }
    s.lastOutputs = r.outputs();
    s.lastSeqs = new long[r.outputs().size()];
    for (int i = 0; i < s.lastSeqs.length; i++) {
      OutputBatch b = r.outputs().get(i);
      s.lastSeqs[i] = s.nextSeq[b.channel()]++;
      deliver(s, b, s.lastSeqs[i]);
    }
  }

  /** Delivers with the receiver's deduplication: a sequence number it has seen is dropped. */
  private void deliver(Slot s, OutputBatch b, long seq) {
    Route route = s.routes[b.channel()];
    Slot target = byOperator[route.op()][route.index()];
    if (seq <= target.lastSeqIn[route.channel()]) {
      return;
    }
    if (seq != target.lastSeqIn[route.channel()] + 1) {
      throw new AssertionError("gap on channel " + s.live + " -> " + target.live + ": " + seq + " after "
          + target.lastSeqIn[route.channel()]);
    }
    target.lastSeqIn[route.channel()] = seq;
    target.inbox.addLast(b.asInput(route.channel(), seq));
  }

  private void verify(Slot s, StepResult r) {
    if (r.changes() != null) {
      s.shadow.apply(r.changes());
    }
    if (s.live.kind() == OperatorInstance.Kind.SOURCE && r.changes() != null) {
      List<OutputBatch> again = s.shadow.regenerate(r.changes());
      for (int i = 0; i < r.outputs().size(); i++) {
        OutputBatch orig = r.outputs().get(i);
        OutputBatch re = nthOfChannel(again, orig.channel(), partOf(r.outputs(), i));
        boolean lastPart = partOf(r.outputs(), i) == countOfChannel(r.outputs(), orig.channel()) - 1;
        // the watermark of a batch before the last of its channel is whatever was sent before the
        // step; the runtime persists it with the batch, so only records and flags must reproduce
        if (re == null || !sameRecords(orig.records(), re.records()) || re.endOfStream() != orig.endOfStream()
            || lastPart && re.watermark() != orig.watermark()) {
          throw new AssertionError(s.live + ": regenerating batch " + i + " (channel " + orig.channel()
              + ") from its persisted range gave a different batch");
        }
      }
    }
    if (!Arrays.equals(s.live.canonicalSnapshot(), s.shadow.canonicalSnapshot())) {
      throw new AssertionError(s.live + ": replaying the persisted changes does not reproduce the live state");
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
   * snapshot and changes, as a node failure would; batches it had not consumed are delivered again,
   * and what it sent in its last step is resent (and dropped downstream as duplicates).
   */
  public PipelineTestDriver crash(String operator, int index) {
    PhysicalPlan.PhysicalOperator op = plan.operator(operator).orElseThrow(
        () -> new IllegalArgumentException("no operator named '" + operator + "'; operators: "
            + plan.operators().stream().map(PhysicalPlan.PhysicalOperator::name).toList()));
    if (index < 0 || index >= op.parallelism()) {
      throw new IllegalArgumentException(operator + " has no instance " + index);
    }
    Slot s = byOperator[op.index()][index];
    try {
      s.live.close();
    } catch (Exception ignored) {
      // a crashed instance gets no chance to close cleanly either
    }
    s.live = build(s);
    recoveries++;
    // what it sent last is resent after recovery; receivers must drop it as duplicates
    List<OutputBatch> resend = s.live.kind() == OperatorInstance.Kind.SOURCE && s.lastChange != null
        ? s.live.regenerate(s.lastChange) : s.lastOutputs;
    for (int i = 0; i < s.lastOutputs.size(); i++) {
      OutputBatch b = nthOfChannel(resend, s.lastOutputs.get(i).channel(), partOf(s.lastOutputs, i));
      if (b != null) {
        deliver(s, b, s.lastSeqs[i]);
      }
    }
    return this;
  }

  /** True once every sink instance has seen the end of all its inputs. */
  public boolean isFinished() {
    for (PhysicalPlan.PhysicalOperator sink : plan.sinks()) {
      for (Slot s : byOperator[sink.index()]) {
        if (!s.live.finished()) {
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
      n += s.live.deadLetterCount();
    }
    return n;
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
      try {
        s.live.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
  }
}
