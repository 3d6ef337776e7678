package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.exec.ExecContext;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.OutputBatch;
import io.sluice.core.internal.exec.StepResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A step whose outputs outgrow the batch size (a flatMap that multiplies records) sends them as
 * several batches per channel, none larger than the batch size: a batch must fit a network frame.
 */
class OutputSplittingTest {
  private static Pipeline pipeline(CollectingSink<KV<String, Long>> out) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      StringBuilder sb = new StringBuilder();
      for (int w = 0; w < 40; w++) {
        sb.append("w").append((i * 7 + w) % 13).append(' ');
      }
      lines.add(sb.toString());
    }
    Pipeline.Builder p = Pipeline.builder("split").config(JobConfig.defaults().withParallelism(2)
        .withBatching(10, Duration.ofMillis(1)));
    p.readFrom(Sources.collection("lines", lines))
        .<String>flatMap((l, o) -> {
          for (String w : l.trim().split(" ")) {
            o.collect(w);
          }
        })
        .keyBy(w -> w)
        .aggregate("counts", Aggregations.counting())
        .writeTo(out);
    return p.build();
  }

  @Test
  void whenAStepProducesMoreThanTheBatchSize_thenItsOutputIsSplitIntoBatchesOfAtMostTheBatchSize() {
    CollectingSink<KV<String, Long>> out = Sinks.collecting("out");
    Pipeline p = pipeline(out);
    ExecContext ctx = ExecContext.of("split-1", PipelineImpl.physical(p));
    OperatorInstance source = OperatorInstance.create(ctx, 0, 0);
    StepResult r = source.emit(0, 1);
    assertTrue(r.recordsOut() > 10, "the step multiplied its records: " + r.recordsOut());
    Map<Integer, Integer> perChannel = new HashMap<>();
    for (OutputBatch b : r.outputs()) {
      assertTrue(b.records().size() <= 10, "a batch of " + b.records().size() + " records");
      perChannel.merge(b.channel(), 1, Integer::sum);
    }
    assertTrue(perChannel.values().stream().anyMatch(n -> n > 1), "some channel got several batches");
  }

  @Test
  void whenOutputsAreSplit_thenResultsStayExactWithRecoveryChecksAndCrashes() {
    CollectingSink<KV<String, Long>> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(out))) {
      d.runSteps(5);
      d.crash("lines", 0).crash("counts", 1);
      d.run();
      assertTrue(d.isFinished());
      Map<String, Long> last = new HashMap<>();
      for (KV<String, Long> kv : d.results(out)) {
        last.merge(kv.key(), kv.value(), Math::max);
      }
      assertEquals(13, last.size());
      assertEquals(30 * 40, last.values().stream().mapToLong(Long::longValue).sum());
    }
  }
}
