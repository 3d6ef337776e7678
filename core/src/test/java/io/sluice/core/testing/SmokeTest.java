package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Pipeline;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void wordCount() {
    CollectingSink<KV<String, Long>> out = Sinks.collecting("out");
    Pipeline.Builder p = Pipeline.builder("wc");
    p.readFrom(Sources.collection("lines", List.of("a b c", "a b", "a")))
        .<String>flatMap((line, o) -> {
          for (String w : line.split(" ")) {
            o.collect(w);
          }
        })
        .keyBy(w -> w)
        .aggregate("counts", Aggregations.counting())
        .writeTo(out);
    Pipeline pipeline = p.build();
    System.out.println(pipeline.describe());
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline)) {
      d.run();
      assertTrue(d.isFinished());
      Map<String, Long> last = new HashMap<>();
      for (KV<String, Long> kv : d.results(out)) {
        last.put(kv.key(), kv.value());
      }
      assertEquals(Map.of("a", 3L, "b", 2L, "c", 1L), last);
    }
  }
}
