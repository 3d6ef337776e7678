package io.sluice.samples.bench;

import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.testing.PipelineTestDriver;
import io.sluice.samples.KeyedTotals;
import io.sluice.samples.WordCount;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Throughput of the operator logic alone: whole pipelines on the single-threaded
 * {@link PipelineTestDriver}, so one core, no actors, no journal, no network. What it measures is
 * the cost of sources, chains, key partitioning, keyed state, change logs and snapshots per record
 * (the records themselves are handed from instance to instance as objects, not encoded).
 *
 * <ul>
 *   <li>{@code keyed}: the {@link KeyedTotals keyed-totals} pipeline, a running sum per key over
 *       the generator ({@code records} records over {@code keys} keys) into a discarding sink;
 *   <li>{@code words}: the {@link WordCount word-count} pipeline over a generated text of
 *       {@code text-mib} MiB from a {@code vocabulary}-word vocabulary (words drawn uniformly,
 *       about 9 to a line) into a discarding sink; the text is written once to {@code text}.
 * </ul>
 *
 * Each scenario runs for every {@code snapshot-every} value (steps between snapshots), with
 * {@code warmup} unmeasured runs first, then {@code iterations} measured ones; it prints each run
 * and the median.
 *
 * <pre>
 * java -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -Xmx4g -cp ... \
 *   io.sluice.samples.bench.LogicBench scenario=all records=20000000 keys=100000 text-mib=200 \
 *   snapshot-every=1000000,1000 warmup=1 iterations=5
 * </pre>
 */
public final class LogicBench {
  private LogicBench() {}

  public static void main(String[] args) throws IOException {
    Parameters p = Parameters.parse(Arrays.asList(args));
    String scenario = p.string("scenario", "all");
    long records = p.longValue("records", 20_000_000);
    long keys = p.longValue("keys", 100_000);
    int textMib = p.intValue("text-mib", 200);
    int vocabulary = p.intValue("vocabulary", 10_000);
    int warmup = p.intValue("warmup", 1);
    int iterations = p.intValue("iterations", 5);
    int parallelism = p.intValue("parallelism", 1);
    int batch = p.intValue("batch", 1000);
    Path text = Path.of(p.string("text", System.getProperty("java.io.tmpdir") + "/sluice-bench-words-" + textMib
        + "mib-" + vocabulary + ".txt"));
    List<Integer> snapshotEvery = new ArrayList<>();
    for (String s : p.string("snapshot-every", "1000000,1000").split(",")) {
      snapshotEvery.add(Integer.parseInt(s.trim()));
    }
    System.out.printf(Locale.ROOT, "LogicBench: %s, %d cpus, load average %.2f, max heap %d MiB, %s%n",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().maxMemory() >> 20, p);

    if (scenario.equals("all") || scenario.equals("keyed")) {
      long perKey = records / keys;
      Generator g = Generator.keyed(keys, perKey).withSplits(parallelism);
      for (int se : snapshotEvery) {
        JobConfig config = config(parallelism, batch, se);
        String name = "keyed-sum  keys=" + keys + " snapshotEvery=" + se;
        run(name, warmup, iterations, g.totalRecords(), "records", () -> KeyedTotals.pipeline(g, config,
            Sinks.discarding("out")));
      }
    }
    if (scenario.equals("bytes")) {
      // journal bytes per input record of every operator kind, by operator (no timing)
      long perKey = records / keys;
      String[][] kinds = {
          {"keyed-totals", "keys", "records-per-key"},
          {"tumbling-windows", "keys", "records-per-key"},
          {"sliding-windows", "keys", "records-per-key"},
          {"click-sessions", "users", "sessions-per-user"},
          {"process-state", "keys", "records-per-key"}};
      for (String[] k : kinds) {
        if (!p.string("kinds", "all").equals("all") && !List.of(p.string("kinds", "").split(",")).contains(k[0])) {
          continue;
        }
        long per = k[0].equals("click-sessions") ? Math.max(1, perKey / 5) : perKey;
        long inputs = k[0].equals("click-sessions") ? keys * per * 5 : keys * per;
        Parameters params = Parameters.parse(List.of(k[1] + "=" + keys, k[2] + "=" + per, "discard=true",
            "parallelism=" + parallelism, "batch-size=" + batch));
        bytes(k[0], params, inputs);
      }
      return;
    }
    if (scenario.equals("all") || scenario.equals("words")) {
      long words = ensureText(text, (long) textMib << 20, vocabulary);
      for (int se : snapshotEvery) {
        JobConfig config = config(parallelism, batch, se);
        String name = "word-count " + textMib + "MiB vocabulary=" + vocabulary + " snapshotEvery=" + se;
        run(name, warmup, iterations, words, "words", () -> WordCount.pipeline(text, config,
            Sinks.discarding("out")));
      }
    }
  }

