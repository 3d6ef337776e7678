package io.sluice.core.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import io.sluice.core.testing.PipelineTestDriver;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files of JSON objects, one per line: split like CSV, malformed lines named by file and line, written back. */
class JsonLinesTest {
  private static final Schema S = Schema.builder().column("name", DataType.STRING).column("n", DataType.INT)
      .column("price", DataType.DECIMAL).column("ts", DataType.TIMESTAMP).build();

  @TempDir
  Path dir;

  private static List<Row> rows(int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(Row.of(S, i % 7 == 0 ? null : "n\"" + i + (i % 3 == 0 ? "\nline, é" : ""), i - 50,
          BigDecimal.valueOf(i * 13L, 2), LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(i)));
    }
    return rows;
  }

  @Test
  void whatTheSinkWritesEverySplitCountReadsBackOnce() throws Exception {
    List<Row> rows = rows(300);
    JsonSink sink = Sinks.json("out", dir.resolve("out"), S, JsonFormat.defaults());
    try (SinkWriter<Row> w = sink.createWriter(FileSinkTest.context("j", 0))) {
      w.write(new BatchId(0, "up", 0, 1), rows.subList(0, 100));
      w.write(new BatchId(0, "up", 0, 2), rows.subList(100, 300));
      w.write(new BatchId(0, "up", 0, 2), rows.subList(100, 300)); // again: replaces its part
    }
    assertEquals(rows, sink.readRows(sink.jobDirectory("j")));
    Source<Row> src = Sources.json("in", sink.jobDirectory("j"), S, JsonFormat.defaults());
    for (int splits = 1; splits <= 7; splits++) {
      List<Row> got = new ArrayList<>();
      for (int s = 0; s < splits; s++) {
        try (SourceReader<Row> r = src.createReader(s, splits)) {
          while (!r.isEnd()) {
            r.read(9, got::add);
          }
        }
      }
      assertEquals(rows, got, splits + " splits");
    }
  }

  @Test
  void aMalformedLineFailsWithFileAndLineOrGoesToTheDeadLetters() throws Exception {
    Path f = dir.resolve("in.jsonl");
    Files.writeString(f, "{\"name\":\"a\",\"n\":1}\n\n{\"name\":\"b\",\"n\":\"x\"}\n[1]\n{\"name\":\"c\"\n"
        + "{\"name\":\"d\",\"n\":4,\"price\":1.50,\"ts\":\"2024-05-06 07:08:09\"}\n", StandardCharsets.UTF_8);
    Pipeline.Builder p = Pipeline.builder("json-fail");
    p.config(JobConfig.defaults().withParallelism(1).withRestartStrategy(RestartStrategy.none()));
    p.readFrom(Sources.json("in", f, S, JsonFormat.defaults())).writeTo(Sinks.collecting("out"));
    try (PipelineTestDriver d = PipelineTestDriver.of(p.build())) {
      assertEquals("job failed: stage 'in (reading split 0)' after 1 attempt(s): java.io.IOException: source 'in': "
          + f + ", line 3: field 'n': 'x' is not an INT (a whole number from -2147483648 to 2147483647)",
          assertThrows(io.sluice.core.testing.JobFailedException.class, d::run).getMessage());
    }
    CollectingSink<Row> out = Sinks.collecting("out");
    CollectingSink<DeadLetter> dead = Sinks.collecting("dead");
    Pipeline.Builder q = Pipeline.builder("json-dead");
    q.config(JobConfig.defaults().withParallelism(1).withRestartStrategy(RestartStrategy.none())
        .withDeadLetterSink(dead).withBatching(2, Duration.ZERO));
    q.readFrom(Sources.json("in", f, S, JsonFormat.defaults().onError(CsvFormat.OnError.DEAD_LETTER))).writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(q.build())) {
      d.run();
      assertTrue(d.isFinished());
      assertEquals(List.of(Row.of(S, "a", 1, null, null), Row.of(S, "d", 4, new BigDecimal("1.50"),
          LocalDateTime.of(2024, 5, 6, 7, 8, 9))), d.results(out));
      assertEquals(List.of("in.jsonl, line 3 | field 'n': 'x' is not an INT (a whole number from -2147483648 to"
              + " 2147483647)", "in.jsonl, line 4 | not a JSON object",
              "in.jsonl, line 5 | malformed JSON: Unexpected end-of-input: expected close marker for Object"),
          d.results(dead).stream().map(l -> l.record().replace(f.toString(), "in.jsonl").replaceFirst(": .*", "")
              + " | " + l.error().replace("java.lang.IllegalArgumentException: ", "").replaceFirst(
                  " \\(start marker.*", "")).toList());
    }
  }
}
