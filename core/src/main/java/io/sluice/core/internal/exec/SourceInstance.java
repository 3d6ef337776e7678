package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.connector.Source;
import io.sluice.core.connector.SourceReader;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.TimestampFn;
import io.sluice.core.internal.codec.ValueCodec;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.internal.plan.Port;
import java.util.ArrayList;
import java.util.List;

/**
 * INTERNAL API: reads one split, runs the chained steps and partitions the results.
 *
 * <p>A step's change records the position range it read — never the records — plus the
 * watermark it emitted and the ordinals of records that went to the dead-letter sink:
 *
 * <pre>
 *   change := header from:zigzag count:varint to:zigzag watermark:zigzag maxTimestamp:zigzag
 *             flags:u8(bit0 idle, bit1 ended) skipped:count{ordinal:varint} deadLetters:count{value}
 * </pre>
 *
 * so that {@link #regenerate} re-reads the range and reproduces exactly the same batches.
 */
final class SourceInstance extends OperatorInstance {
  private final Source<Object> source;
  private final TimestampFn<Object> timestampFn;
  private final long maxOutOfOrderness;
  private final long idleTimeout;
  private final int batchSize;
  private final Emitter head;
  private final int split;
  private final int splitCount;
  private final List<Object> pending = new ArrayList<>();
  /** Input records the reader rejected in the current read, for the dead-letter sink. */
  private final List<DeadLetter> rejected = new ArrayList<>();
  private final SourceReader.Output<Object> live = new SourceReader.Output<>() {
    @Override
    public void emit(Object record) {
      pending.add(record);
    }

    @Override
    public void reject(String record, Exception error) {
      if (!hasDeadLetters()) {
        throw new UserCodeException(op.name() + " (reading split " + split + ")", record, error);
      }
      rejected.add(new DeadLetter(ctx.jobId(), op.name() + " (reading split " + split + ")", index, record,
          errorText(error), 1));
    }
  };
  /** Records the replay reader rejected again (their dead letters come from the step, not from here). */
  private int replayRejects;
  /** Re-reading a range: rejected records were sent to the dead-letter sink the first time, from the step. */
  private final SourceReader.Output<Object> replaying = new SourceReader.Output<>() {
    @Override
    public void emit(Object record) {
      pending.add(record);
    }

    @Override
    public void reject(String record, Exception error) {
      replayRejects++;
    }
  };
  private SourceReader<Object> reader;
  private SourceReader<Object> replayReader;
  private Outputs replayOutputs;
  private Chain replayChain;
  private Emitter replayHead;
  private long position;
  private boolean positioned;
  private long watermark = Long.MIN_VALUE;
  private long maxTimestamp = Long.MIN_VALUE;
  private boolean idle;
  private boolean ended;
  private long lastRecordAt = Long.MIN_VALUE;

  @SuppressWarnings("unchecked")
  SourceInstance(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int index, OpSpec.SourceSpec spec) {
    super(ctx, op, index);
    this.source = (Source<Object>) spec.source();
    this.timestampFn = spec.timestamp();
    this.maxOutOfOrderness = spec.maxOutOfOrdernessMillis();
    this.idleTimeout = spec.idleTimeoutMillis();
    this.batchSize = ctx.plan().config().batchSize();
    this.head = chain.emitterFor(op.head(), Port.MAIN);
    this.split = index;
    this.splitCount = op.parallelism();
  }

  @Override
  public Kind kind() {
    return Kind.SOURCE;
  }

  private SourceReader<Object> reader() {
    if (reader == null) {
      try {
        reader = source.createReader(split, splitCount);
        if (positioned) {
          reader.seek(position);
        } else {
          position = reader.position();
          positioned = true;
        }
      } catch (UserCodeException e) {
        throw e;
      } catch (Exception e) {
        throw new UserCodeException(op.name() + " (split " + split + ")", null, e);
      }
    }
    return reader;
  }

  @Override
  public void open() {
    reader();
  }

  @Override
  public String inputProblem() {
    return reader == null ? null : reader.problem();
  }

