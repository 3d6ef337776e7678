package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.internal.plan.PhysicalPlan;

/** INTERNAL API: stateless steps after a repartitioning (rebalance, broadcast, custom, parallelism change). */
final class StatelessInstance extends ConsumingInstance {
  private final Emitter head;

  StatelessInstance(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int index) {
    super(ctx, op, index);
    this.head = chain.stateless(ctx.plan().logical().get(op.head()));
  }

  @Override
  public Kind kind() {
    return Kind.STATELESS;
  }

  @Override
  protected void consume(InputBatch batch) {
    RecordBatch rs = batch.records();
    for (int i = 0; i < rs.size(); i++) {
      if (isolation) {
        int[] mark = outputs.mark();
        try {
          head.emit(rs.get(i), rs.timestamp(i));
        } catch (UserCodeException e) {
          outputs.reset(mark);
          sendDeadLetter(deadLetterOf(e));
        }
      } else {
        head.emit(rs.get(i), rs.timestamp(i));
      }
    }
  }

  @Override
  public long nextDeadline() {
    return Long.MAX_VALUE;
  }

  @Override
  protected boolean bodyChanged() {
    return false;
  }

  @Override
  protected void writeBody(ByteWriter out, boolean all) {}

  @Override
  protected void readBody(ByteReader in) {}

  @Override
  protected void resetBody() {}
}
