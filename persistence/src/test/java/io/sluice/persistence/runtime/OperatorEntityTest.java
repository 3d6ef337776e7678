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
import io.sluice.core.internal.exec.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The channel protocol of one operator instance, on the in-memory journal. The test plays the
 * instance's upstream (a source) and downstream (a sink) by hand: it sends batches, watches what
 * the instance acknowledges and emits, and acknowledges (or not) what it emits.
 */
@ExtendWith(LogCapturingExtension.class)
class OperatorEntityTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private InMemoryRuntime rt;
  private InstanceId count;
  private InstanceId source;
  private InstanceId sink;

  @BeforeEach
  void start() {
    Pipeline.Builder p = Pipeline.builder("counts")
        .config(JobConfig.defaults().withParallelism(1).withCreditWindow(2));
    p.readFrom(Sources.collection("src", List.of("unused")))
        .keyBy(w -> w)
        .aggregate("count", Aggregations.counting())
        .writeTo(Sinks.collecting("out"));
    Pipeline pipeline = p.build();
    rt = new InMemoryRuntime(pipeline, id -> id.operator().equals("count"));
    count = rt.instance("count", 0);
    source = rt.instance("src", 0);
    sink = rt.instance("out", 0);
  }

  @AfterEach
  void stop() {
    rt.close();
  }

  private OperatorCommand.Deliver batch(long seq, String... words) {
    return new OperatorCommand.Deliver(rt.job.jobId(), 0, 0, seq, Long.MIN_VALUE, 0, System.currentTimeMillis(),
        BatchPayload.of(RecordBatch.of(List.of((Object[]) words))), 0);
  }

  private List<OperatorCommand.Ack> acksToSource() {
    return rt.peers.sentTo(source, OperatorCommand.Ack.class).stream().filter(a -> !a.resend()).toList();
  }

  private List<OperatorCommand.Deliver> outputs() {
    return rt.peers.sentTo(sink, OperatorCommand.Deliver.class);
  }

  /** The records emitted to the sink, each sequence number once, in sequence order. */
  private List<Object> emitted() {
    List<OperatorCommand.Deliver> out = new ArrayList<>(outputs());
    out.sort(Comparator.comparingLong(OperatorCommand.Deliver::seq));
    List<Object> records = new ArrayList<>();
    long last = 0;
    for (OperatorCommand.Deliver d : out) {
      if (d.seq() > last) {
        records.addAll(d.payload().decoded(rt.job.newBatchCodec()).records());
        last = d.seq();
      }
    }
    return records;
  }

  private Optional<InstanceReport> lastReport() {
    List<InstanceReport> all = rt.peers.reports().stream().filter(r -> r.instance().equals(count)).toList();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  private void await(Runnable assertion) {
    TestProbe<Object> probe = rt.kit.createTestProbe();
    probe.awaitAssert(WAIT, () -> {
      assertion.run();
      return null;
    });
  }

  @Test
  void whenABatchComesTwice_thenTheDuplicateIsDroppedAndAcknowledgedAgain() {
    rt.tell(count, batch(1, "a", "b"));
    await(() -> assertEquals(1, acksToSource().size()));
    assertEquals(1, acksToSource().get(0).upTo());
    rt.tell(count, batch(1, "a", "b"));
    await(() -> assertEquals(2, acksToSource().size()));
    assertEquals(1, acksToSource().get(1).upTo(), "the duplicate is acknowledged with the current mark");
    assertEquals(List.of(KV.of("a", 1L), KV.of("b", 1L)), emitted(), "the duplicate produced nothing");
    assertEquals(1, outputs().size());
    assertEquals(1, outputs().get(0).seq());
  }

  @Test
  void whenABatchSkipsASequenceNumber_thenItWaitsForTheMissingOne() {
    rt.tell(count, batch(2, "c"));
    // the batch is buffered, not consumed: the instance reports it as backlog, with nothing consumed
    await(() -> {
      InstanceReport r = lastReport().orElseThrow();
      assertEquals(1, r.backlog());
      assertEquals(0, r.recordsIn());
    });
    assertEquals(List.of(), acksToSource());
    rt.tell(count, batch(1, "a", "c"));
    await(() -> assertEquals(2, acksToSource().get(acksToSource().size() - 1).upTo()));
    assertEquals(List.of(KV.of("a", 1L), KV.of("c", 1L), KV.of("c", 2L)), emitted(), "consumed in sequence order");
  }

  @Test
  void whenAnInstanceRecovers_thenItResendsItsOutboxAndAsksItsUpstreamToResend() {
    rt.tell(count, batch(1, "a"));
    await(() -> assertEquals(1, outputs().size()));
    int hellosBefore = rt.peers.sentTo(source, OperatorCommand.Ack.class).size();
    rt.kill(count); // the output was never acknowledged by the sink
    rt.tell(count, new OperatorCommand.Start(rt.job.spec()));
    await(() -> assertEquals(2, outputs().size()));
    OperatorCommand.Deliver again = outputs().get(1);
    assertEquals(1, again.seq(), "the unacknowledged batch is resent with its sequence number");
    assertEquals(List.of(KV.of("a", 1L)), again.payload().decoded(rt.job.newBatchCodec()).records());
    List<OperatorCommand.Ack> hellos = rt.peers.sentTo(source, OperatorCommand.Ack.class);
    assertEquals(true, hellos.subList(hellosBefore, hellos.size()).stream().anyMatch(a -> a.resend() && a.upTo() == 1),
        "the recovered instance asks its upstream to resend what follows batch 1");
    rt.tell(count, batch(2, "a"));
    await(() -> assertEquals(List.of(KV.of("a", 1L), KV.of("a", 2L)), emitted()));
  }

  @Test
  void whenTheCreditWindowIsFull_thenTheInstanceStopsConsumingUntilAcknowledged() {
    rt.tell(count, batch(1, "a"));
    await(() -> assertEquals(1, acksToSource().size()));
    rt.tell(count, batch(2, "a"));
    await(() -> assertEquals(2, acksToSource().size()));
    rt.tell(count, batch(3, "a"));
    // two unacknowledged outputs fill the window of 2: batch 3 waits, and nothing is acknowledged upstream
    await(() -> {
      InstanceReport r = lastReport().orElseThrow();
      assertEquals(2, r.unacked());
      assertEquals(1, r.backlog());
    });
    assertEquals(2, acksToSource().size());
    rt.tell(count, new OperatorCommand.Ack(rt.job.jobId(), 2, 0, 1, false)); // the sink consumed batch 1
    await(() -> assertEquals(3, acksToSource().get(acksToSource().size() - 1).upTo()));
    assertEquals(List.of(KV.of("a", 1L), KV.of("a", 2L), KV.of("a", 3L)), emitted());
  }

  @Test
  void whenABatchWaitingForItsTurnIsResent_thenTheInstanceAnswersWithItsCurrentMark() {
    rt.tell(count, batch(1, "a"));
    await(() -> assertEquals(1, acksToSource().size()));
    rt.tell(count, batch(3, "a")); // waits for batch 2
    rt.tell(count, batch(3, "a")); // the sender resends it: it must hear that this instance is alive
    await(() -> assertEquals(2, acksToSource().size()));
    assertEquals(1, acksToSource().get(1).upTo(), "the answer carries the mark, not the waiting batch");
    assertEquals(List.of(KV.of("a", 1L)), emitted(), "batch 3 still waits for batch 2");
  }

  @Test
  void whenADownstreamAnswersNoResendForRouteStaleAfter_thenTheInstanceReportsTheRouteEveryRouteStaleAfter() {
    rt.tell(count, batch(1, "a")); // its output to the sink is never acknowledged: the sink is silent
    await(() -> assertEquals(1, outputs().size()));
    String route = count + " -> " + sink;
    await(() -> assertEquals(List.of(route), rt.peers.suspects)); // FAST: route-stale-after = 2 s
    await(() -> assertEquals(List.of(route, route), rt.peers.suspects)); // still silent: reported again
    long apartMs = (rt.peers.suspectedAt.get(1) - rt.peers.suspectedAt.get(0)) / 1_000_000;
    assertTrue(apartMs >= 1_900, "reported again only after another route-stale-after: " + apartMs + " ms");
  }

  @Test
  void whenADownstreamAnswersItsResends_thenNoRouteIsReported() {
    rt.tell(count, batch(1, "a"));
    await(() -> assertEquals(1, outputs().size()));
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // longer than route-stale-after
    int answered = 0;
    while (System.nanoTime() < deadline) {
      int resends = outputs().size();
      if (resends > answered) {
        // the sink is busy: it answers each resend with its mark (0), consuming nothing
        rt.tell(count, new OperatorCommand.Ack(rt.job.jobId(), 2, 0, 0, false));
        answered = resends;
      }
      rt.kit.createTestProbe().expectNoMessage(Duration.ofMillis(50));
    }
    assertTrue(answered >= 3, "the batch was resent while unacknowledged: " + answered);
    assertEquals(List.of(), rt.peers.suspects);
  }

  /*
   * A journal that loses writes it acknowledged (Cassandra with periodic commit-log sync, killed)
   * leaves an instance recovered to a state older than what its neighbours saw. The neighbours'
   * messages prove it; the instance must fail the job with the reason instead of going on.
   */

  private void awaitJournalLossReported(String... evidence) {
    await(() -> {
      String error = lastReport().orElseThrow().failedError();
      assertTrue(error != null && error.startsWith("the journal lost acknowledged writes"), "reported: " + error);
      for (String e : evidence) {
        assertTrue(error.contains(e), "'" + e + "' in: " + error);
      }
    });
  }

  /**
   * Design of this test: one batch of 800 distinct 20,000-character words makes a step of about
   * 32 MB (the new counts' keys and the outputs), more than Cassandra takes in one write. The
   * instance must not try to persist it (a refused write would restart it into the same step for
   * ever): it reports why, naming the batch size, and neither sends nor acknowledges anything.
   */
  @Test
  void whenAStepIsTooLargeForTheJournal_thenTheInstanceSaysWhyAndPersistsNothing() {
    String[] words = new String[800];
    for (int i = 0; i < words.length; i++) {
      words[i] = i + "-" + "w".repeat(20_000);
    }
    rt.tell(count, batch(1, words));
    await(() -> assertTrue(lastReport().map(InstanceReport::trouble).orElse("").contains(
        "is larger than the journal's largest write"), "report: " + lastReport()));
    assertTrue(lastReport().orElseThrow().trouble().contains("lower the job's batch size"));
    assertEquals(0, outputs().size(), "nothing sent");
    assertEquals(0, acksToSource().size(), "nothing acknowledged");
  }

  @Test
  void whenTheDownstreamAcknowledgesABatchThisInstanceNeverProduced_thenTheJobFailsWithTheReason() {
    rt.tell(count, batch(1, "a"));
    await(() -> assertEquals(1, outputs().size()));
    // as if the journal lost the step of batch 1 and more: the sink has consumed up to batch 3
    rt.tell(count, new OperatorCommand.Ack(rt.job.jobId(), 2, 0, 3, false));
    awaitJournalLossReported("acknowledged batch 3", "up to batch 1");
    int acked = acksToSource().size();
    rt.tell(count, batch(2, "b"));
    await(() -> assertEquals(1, lastReport().orElseThrow().backlog()));
    assertEquals(acked, acksToSource().size(), "nothing is consumed after the loss was detected");
    assertEquals(1, outputs().size());
  }

  @Test
  void whenTheUpstreamWasToldABatchWasConsumedThatTheStateDoesNotHave_thenTheJobFailsWithTheReason() {
    // batch 3 says: this instance acknowledged up to batch 2, which its (empty) journal does not know
    rt.tell(count, new OperatorCommand.Deliver(rt.job.jobId(), 0, 0, 3, Long.MIN_VALUE, 0,
        System.currentTimeMillis(), BatchPayload.of(RecordBatch.of(List.of("c"))), 2));
    awaitJournalLossReported("batch 2 was consumed", "only up to 0");
    assertEquals(List.of(), acksToSource());
    assertEquals(List.of(), outputs());
  }
}
