package io.sluice.core.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.codec.BatchCodec;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.exec.ExecContext;
import io.sluice.core.internal.exec.InputBatch;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.RecordBatch;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden bytes of an operator instance's snapshot (the N1 payload), and its round trip. */
class InstanceSnapshotFormatTest {
  private static OperatorInstance countInstance(ExecContext ctx) throws Exception {
    OperatorInstance i = OperatorInstance.create(ctx, 1, 0);
    i.open();
    return i;
  }

  @Test
  void snapshotOfAKeyedInstanceWithAnOutboxEntryAndAFailure() throws Exception {
    Pipeline.Builder p = Pipeline.builder("counts").config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("src", List.of("x"))).keyBy(w -> w).aggregate("count", Aggregations.counting())
        .writeTo(Sinks.collecting("out"));
    ExecContext ctx = ExecContext.of("j", PipelineImpl.physical(p.build()));
    OperatorInstance logic = countInstance(ctx);
    logic.process(List.of(new InputBatch(0, 1, RecordBatch.of(List.of("a")), Long.MIN_VALUE, false, false)), 1000);
    InstanceState s = new InstanceState(logic);
    s.lastSeqIn[0] = 1;
    s.nextSeqOut[0] = 2;
    BatchCodec codec = new BatchCodec(ctx.codec());
    s.outbox[0].add(new InstanceState.OutEntry(1, Long.MIN_VALUE, 0, 5, BatchPayload.of(RecordBatch.of(List.of("r"))),
        null));
    s.recordsIn = 1;
    s.recordsOut = 1;
    s.recordFailure(new OperatorEvent.StepFailed(1, "count", "a", "E: x", 900, OperatorEvent.Decision.RETRY, 1900));
    byte[] bytes = s.snapshot(b -> b.bytes(codec));
    assertEquals("02"                                       // version
        + "1d0301000100ffffffffffffffffff0100"               // the logic's snapshot (29 bytes, format 3,
        + "00"                                              //   pinned by the core's golden tests): no
        + "0b0155010601610101010402"                        //   stored key groups, the state since inline
        + "0101"                                            // one input channel: last seq 1
        + "010200"                                          // one output channel: next seq 2, acked 0
        + "01"                                              // one outbox entry:
        + "0001ffffffffffffffffff0100050006010001060172"    //   channel 0, seq 1, watermark MIN, flags 0, created 5, records
        + "0101"                                            // records in 1, out 1
        + "0101840700"                                      // 1 consecutive failure; failure times [900]; flags
        + "0101056" + "36f756e7401016104453a2078840700ec0e", // last failure: attempt 1, stage, record, error, at, RETRY, retry at
        HexFormat.of().formatHex(bytes), "the instance snapshot format changed");
    InstanceState restored = new InstanceState(countInstance(ctx));
    restored.restore(bytes);
    assertArrayEquals(bytes, restored.snapshot(b -> b.bytes(codec)), "restore then snapshot gives the same bytes");
    assertEquals(1, restored.unacked());
    assertEquals("count", restored.lastFailure.stage());
  }

  @Test
  void whenTheVersionIsUnknown_thenRestoreSaysSo() throws Exception {
    Pipeline.Builder p = Pipeline.builder("counts").config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("src", List.of("x"))).keyBy(w -> w).aggregate("count", Aggregations.counting())
        .writeTo(Sinks.collecting("out"));
    ExecContext ctx = ExecContext.of("j", PipelineImpl.physical(p.build()));
    InstanceState s = new InstanceState(countInstance(ctx));
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> s.restore(new byte[] {9}));
    assertEquals("instance snapshot version 9 is not supported (expected 1 to 2)", e.getMessage());
  }
}
