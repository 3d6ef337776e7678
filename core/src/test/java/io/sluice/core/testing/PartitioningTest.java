package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.dsl.Stage;
import io.sluice.core.internal.util.Murmur3;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Which instance receives which record over rebalance, broadcast, custom and keyed edges. */
class PartitioningTest {
  private static final List<Integer> NINE = IntStream.range(0, 9).boxed().toList();

  private static Stage<Integer> source(Pipeline.Builder p) {
    p.config(JobConfig.defaults().withParallelism(1).withBatching(2, Duration.ZERO)
        .withRestartStrategy(RestartStrategy.none()));
    return p.readFrom(Sources.collection("numbers", NINE));
  }

  /**
   * Design of this test: one source instance reads 9 records in batches of 2; a rebalance deals
   * them round-robin by source position (the counter restarts from each batch's start position, so
   * a re-read batch goes to the same instances), so record j lands on instance j mod 3.
   */
  @Test
  void rebalanceDealsRecordsRoundRobinByPosition() {
    RecordingSink<Integer> sink = new RecordingSink<>("spread");
    Pipeline.Builder p = Pipeline.builder("rebalance");
    source(p).rebalance().writeTo(sink).setParallelism(3);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p.build())) {
      d.run();
      assertEquals(List.of(0, 3, 6), sink.received(d.jobId(), 0));
      assertEquals(List.of(1, 4, 7), sink.received(d.jobId(), 1));
      assertEquals(List.of(2, 5, 8), sink.received(d.jobId(), 2));
    }
  }

  @Test
  void broadcastDeliversEveryRecordToEveryInstance() {
    RecordingSink<Integer> sink = new RecordingSink<>("all");
    Pipeline.Builder p = Pipeline.builder("broadcast");
    source(p).broadcast().writeTo(sink).setParallelism(3);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p.build())) {
      d.run();
      for (int i = 0; i < 3; i++) {
        assertEquals(NINE, sink.received(d.jobId(), i), "instance " + i);
      }
    }
  }

  @Test
  void partitionCustomSendsEachRecordWhereThePartitionerSays() {
    RecordingSink<Integer> sink = new RecordingSink<>("custom");
    Pipeline.Builder p = Pipeline.builder("custom");
    source(p).partitionCustom(i -> i, (Integer k, int n) -> k < 2 ? 2 : k % 2).writeTo(sink).setParallelism(3);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p.build())) {
      d.run();
      assertEquals(List.of(2, 4, 6, 8), sink.received(d.jobId(), 0));
      assertEquals(List.of(3, 5, 7), sink.received(d.jobId(), 1));
      assertEquals(List.of(0, 1), sink.received(d.jobId(), 2));
    }
  }

  @Test
  void aPartitionerOutOfRangeFailsTheJobNamingTheStage() {
    Pipeline.Builder p = Pipeline.builder("custom-bad");
    source(p).partitionCustom(i -> i, (Integer k, int n) -> k).writeTo(Sinks.collecting("out")).setParallelism(3);
    try (PipelineTestDriver d = PipelineTestDriver.of(p.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'out (partitioner)' on record 3 after 1 attempt(s):"
          + " java.lang.IndexOutOfBoundsException: partitioner returned 3 for key 3, outside [0, 3)", e.getMessage());
    }
  }

  /** Emits (key, index of the instance that processed it). */
  static final class WhereAmI extends KeyedProcessFunction<String, String, KV<String, Integer>> {
    private int instance;

    @Override
    public void open(OpenContext ctx) {
      instance = ctx.instanceIndex();
    }

    @Override
    public void processElement(String s, Context<String> ctx, Collector<KV<String, Integer>> out) {
      out.collect(KV.of(ctx.key(), instance));
    }
  }

  /**
   * Design of this test: every key must be processed by the instance whose key-group range holds
   * the key's group, computed here without Sluice's codec: a String key is encoded as tag 6, its
   * UTF-8 length as a varint, its bytes; the group is murmur3_32 of that, masked, mod 128.
   */
  @Test
  void keyByRoutesEveryKeyToTheInstanceOwningItsKeyGroup() {
    List<String> keys = IntStream.range(0, 200).mapToObj(i -> "key-" + i).toList();
    CollectingSink<KV<String, Integer>> out = Sinks.collecting("out");
    Pipeline.Builder p = Pipeline.builder("keyed");
    p.config(JobConfig.defaults().withParallelism(3));
    p.readFrom(Sources.collection("keys", keys)).keyBy(s -> s).process("where", WhereAmI::new).writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p.build())) {
      d.run();
      List<KV<String, Integer>> results = d.results(out);
      assertEquals(keys.size(), results.size());
      int[] perInstance = new int[3];
      for (KV<String, Integer> kv : results) {
        assertEquals(expectedInstance(kv.key(), 3, 128), kv.value(), kv.key());
        perInstance[kv.value()]++;
      }
      for (int n : perInstance) {
        assertTrue(n > 40, "keys spread over the instances: " + java.util.Arrays.toString(perInstance));
      }
    }
  }

  private static int expectedInstance(String key, int parallelism, int maxParallelism) {
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    assertTrue(utf8.length < 128, "one-byte varint");
    byte[] encoded = new byte[utf8.length + 2];
    encoded[0] = 6;
    encoded[1] = (byte) utf8.length;
    System.arraycopy(utf8, 0, encoded, 2, utf8.length);
    int group = (Murmur3.hash32(encoded) & 0x7fffffff) % maxParallelism;
    return group * parallelism / maxParallelism;
  }
}
