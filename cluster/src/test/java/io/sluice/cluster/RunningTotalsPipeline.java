package io.sluice.cluster;

import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.ValueState;
import io.sluice.core.dsl.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code it-running-totals}, for the cluster module's multi-process tests (the sample pipelines live
 * in a module that depends on this one): running totals per key over the deterministic
 * {@link Generator} into the exactly-once file sink, one line {@code key,seq,total} per record, and
 * the check of that output against the known right answer. Parameters: {@code keys},
 * {@code records-per-key}, {@code rate} (records/s, 0 for unlimited), {@code output} (directory).
 * Registered for the test classpath only (kept out of the module's test jar).
 */
public final class RunningTotalsPipeline implements PipelineFactory {
  public static final String NAME = "it-running-totals";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "tests: running totals per key over a generator; keys records-per-key rate output";
  }

  private static Generator generator(Parameters p) {
    return Generator.keyed(p.longValue("keys", 100), p.longValue("records-per-key", 100)).withSplits(2)
        .withRate(p.longValue("rate", 0));
  }

  @Override
  public Pipeline create(Parameters params) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(JobConfig.defaults().withParallelism(2)
        .withBatching(200, java.time.Duration.ofMillis(5)));
    p.readFrom(Sources.generator("events", generator(params)))
        .keyBy(GeneratedRecord::key)
        .process("totals", RunningTotal::new)
        .writeTo(Sinks.<String>files("out", Path.of(params.string("output", "target/it-out/" + NAME))));
    return p.build();
  }

  /** Adds each record's value to its key's total; emits "key,seq,total". */
  static final class RunningTotal extends KeyedProcessFunction<Long, GeneratedRecord, String> {
    private ValueState<Long> total;

    @Override
    public void open(OpenContext ctx) {
      total = ctx.state(StateSpec.value("total"));
    }

    @Override
    public void processElement(GeneratedRecord r, Context<Long> ctx, Collector<String> out) {
      Long before = total.value();
      long t = (before == null ? 0 : before) + r.value();
      total.update(t);
      out.collect(r.key() + "," + r.seq() + "," + t);
    }
  }

  /** Every (key, seq) of the generator exactly once, with the right total. */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    Generator g = generator(params);
    Path dir = Path.of(params.string("output", "target/it-out/" + NAME)).toAbsolutePath().resolve(jobId);
    List<String> lines = Files.isDirectory(dir) ? FileSink.readLines(dir) : List.of();
    Map<Long, Integer> seen = new HashMap<>();
    List<String> problems = new ArrayList<>();
    long duplicated = 0;
    long wrong = 0;
    for (String line : lines) {
      String[] f = line.split(",");
      long key = Long.parseLong(f[0]);
      long seq = Long.parseLong(f[1]);
      long total = Long.parseLong(f[2]);
      if (seen.merge(key * 1_000_000_007L + seq, 1, Integer::sum) > 1) {
        duplicated++;
        if (problems.size() < 10) {
          problems.add("duplicate: " + line);
        }
      } else if (key < 0 || key >= g.keys() || seq < 1 || seq > g.recordsPerKey()
          || total != Generator.sumOfFirst(key, seq)) {
        wrong++;
        if (problems.size() < 10) {
          problems.add("wrong: " + line + " (total of key " + key + " after " + seq + " records is "
              + Generator.sumOfFirst(key, seq) + ")");
        }
      }
    }
    long expected = g.keys() * g.recordsPerKey();
    long distinct = seen.size();
    long lost = expected - (distinct - wrong);
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0;
    return Optional.of(new Verdict(exact, expected, lines.size(), lost, duplicated, wrong, problems,
        String.format("%,d records expected, %,d delivered: %,d lost, %,d duplicated, %,d wrong", expected,
            lines.size(), lost, duplicated, wrong)));
  }
}
