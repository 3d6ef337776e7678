package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.util.List;

/**
 * INTERNAL API: an instance with inputs (keyed, stateless-after-repartitioning, sink). Tracks the
 * watermark and end-of-stream of each input channel; subclasses handle records and timers.
 *
 * <pre>
 *   change := header flags:u8(bit0 finished) channels:{@link InputChannels} body
 * </pre>
 */
abstract class ConsumingInstance extends OperatorInstance {
  private static final int MAX_RETAINED_WRITER = 1 << 20;
  protected final InputChannels channels;
  protected final List<PhysicalPlan.ChannelRef> inputRefs;
  protected long now;
  /** Reused for every step's change: a keyed step's change is often tens of KB, grown once, not per step. */
  private ByteWriter changeWriter = new ByteWriter(256);

  ConsumingInstance(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int index) {
    super(ctx, op, index);
    this.inputRefs = ctx.plan().inputChannels(op, index);
    this.channels = new InputChannels(inputRefs.size());
  }

  /** Handles the records of one batch; the watermark is still the one from before the batch. */
  protected abstract void consume(InputBatch batch);

  /** The combined input watermark advanced to {@code watermark}. */
  protected void onWatermark(long watermark) {}

  /** Every input ended: flush what remains. */
  protected void onEndOfInput() {}

  /** Processing-time work of subclasses (timers, TTL); returns true if it changed anything. */
  protected boolean onProcessingTime() {
    return false;
  }

  protected abstract boolean bodyChanged();

  protected abstract void writeBody(ByteWriter out, boolean all);

  protected abstract void readBody(ByteReader in);

  protected abstract void resetBody();

  protected long watermark() {
    return channels.combined();
  }

  @Override
  public StepResult process(List<InputBatch> inputs, long now) {
    this.now = now;
    long in = 0;
    for (InputBatch b : inputs) {
      if (b.channel() < 0 || b.channel() >= channels.size()) {
        throw new IllegalArgumentException(this + ": input channel " + b.channel() + " does not exist");
      }
      if (channels.ended(b.channel()) && !b.records().isEmpty()) {
        throw new IllegalStateException(this + ": records on input channel " + b.channel()
            + " after its end of stream");
      }
      consume(b);
      in += b.records().size();
      if (channels.update(b.channel(), b.watermark(), b.idle(), b.endOfStream())) {
        onWatermark(channels.combined());
      }
    }
    if (!finished && channels.allEnded()) {
      onEndOfInput();
      finished = true;
    }
    return close(in, true);
  }

  private StepResult close(long in, boolean consumed) {
    long wm = finished ? Long.MAX_VALUE : channels.combined();
    long out = outputs.recordsOut();
    List<OutputBatch> batches = outputs.finish(wm, !finished && channels.allIdle(), finished, now, false);
    if (!consumed && batches.isEmpty() && !bodyChanged() && !channels.hasChanges()) {
      return StepResult.EMPTY;
    }
    ByteWriter w = header(changeWriter.reset(), kind());
    w.writeByte(finished ? 1 : 0);
    channels.writeChanges(w, false);
    writeBody(w, false);
    byte[] change = w.toByteArray();
    if (w.array().length > MAX_RETAINED_WRITER) {
      changeWriter = new ByteWriter(256); // do not keep a rare huge buffer forever
    }
    return new StepResult(change, batches, in, out);
  }

  @Override
  public StepResult onTime(long now) {
    this.now = now;
    if (finished) {
      return StepResult.EMPTY;
    }
    onProcessingTime();
    return close(0, false);
  }

  @Override
  public void apply(byte[] changes) {
    ByteReader r = open(changes, kind());
    int flags = r.readUnsignedByte();
    if ((flags & ~1) != 0) {
      throw new CorruptDataException(this + ": unknown flags " + flags);
    }
    finished = (flags & 1) != 0;
    channels.readChanges(r);
    readBody(r);
    r.expectEnd(this + " change");
    outputs.forgetSent();
  }

  /**
   * Reads a change's (or snapshot's) header, flags and channels into this fresh instance and
   * returns the reader at its body, which is left unread: for looking into a snapshot without
   * restoring it.
   */
  protected ByteReader openBody(byte[] changes) {
    ByteReader r = open(changes, kind());
    r.readUnsignedByte();
    channels.readChanges(r);
    return r;
  }

  @Override
  public byte[] snapshot() {
    return snapshot(false);
  }

  @Override
  public byte[] canonicalSnapshot() {
    return snapshot(true);
  }

  /** The format version of a snapshot (of the canonical form if {@code canonical}). */
  protected int snapshotVersion(boolean canonical) {
    return kind() == Kind.KEYED ? 2 : 1;
  }

  private byte[] snapshot(boolean canonical) {
    ByteWriter w = header(new ByteWriter(256), kind(), snapshotVersion(canonical));
    w.writeByte(finished ? 1 : 0);
    channels.writeChanges(w, true);
    writeAll(w, canonical);
    return w.toByteArray();
  }

  /** Writes the full state of the body (as {@link #writeBody} with all), sorted if canonical. */
  protected void writeAll(ByteWriter out, boolean canonical) {
    writeBody(out, true);
  }

  @Override
  public void restore(byte[] snapshot) {
    channels.reset();
    resetBody();
    finished = false;
    apply(snapshot);
  }
}