  @Override
  public StepResult emit(long now, int batches) {
    if (ended) {
      finished = true;
      return StepResult.EMPTY;
    }
    if (lastRecordAt == Long.MIN_VALUE) {
      lastRecordAt = now;
    }
    SourceReader<Object> r = reader();
    long from = position;
    pending.clear();
    rejected.clear();
    int n;
    boolean eos;
    try {
      // one step reads up to `batches` batches: one range in the event, split into batches of batchSize
      n = r.read((int) Math.min(Integer.MAX_VALUE, (long) batchSize * Math.max(1, batches)), live);
      eos = r.isEnd();
      position = r.position();
    } catch (UserCodeException e) {
      throw e;
    } catch (Exception e) {
      throw new UserCodeException(op.name() + " (reading split " + split + ")", null, e);
    }
    if (n != pending.size()) {
      throw new UserCodeException(op.name(), null, new IllegalStateException("reader reported " + n
          + " records but emitted " + pending.size()));
    }
    if (n == 0 && !eos && rejected.isEmpty()) {
      boolean becameIdle = idleTimeout > 0 && !idle && now - lastRecordAt >= idleTimeout;
      if (becameIdle) {
        idle = true;
      } else if (!outputs.watermarkDue(watermark, idle, now)) {
        return StepResult.EMPTY;
      }
    }
    if (n > 0) {
      idle = false;
      lastRecordAt = now;
    }
    chain.resetRoundRobin(from);
    List<Integer> skipped = new ArrayList<>();
    List<DeadLetter> dls = new ArrayList<>();
    for (DeadLetter dl : rejected) {
      dls.add(dl);
      sendDeadLetter(dl);
    }
    for (int i = 0; i < n; i++) {
      Object rec = pending.get(i);
      if (isolation) {
        int[] mark = outputs.mark();
        try {
          push(head, rec, true);
        } catch (UserCodeException e) {
          outputs.reset(mark);
          skipped.add(i);
          DeadLetter dl = deadLetterOf(e);
          dls.add(dl);
          sendDeadLetter(dl);
        }
      } else {
        push(head, rec, true);
      }
    }
    if (timestampFn != null && maxTimestamp != Long.MIN_VALUE) {
      watermark = Math.max(watermark, maxTimestamp - maxOutOfOrderness - 1);
    }
    if (eos) {
      ended = true;
      finished = true;
      watermark = Long.MAX_VALUE;
    }
    long out = outputs.recordsOut();
    byte[] changes = encode(from, n, position, skipped, dls);
    return new StepResult(changes, outputs.finish(watermark, idle, ended, now, false), n, out);
  }

  private void push(Emitter target, Object rec, boolean live) {
    long ts = RecordBatch.NO_TIMESTAMP;
    if (timestampFn != null) {
      try {
        ts = timestampFn.timestamp(rec);
      } catch (Exception e) {
        throw new UserCodeException(op.name() + " (timestamps)", rec, e);
      }
      if (live && ts > maxTimestamp) {
        maxTimestamp = ts;
      }
    }
    target.emit(rec, ts);
  }

  private byte[] encode(long from, int count, long to, List<Integer> skipped, List<DeadLetter> dls) {
    ByteWriter w = header(Kind.SOURCE, 48);
    w.writeVarLongSigned(from).writeVarInt(count).writeVarLongSigned(to).writeVarLongSigned(watermark)
        .writeVarLongSigned(maxTimestamp).writeByte((idle ? 1 : 0) | (ended ? 2 : 0));
    w.writeVarInt(skipped.size());
    for (int s : skipped) {
      w.writeVarInt(s);
    }
    w.writeVarInt(dls.size());
    ValueCodec.Scope scope = new ValueCodec.Scope();
    for (DeadLetter dl : dls) {
      ctx.codec().write(w, dl, scope);
    }
    return w.toByteArray();
  }

  private record Change(long from, int count, long to, long watermark, long maxTimestamp, boolean idle,
      boolean ended, int[] skipped, List<Object> deadLetters) {}

  private Change decode(byte[] bytes) {
    ByteReader r = open(bytes, Kind.SOURCE);
    long from = r.readVarLongSigned();
    int count = r.readVarInt();
    long to = r.readVarLongSigned();
    long wm = r.readVarLongSigned();
    long maxTs = r.readVarLongSigned();
    int flags = r.readUnsignedByte();
    int ns = r.readCount();
    int[] skipped = new int[ns];
    for (int i = 0; i < ns; i++) {
      skipped[i] = r.readVarInt();
    }
    int nd = r.readCount();
    List<Object> dls = new ArrayList<>(nd);
    ValueCodec.Scope scope = new ValueCodec.Scope();
    for (int i = 0; i < nd; i++) {
      dls.add(ctx.codec().read(r, scope));
    }
    r.expectEnd(op.name() + " source change");
    return new Change(from, count, to, wm, maxTs, (flags & 1) != 0, (flags & 2) != 0, skipped, dls);
  }

  @Override
  public void apply(byte[] changes) {
    Change c = decode(changes);
    position = c.to();
    positioned = true;
    watermark = c.watermark();
    maxTimestamp = c.maxTimestamp();
    idle = c.idle();
    ended = c.ended();
    finished = ended;
    if (reader != null) {
      try {
        reader.seek(position);
      } catch (Exception e) {
        throw new UserCodeException(op.name() + " (seek in split " + split + ")", null, e);
      }
    }
    outputs.forgetSent();
  }

