package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.util.List;

/**
 * INTERNAL API: the logic of one operator instance as deterministic steps, with no actors and no
 * I/O of its own (except what sources and sinks do). The runtime wraps it:
 *
 * <ol>
 *   <li>{@link #process} (or {@link #emit} for a source, {@link #onTime} for timers) runs a step
 *       and returns its {@link StepResult}: state changes and output batches;
 *   <li>the runtime persists them, then sends the outputs;
 *   <li>on recovery it {@link #restore restores} the last snapshot and {@link #apply applies} the
 *       changes of every later step; a source {@link #regenerate regenerates} unacknowledged
 *       batches from their persisted position ranges.
 * </ol>
 *
 * A step that throws (a {@link UserCodeException}) leaves the instance in an undefined state: the
 * runtime must discard it and rebuild it from its persisted state before retrying.
 *
 * <p>Not thread-safe; one step at a time.
 */
public abstract class OperatorInstance {
  /**
   * The format of changes and snapshots. 4: a keyed change writes the patch of an operator with at
   * most four slots in two bytes of framing ({@link KeyedBackend}'s state 0x40). 3: a keyed snapshot holds the manifest of its key groups'
   * stored chunks and the entries changed since, not the state itself. 2: keyed state grouped by
   * key group, one entry per key a step touched with only the slots it touched, deltas for lists,
   * maps and windows, window timers derived; a snapshot holds every entry. 1 (read only): every
   * touched key in full.
   */
  static final int FORMAT_VERSION = 4;

  /** What kind of instance; also the second byte of every change and snapshot. */
  public enum Kind { SOURCE, KEYED, STATELESS, SINK }

  protected final ExecContext ctx;
  protected final PhysicalPlan.PhysicalOperator op;
  protected final int index;
  protected final Outputs outputs;
  protected final Chain chain;
  protected final int deadLetterChannel;
  protected boolean isolation;
  private int failedAttempts;
  protected boolean finished;
  protected long deadLetters;

  protected OperatorInstance(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int index) {
    this.ctx = ctx;
    this.op = op;
    this.index = index;
    this.outputs = new Outputs(Chain.timestampedChannels(ctx, op, index),
        ctx.plan().config().watermarkInterval().toMillis(), Math.min(ctx.plan().config().batchSize(), 1024),
        ctx.plan().config().batchSize());
    this.chain = new Chain(ctx, op, index, outputs);
    this.deadLetterChannel = chain.deadLetterChannel();
  }

  /** Creates the instance {@code index} of physical operator {@code operator}. */
  public static OperatorInstance create(ExecContext ctx, int operator, int index) {
    PhysicalPlan.PhysicalOperator op = ctx.plan().operator(operator);
    if (index < 0 || index >= op.parallelism()) {
      throw new IllegalArgumentException("instance " + index + " of " + op.name() + " does not exist (parallelism "
          + op.parallelism() + ")");
    }
    if (op.head() == PhysicalPlan.DEAD_LETTER_NODE) {
      return new SinkInstance(ctx, op, index, ctx.plan().sinkOf(op));
    }
    OpSpec spec = ctx.plan().logical().get(op.head()).spec();
    if (spec instanceof OpSpec.SourceSpec s) {
      return new SourceInstance(ctx, op, index, s);
    }
    if (spec instanceof OpSpec.SinkSpec s) {
      return new SinkInstance(ctx, op, index, s.sink());
    }
    if (spec.keyed()) {
      return new KeyedInstance(ctx, op, index);
    }
    return new StatelessInstance(ctx, op, index);
  }

  public abstract Kind kind();

  /**
   * This instance's part of a savepoint, taken while the job is drained; null if the operator
   * keeps no state a new job needs (stateless steps, sinks).
   */
  public OperatorSavepoint savepoint() {
    return null;
  }

  /**
   * Restores this (newly opened) instance from its operator's part of a savepoint: what of it
   * belongs to this instance. Throws {@link IllegalArgumentException}, saying why, if the part does
   * not fit this operator.
   */
  public void restoreSavepoint(OperatorSavepoint part) {
    throw new IllegalArgumentException("operator '" + op.name() + "' keeps no state, but the savepoint has "
        + part + " for it");
  }

  /**
   * This instance's part of a savepoint as its shape (a {@link SavepointFormat.Header} without
   * parts) and its part numbers, each part's bytes made by {@link #savepointPart} when it is
   * written: so that a savepoint holds a few parts in memory at a time, not the instance's whole
   * state again. Null if the operator keeps no state a new job needs. The job must be drained, and
   * stay so until every part is made.
   */
  public SavepointFormat.Header savepointShape() {
    return null;
  }

  /** The part numbers (key groups, or the split) of {@link #savepointShape}'s savepoint. */
  public int[] savepointParts() {
    return new int[0];
  }

  /** The bytes of part {@code part} of this instance's savepoint. */
  public byte[] savepointPart(int part) {
    throw new IllegalArgumentException("operator '" + op.name() + "' keeps no savepoint state");
  }

  /**
   * Which parts of its operator's savepoint this instance restores from, {@code [from, to)}: key
   * groups of its range, or its split. Empty for operators without savepoint state.
   */
  public int[] savepointRange() {
    return new int[] {0, 0};
  }

  public String operatorName() {
    return op.name();
  }

  public int index() {
    return index;
  }

  public PhysicalPlan.PhysicalOperator operator() {
    return op;
  }

