package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.dsl.KeySelector;
import io.sluice.core.dsl.TimeDomain;
import io.sluice.core.internal.codec.ValueCodec;
import io.sluice.core.internal.plan.LogicalOperator;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.Partitioning;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.internal.plan.Port;

/**
 * INTERNAL API: a keyed stateful step (reduce, aggregate, process, window) and its chain. Keyed
 * state lives in a {@link KeyedBackend}; a step's change holds the entries it touched.
 */
final class KeyedInstance extends ConsumingInstance {
  private final KeyedBackend backend;
  private final KeyedLogic logic;
  private final KeySelector<Object, Object> keySelector;
  private final String stage;
  private final ValueCodec.Scope scope = new ValueCodec.Scope();
  private boolean opened;

  KeyedInstance(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int index) {
    super(ctx, op, index);
    LogicalOperator head = ctx.plan().logical().get(op.head());
    this.stage = head.name();
    this.keySelector = ((Partitioning.Keyed) head.input().partitioning()).key();
    int[] range = KeyedBackend.keyGroupRange(index, op.parallelism(), ctx.plan().config().maxParallelism());
    this.backend = new KeyedBackend(ctx.codec(), ctx.plan().config().maxParallelism(), range[0], range[1]);
    Emitter main = chain.emitterFor(head.id(), Port.MAIN);
    Emitter late = chain.emitterFor(head.id(), Port.LATE);
    OpSpec spec = head.spec();
    if (spec instanceof OpSpec.ReduceSpec r) {
      logic = new KeyedLogic.Reduce(stage, r.fn(), main);
    } else if (spec instanceof OpSpec.AggregateSpec a) {
      logic = new KeyedLogic.Aggregate(stage, a.fn(), main);
    } else if (spec instanceof OpSpec.ProcessSpec p) {
      logic = new KeyedLogic.Process(stage, p.factory(), main, index, op.parallelism());
    } else if (spec instanceof OpSpec.WindowSpec w) {
      logic = new WindowLogic(stage, w, main, late, ctx.codec());
    } else {
      throw new IllegalStateException("not a keyed step: " + head);
    }
    logic.bind(backend, this::watermark);
  }

  @Override
  public Kind kind() {
    return Kind.KEYED;
  }

  @Override
  public void open() {
    ensureOpen();
  }

  private void ensureOpen() {
    if (!opened) {
      logic.open();
      opened = true;
    }
  }

  @Override
  protected void consume(InputBatch batch) {
    ensureOpen();
    backend.setNow(now);
    RecordBatch rs = batch.records();
    for (int i = 0; i < rs.size(); i++) {
      Object rec = rs.get(i);
      long ts = rs.timestamp(i);
      if (isolation) {
        backend.beginRecord();
        int[] mark = outputs.mark();
        try {
          element(rec, ts);
          backend.commitRecord();
        } catch (UserCodeException e) {
          backend.rollbackRecord();
          outputs.reset(mark);
          sendDeadLetter(deadLetterOf(e));
        }
      } else {
        element(rec, ts);
      }
    }
  }

  private void element(Object rec, long ts) {
    Object key = Chain.keyOf(keySelector, rec, stage);
    backend.setCurrentKey(key);
    logic.processElement(key, rec, ts);
  }

  @Override
  protected void onWatermark(long watermark) {
    ensureOpen();
    backend.setNow(now);
    KeyedBackend.Due due;
    while ((due = backend.pollEventTimer(watermark)) != null) {
      fire(due, TimeDomain.EVENT_TIME);
    }
  }

  private void fire(KeyedBackend.Due due, TimeDomain domain) {
    if (!isolation) {
      logic.onTimer(due.key(), due.timestamp(), domain);
      return;
    }
    backend.beginRecord();
    int[] mark = outputs.mark();
    try {
      logic.onTimer(due.key(), due.timestamp(), domain);
      backend.commitRecord();
    } catch (UserCodeException e) {
      backend.rollbackRecord();
      outputs.reset(mark);
      // the rollback restored the fired timer: drop it, or it would fire forever
      backend.setCurrentKey(due.key());
      if (domain == TimeDomain.EVENT_TIME) {
        backend.deleteEventTimer(due.timestamp());
      } else {
        backend.deleteProcTimer(due.timestamp());
      }
      sendDeadLetter(deadLetterOf(e));
    }
  }

  @Override
  protected void onEndOfInput() {
    onWatermark(Long.MAX_VALUE);
  }

  @Override
  protected boolean onProcessingTime() {
    ensureOpen();
    backend.setNow(now);
    boolean any = false;
    KeyedBackend.Due due;
    while ((due = backend.pollProcTimer(now)) != null) {
      fire(due, TimeDomain.PROCESSING_TIME);
      any = true;
    }
    return backend.expire(now) > 0 || any;
  }

  @Override
  public long nextDeadline() {
    return finished ? Long.MAX_VALUE : Math.min(backend.nextProcTimer(), backend.nextExpiry());
  }

  @Override
  protected boolean bodyChanged() {
    return backend.hasChanges();
  }

  @Override
  protected void writeBody(ByteWriter out, boolean all) {
    scope.clear();
    if (all) {
      backend.writeAll(out, scope);
    } else {
      backend.writeChanges(out, scope);
    }
  }

  @Override
  protected void writeAll(ByteWriter out, boolean canonical) {
    scope.clear();
    if (canonical) {
      backend.writeAllSorted(out, scope);
    } else {
      backend.writeAll(out, scope);
    }
  }

  @Override
  protected void readBody(ByteReader in) {
    ensureOpen();
    scope.clear();
    if (readVersion == 1) {
      backend.readLegacyChanges(in, scope);
    } else {
      backend.readChanges(in, scope);
    }
  }

  @Override
  protected void resetBody() {
    backend.clear();
  }

  /** The keyed state, for tests. */
  KeyedBackend backend() {
    return backend;
  }
}
