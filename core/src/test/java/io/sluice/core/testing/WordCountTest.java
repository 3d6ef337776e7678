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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Word count, the first pipeline anyone writes, with exact expected results. */
class WordCountTest {
  private static final List<String> LINES = List.of(
      "the quick brown fox",
      "jumps over the lazy dog",
      "",
      "The dog sleeps; the fox runs",
      "fox fox fox");

  private static Pipeline wordCount(int parallelism, CollectingSink<KV<String, Long>> out) {
    Pipeline.Builder p = Pipeline.builder("word-count");
    p.config(JobConfig.defaults().withParallelism(parallelism).withBatching(2, Duration.ZERO).withSnapshotEvery(2));
    p.readFrom(Sources.collection("lines", LINES))
        .<String>flatMap((line, o) -> {
          for (String w : line.toLowerCase().split("\\W+")) {
            if (!w.isEmpty()) {
              o.collect(w);
            }
          }
        })
        .keyBy(w -> w)
        .aggregate("counts", Aggregations.counting())
        .writeTo(out);
    return p.build();
  }

  /** Every word's running count must arrive as 1, 2, ..., n: in order, once each. */
  private static Map<String, List<Long>> perWord(List<KV<String, Long>> results) {
    Map<String, List<Long>> m = new TreeMap<>();
    for (KV<String, Long> kv : results) {
      m.computeIfAbsent(kv.key(), k -> new ArrayList<>()).add(kv.value());
    }
    return m;
  }

  private static final Map<String, List<Long>> EXPECTED = new TreeMap<>(Map.ofEntries(
      Map.entry("the", List.of(1L, 2L, 3L, 4L)),
      Map.entry("quick", List.of(1L)),
      Map.entry("brown", List.of(1L)),
      Map.entry("fox", List.of(1L, 2L, 3L, 4L, 5L)),
      Map.entry("jumps", List.of(1L)),
      Map.entry("over", List.of(1L)),
      Map.entry("lazy", List.of(1L)),
      Map.entry("dog", List.of(1L, 2L)),
      Map.entry("sleeps", List.of(1L)),
      Map.entry("runs", List.of(1L))));

  @Test
  void countsEveryWordExactly() {
    for (int parallelism = 1; parallelism <= 4; parallelism++) {
      CollectingSink<KV<String, Long>> out = Sinks.collecting("out");
      try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(wordCount(parallelism, out))) {
        d.run();
        assertTrue(d.isFinished());
        assertEquals(EXPECTED, perWord(d.results(out)), "parallelism " + parallelism);
      }
    }
  }

  @Test
  void countsStayExactWhenTheCountingInstancesCrashMidRun() {
    CollectingSink<KV<String, Long>> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(wordCount(2, out))) {
      assertTrue(d.runSteps(3));
      d.crash("counts", 0).crash("counts", 1).crash("lines", 0);
      assertTrue(d.runSteps(2));
      d.crash("counts", 1).crash("out", 0).crash("lines", 1);
      d.run();
      assertTrue(d.isFinished());
      assertEquals(EXPECTED, perWord(d.results(out)));
    }
  }
}