  public int inputChannelCount() {
    return ctx.plan().inputChannels(op, index).size();
  }

  public int outputChannelCount() {
    return outputs.size();
  }

  /** Consumes input batches, in order. Not for sources. */
  public StepResult process(List<InputBatch> inputs, long now) {
    throw new UnsupportedOperationException(op.name() + " is a source: it emits, it does not consume");
  }

  /**
   * Reads and emits the next records, at most {@code batches} batches' worth (one step, one
   * persisted event). Only for sources; EMPTY when there is nothing to do now.
   */
  public StepResult emit(long now, int batches) {
    throw new UnsupportedOperationException(op.name() + " is not a source");
  }

  /** Processing-time work: timers, TTL, idleness, pending watermarks. EMPTY when there is none. */
  public abstract StepResult onTime(long now);

  /** The earliest processing time at which {@link #onTime} has work, or Long.MAX_VALUE. */
  public abstract long nextDeadline();

  /** Re-creates the output batches of a persisted source step. Only for sources. */
  public List<OutputBatch> regenerate(byte[] changes) {
    throw new UnsupportedOperationException(op.name() + " is not a source: its outputs are persisted");
  }

  /** Applies the persisted changes of a step (replay). */
  public abstract void apply(byte[] changes);

  /** The full state, in the change format (applying it to a fresh instance restores it). */
  public abstract byte[] snapshot();

  /**
   * The snapshot in a canonical form: equal states give equal bytes, whatever order they were built
   * in (for verifying recovery in tests).
   */
  public byte[] canonicalSnapshot() {
    return snapshot();
  }

  /** Resets to a fresh instance, then applies a snapshot. */
  public abstract void restore(byte[] snapshot);

  /** True once every input has ended and end-of-stream was emitted (or, for sinks, written). */
  public boolean finished() {
    return finished;
  }

  /** Why this instance's input cannot be read right now (a source's reader says), or null. */
  public String inputProblem() {
    return null;
  }

  /** True if this instance can send failing records to the dead-letter sink. */
  public boolean hasDeadLetters() {
    return deadLetterChannel >= 0;
  }

  /**
   * In isolation mode each record is processed on its own: one that makes a function throw is
   * rolled back and sent to the dead-letter sink, and the step goes on. Used after the restart
   * strategy gave up, for jobs with a dead-letter sink.
   *
   * @param failedAttempts how many times the step already failed before the restart strategy gave
   *     up; a dead letter reports these plus its try in isolation as its {@code attempts}
   */
  public void setIsolation(boolean on, int failedAttempts) {
    if (on && deadLetterChannel < 0) {
      throw new IllegalStateException(op.name() + " has no dead-letter output");
    }
    if (failedAttempts < 0) {
      throw new IllegalArgumentException("failedAttempts must not be negative, was " + failedAttempts);
    }
    this.isolation = on;
    this.failedAttempts = on ? failedAttempts : 0;
  }

  /** Dead letters sent since the instance was created. */
  public long deadLetterCount() {
    return deadLetters;
  }

  /** Opens user functions, readers and writers. Called once before the first step. */
  public void open() throws Exception {}

  public void close() throws Exception {}

  protected DeadLetter deadLetterOf(UserCodeException e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    return new DeadLetter(ctx.jobId(), e.stage(), index, e.record(), errorText(cause), failedAttempts + 1);
  }

  /**
   * A dead letter's error, for people: the exception's type and message, as a log shows them.
   * Text only: nothing reads a type back from it.
   */
  protected static String errorText(Throwable error) {
    return error.getClass().getName() + ": " + error.getMessage();
  }

  protected void sendDeadLetter(DeadLetter dl) {
    outputs.add(deadLetterChannel, dl, RecordBatch.NO_TIMESTAMP);
    deadLetters++;
  }

  protected static ByteWriter header(Kind kind, int sizeHint) {
    return header(new ByteWriter(sizeHint), kind);
  }

  /** Writes the header of a state or change of an instance of {@code kind} into {@code w}. */
  protected static ByteWriter header(ByteWriter w, Kind kind) {
    // only keyed changes moved on (format 2: entries per key; 4: compact patches): the others keep writing format 1
    return header(w, kind, kind == Kind.KEYED ? 4 : 1);
  }

  protected static ByteWriter header(ByteWriter w, Kind kind, int version) {
    return w.writeByte(version).writeByte(kind.ordinal());
  }

  /**
   * The keyed state of this instance, stored by key group in snapshot chunks rather than in its
   * snapshot; null for instances without keyed state.
   */
  public ChunkedState chunkedState() {
    return null;
  }

  /** The format version of what {@link #open} opened last. */
  protected int readVersion = FORMAT_VERSION;

  protected ByteReader open(byte[] bytes, Kind kind) {
    ByteReader r = new ByteReader(bytes);
    int v = r.readUnsignedByte();
    if (v < 1 || v > FORMAT_VERSION) {
      throw new CorruptDataException(op.name() + "[" + index + "]: state format version " + v
          + " is not supported (expected 1 to " + FORMAT_VERSION + ")");
    }
    readVersion = v;
    int k = r.readUnsignedByte();
    if (k != kind.ordinal()) {
      throw new CorruptDataException(op.name() + "[" + index + "]: state of kind " + k + " where " + kind
          + " was expected: the pipeline's structure changed");
    }
    return r;
  }

  @Override
  public String toString() {
    return op.name() + "[" + index + "]";
  }
}
