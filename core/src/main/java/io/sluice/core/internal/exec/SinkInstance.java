package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import io.sluice.core.internal.plan.PhysicalPlan;

/**
 * INTERNAL API: writes each input batch to the sink under its deterministic {@link BatchId}
 * (this instance, the upstream instance, the channel sequence number), before the runtime persists
 * that it consumed it: after a failure the same batch is written again under the same id.
 */
final class SinkInstance extends ConsumingInstance {
  private final Sink<Object> sink;
  private final String[] upstreamNames;
  private SinkWriter<Object> writer;

  SinkInstance(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int index, Sink<Object> sink) {
    super(ctx, op, index);
    this.sink = sink;
    this.upstreamNames = new String[inputRefs.size()];
    for (int i = 0; i < upstreamNames.length; i++) {
      upstreamNames[i] = ctx.plan().operator(inputRefs.get(i).peerOperator()).name();
    }
  }

  @Override
  public Kind kind() {
    return Kind.SINK;
  }

  @Override
  public void open() {
    writer();
  }

  private SinkWriter<Object> writer() {
    if (writer == null) {
      try {
        writer = sink.createWriter(new Sink.Context() {
          @Override
          public String jobId() {
            return ctx.jobId();
          }

          @Override
          public int instanceIndex() {
            return index;
          }

          @Override
          public int parallelism() {
            return op.parallelism();
          }
        });
      } catch (Exception e) {
        throw new UserCodeException(op.name() + " (opening sink)", null, e);
      }
    }
    return writer;
  }

  @Override
  protected void consume(InputBatch batch) {
    if (batch.records().isEmpty()) {
      return;
    }
    PhysicalPlan.ChannelRef ref = inputRefs.get(batch.channel());
    BatchId id = new BatchId(index, upstreamNames[batch.channel()], ref.peerInstance(), batch.seq());
    try {
      writer().write(id, batch.records().records());
    } catch (UserCodeException e) {
      throw e;
    } catch (Exception e) {
      throw new UserCodeException(op.name() + " (writing batch " + id.asFileName() + ")", null, e);
    }
  }

  @Override
  protected void onEndOfInput() {
    try {
      writer().endOfStream();
    } catch (Exception e) {
      throw new UserCodeException(op.name() + " (end of stream)", null, e);
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

  @Override
  public void close() throws Exception {
    if (writer != null) {
      writer.close();
    }
  }
}