  @Override
  public List<OutputBatch> regenerate(byte[] changes) {
    Change c = decode(changes);
    if (replayReader == null) {
      try {
        replayReader = source.createReplayReader(split, splitCount);
      } catch (Exception e) {
        throw new UserCodeException(op.name() + " (split " + split + ")", null, e);
      }
      boolean[] ts = Chain.timestampedChannels(ctx, op, index);
      replayOutputs = new Outputs(ts, 0, batchSize, batchSize);
      replayChain = new Chain(ctx, op, index, replayOutputs);
      replayHead = replayChain.emitterFor(op.head(), Port.MAIN);
    }
    // the first read took count records and the rejected ones (their dead letters, less those
    // of records a function failed on, which are among the count): re-read exactly as many
    int rejects = c.deadLetters().size() - c.skipped().length;
    if (c.count() + rejects > 0) {
      pending.clear();
      replayRejects = 0;
      try {
        replayReader.seek(c.from());
        int guard = 0;
        while (pending.size() + replayRejects < c.count() + rejects) {
          int before = pending.size() + replayRejects;
          replayReader.read(c.count() + rejects - before, replaying);
          if (pending.size() + replayRejects == before && (replayReader.isEnd() || ++guard > 1000)) {
            break;
          }
        }
      } catch (Exception e) {
        throw new UserCodeException(op.name() + " (replaying split " + split + ")", null, e);
      }
      if (pending.size() != c.count() || replayRejects != rejects || replayReader.position() != c.to()) {
        throw new CorruptDataException("source '" + op.name() + "' split " + split + " is not replayable: re-reading"
            + " positions [" + c.from() + ", " + c.to() + ") gave " + pending.size() + " records and " + replayRejects
            + " rejects ending at position " + replayReader.position() + ", the original read gave " + c.count()
            + " and " + rejects);
      }
      replayChain.resetRoundRobin(c.from());
      int s = 0;
      for (int i = 0; i < pending.size(); i++) {
        if (s < c.skipped().length && c.skipped()[s] == i) {
          s++;
          continue;
        }
        push(replayHead, pending.get(i), false);
      }
    }
    for (Object dl : c.deadLetters()) {
      replayOutputs.add(deadLetterChannel, dl, RecordBatch.NO_TIMESTAMP);
    }
    replayOutputs.forgetSent();
    return replayOutputs.finish(c.watermark(), c.idle(), c.ended(), Long.MAX_VALUE / 2, true);
  }

  @Override
  public byte[] snapshot() {
    return encode(position, 0, position, List.of(), List.of());
  }

  @Override
  public void restore(byte[] snapshot) {
    apply(snapshot);
  }

  @Override
  public OperatorSavepoint savepoint() {
    return new OperatorSavepoint.Source(splitCount, new java.util.TreeMap<>(java.util.Map.of(split, snapshot())));
  }

  @Override
  public SavepointFormat.Header savepointShape() {
    return new SavepointFormat.Header(false, 0, java.util.List.of(), splitCount, new java.util.TreeMap<>());
  }

  @Override
  public int[] savepointParts() {
    return new int[] {split};
  }

  @Override
  public byte[] savepointPart(int part) {
    if (part != split) {
      throw new IllegalArgumentException(this + " holds split " + split + ", not " + part);
    }
    return snapshot();
  }

  @Override
  public int[] savepointRange() {
    return new int[] {split, split + 1};
  }

  @Override
  public void restoreSavepoint(OperatorSavepoint part) {
    if (!(part instanceof OperatorSavepoint.Source s)) {
      throw new IllegalArgumentException("operator '" + op.name() + "' is a source, but the savepoint has " + part
          + " for it");
    }
    if (s.splits() != splitCount) {
      throw new IllegalArgumentException("source '" + op.name() + "' has " + splitCount + " split(s) now but "
          + s.splits() + " in the savepoint; a source's parallelism cannot change across a savepoint");
    }
    byte[] position = s.positions().get(split);
    if (position != null) {
      restore(position); // seeks an open reader to where the savepoint left off
    }
  }

  @Override
  public StepResult onTime(long now) {
    return emit(now, 1);
  }

  @Override
  public long nextDeadline() {
    return ended ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  @Override
  public void close() throws Exception {
    try {
      if (reader != null) {
        reader.close();
      }
    } finally {
      if (replayReader != null) {
        replayReader.close();
      }
    }
  }

  long position() {
    return position;
  }
}
