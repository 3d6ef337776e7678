package io.sluice.persistence.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.engine.BatchPayload;
import io.sluice.core.internal.engine.InMemoryStateStore;
import io.sluice.core.internal.exec.RecordBatch;
import io.sluice.persistence.state.StateStores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An instance that reads its stored key groups after a restart, on the in-memory journal and a
 * state store whose reads the test holds: the test plays its upstream and downstream by hand.
 */
@ExtendWith(LogCapturingExtension.class)
class StoredStateReadTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final InMemoryRuntime rt;
  private final InstanceId count;
  private final InstanceId source;
  private final InstanceId sink;

  StoredStateReadTest() {
    Pipeline.Builder p = Pipeline.builder("counts")
        .config(JobConfig.defaults().withParallelism(1).withCreditWindow(8).withSnapshotEvery(1));
    p.readFrom(Sources.collection("src", List.of("unused")))
        .keyBy(w -> w)
        .aggregate("count", Aggregations.counting())
        .writeTo(Sinks.collecting("out"));
    rt = new InMemoryRuntime(p.build(), id -> id.operator().equals("count"));
    count = rt.instance("count", 0);
    source = rt.instance("src", 0);
    sink = rt.instance("out", 0);
  }

  @AfterEach
  void stop() {
    store().releaseReads();
    rt.close();
  }

  private InMemoryStateStore store() {
    return (InMemoryStateStore) StateStores.get(rt.kit.system()).store();
  }

  private OperatorCommand.Deliver batch(long seq, String... words) {
    return new OperatorCommand.Deliver(rt.job.jobId(), 0, 0, seq, Long.MIN_VALUE, 0, System.currentTimeMillis(),
        BatchPayload.of(RecordBatch.of(List.of((Object[]) words))), 0);
  }

  private List<OperatorCommand.Ack> acksToSource() {
    return rt.peers.sentTo(source, OperatorCommand.Ack.class);
  }

  private long lastAckUpTo() {
    List<OperatorCommand.Ack> acks = acksToSource();
    return acks.isEmpty() ? 0 : acks.get(acks.size() - 1).upTo();
  }

  private void await(Runnable assertion) {
    TestProbe<Object> probe = rt.kit.createTestProbe();
    probe.awaitAssert(WAIT, () -> {
      assertion.run();
      return null;
    });
  }

  /** The records of the output batches after batch {@code seq}, each batch once, in order. */
  private List<Object> emittedAfter(long seq) {
    List<Object> records = new ArrayList<>();
    long last = seq;
    for (OperatorCommand.Deliver d : rt.peers.sentTo(sink, OperatorCommand.Deliver.class)) {
      if (d.seq() == last + 1) { // resends of earlier batches come again after a restart
        records.addAll(d.payload().decoded(rt.job.newBatchCodec()).records());
        last = d.seq();
      }
    }
    return records;
  }

  private long lastOutput() {
    return rt.peers.sentTo(sink, OperatorCommand.Deliver.class).stream().mapToLong(OperatorCommand.Deliver::seq)
        .max().orElse(0);
  }

  /*
   * Design: with a snapshot after every event, two batches leave key groups in the store and a
   * snapshot naming them. The instance is killed and restarted while the store holds its reads: it
   * replays, then waits for its key groups. A batch sent meanwhile must be answered (the sender's
   * route-stale-after would otherwise count the whole read as silence and move the instance) with
   * the mark it recovered, not consumed, and not stashed; once the reads complete, the instance asks
   * for everything after its mark and the batch, resent, counts on top of the stored state.
   */
  @Test
  void aBatchThatArrivesWhileTheStoredStateIsReadIsAnsweredWithTheRecoveredMarkAndConsumedAfterTheRead() {
    rt.tell(count, batch(1, "a", "b"));
    await(() -> assertEquals(1, lastAckUpTo()));
    await(() -> assertTrue(store().versionCount() > 0, "no key group was stored"));
    long snapshots = ProtocolSerializer.SNAPSHOTS.sum();
    rt.tell(count, batch(2, "a"));
    await(() -> assertEquals(2, lastAckUpTo()));
    await(() -> assertTrue(ProtocolSerializer.SNAPSHOTS.sum() > snapshots, "no snapshot after the key groups were"
        + " stored"));
    long lastOutput = lastOutput();

    store().holdReads();
    rt.kill(count);
    rt.tell(count, new OperatorCommand.Start(rt.job.spec()));
    int acksBefore = acksToSource().size();
    rt.tell(count, batch(3, "a", "c"));
    await(() -> assertTrue(acksToSource().size() > acksBefore, "a batch sent while the stored state is read is"
        + " answered"));
    List<OperatorCommand.Ack> answers = acksToSource().subList(acksBefore, acksToSource().size());
    assertEquals(new OperatorCommand.Ack(rt.job.jobId(), 1, 0, 2, false), answers.get(0),
        "answered with the recovered mark: not consumed, and no resend asked for before the state is read");
    assertTrue(answers.stream().noneMatch(OperatorCommand.Ack::resend), "still reading: " + answers);

    store().releaseReads();
    await(() -> assertTrue(acksToSource().stream().skip(acksBefore).anyMatch(a -> a.resend() && a.upTo() == 2),
        "live: asks for everything after its mark"));
    // the resend carries other words than the batch sent while reading (a real sender never does
    // that): the output says which of the two was consumed
    rt.tell(count, batch(3, "a", "d"));
    await(() -> assertEquals(3, lastAckUpTo()));
    await(() -> assertEquals(List.of(KV.of("a", 3L), KV.of("d", 1L)), emittedAfter(lastOutput),
        "the batch answered while reading was dropped, not consumed from a stash; the resend counted on top of"
        + " the stored state"));
  }
}