  private static void bytes(String factory, Parameters params, long inputs) {
    io.sluice.core.dsl.PipelineFactory f = java.util.ServiceLoader.load(io.sluice.core.dsl.PipelineFactory.class)
        .stream().map(java.util.ServiceLoader.Provider::get).filter(x -> x.name().equals(factory)).findFirst()
        .orElseThrow();
    try (PipelineTestDriver d = PipelineTestDriver.of(f.create(params))) {
      d.run();
      if (!d.isFinished()) {
        throw new IllegalStateException(factory + ": the job did not finish");
      }
      StringBuilder by = new StringBuilder();
      d.journalBytesByOperator().forEach((op, b) -> by.append(String.format(Locale.ROOT, " %s %.1f", op,
          (double) b / inputs)));
      System.out.printf(Locale.ROOT, "%-18s %,d input records, %,d events: %.1f journal bytes per record (%s)%n",
          factory, inputs, d.journalEvents(), (double) d.journalBytes() / inputs, by.toString().trim());
    }
  }

  private static JobConfig config(int parallelism, int batch, int snapshotEvery) {
    return JobConfig.defaults().withParallelism(parallelism).withSnapshotEvery(snapshotEvery)
        .withBatching(batch, JobConfig.defaults().batchLinger());
  }

  private interface PipelineMaker {
    Pipeline make();
  }

  private static void run(String name, int warmup, int iterations, long units, String unit, PipelineMaker maker) {
    double[] rates = new double[iterations];
    for (int i = -warmup; i < iterations; i++) {
      System.gc();
      long steps;
      long t0 = System.nanoTime();
      try (PipelineTestDriver d = PipelineTestDriver.of(maker.make())) {
        d.run();
        if (!d.isFinished()) {
          throw new IllegalStateException(name + ": the job did not finish");
        }
        steps = d.steps();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double rate = units / secs;
      System.out.printf(Locale.ROOT, "%-60s %s %2d: %,d %s in %6.2f s = %6.3f M %s/s (%,d steps)%n", name,
          i < 0 ? "warmup" : "run   ", i < 0 ? -i : i + 1, units, unit, secs, rate / 1e6, unit, steps);
      if (i >= 0) {
        rates[i] = rate;
      }
    }
    double[] sorted = rates.clone();
    Arrays.sort(sorted);
    double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    System.out.printf(Locale.ROOT, "%-60s median %6.3f M %s/s (min %.3f, max %.3f)%n", name, median / 1e6, unit,
        sorted[0] / 1e6, sorted[sorted.length - 1] / 1e6);
  }

  /** Writes the text once (deterministic for the size and vocabulary) and returns its number of words. */
  static long ensureText(Path file, long bytes, int vocabulary) throws IOException {
    Path count = file.resolveSibling(file.getFileName() + ".words");
    if (Files.isRegularFile(file) && Files.isRegularFile(count)) {
      return Long.parseLong(Files.readString(count).trim());
    }
    SplittableRandom rnd = new SplittableRandom(42);
    Set<String> vocab = new LinkedHashSet<>();
    while (vocab.size() < vocabulary) {
      int len = 2 + rnd.nextInt(11);
      char[] c = new char[len];
      for (int i = 0; i < len; i++) {
        c[i] = (char) ('a' + rnd.nextInt(26));
      }
      vocab.add(new String(c));
    }
    String[] words = vocab.toArray(new String[0]);
    long written = 0;
    long n = 0;
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      StringBuilder line = new StringBuilder();
      while (written < bytes) {
        line.setLength(0);
        int k = 4 + rnd.nextInt(11);
        for (int i = 0; i < k; i++) {
          if (i > 0) {
            line.append(' ');
          }
          line.append(words[rnd.nextInt(words.length)]);
        }
        line.append('\n');
        w.append(line);
        written += line.length();
        n += k;
      }
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(count, Long.toString(n));
    return n;
  }
}
