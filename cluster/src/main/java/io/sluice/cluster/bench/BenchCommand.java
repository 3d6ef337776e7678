package io.sluice.cluster.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.CassandraCommandSupport;
import io.sluice.cluster.LocalCluster;
import io.sluice.persistence.cassandra.CassandraSecurity;
import io.sluice.persistence.cassandra.DevCassandra;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice bench <workload>}: one sample job per operator kind, with a discarding sink, on one
 * node with the dev Cassandra, exactly-once, after a warm-up job of the same kind. Prints input
 * records/s, end-to-end latency p50/p99 (source batch created → written by the sink), journal bytes
 * per input record, and the CPU seconds the node and Cassandra spent per million input records;
 * with {@code --profile}, the node's hottest methods from a Java Flight Recording.
 *
 * <p>Workloads ({@code --records} input records, {@code --keys} keys; defaults per workload):
 *
 * <ul>
 *   <li>{@code keyed-sum}: {@code keyed-totals}, a running sum per key (20,000,000 records, 100,000
 *       keys);
 *   <li>{@code word-count}: {@code word-count} over a generated text file; records are words,
 *       keys the vocabulary (20,000,000 words, 10,000 words);
 *   <li>{@code tumbling}: {@code tumbling-windows}, 10 s windows, count and sum (5,000,000, 10,000);
 *   <li>{@code sliding}: {@code sliding-windows}, 30 s windows every 10 s (2,000,000, 10,000);
 *   <li>{@code session}: {@code click-sessions}; records are generator records (5 per session slot,
 *       3 clicks on average), keys are users (5,000,000, 10,000);
 *   <li>{@code process}: {@code process-state}, list, map and TTL state with event-time timers
 *       (5,000,000, 10,000).
 * </ul>
 *
 * An input record is what the job's first keyed step consumes per unit of work: a generator record,
 * or a word of the text; its journal bytes and CPU are divided by those, never by output records
 * (a window job emits far fewer).
 */
@Command(name = "bench", description = "Benchmark one operator kind (keyed-sum, word-count, tumbling, sliding,"
    + " session, process) on one node with Cassandra.")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "JOB", description = "the benchmark: keyed-sum, word-count, tumbling,"
      + " sliding, session or process")
  String job;

  @Option(names = "--records", description = "input records to process (default: keyed-sum and word-count 20000000,"
      + " sliding 2000000, others 5000000)")
  Long recordsOption;

  @Option(names = "--keys", description = "distinct keys: keys, words of the vocabulary, or users (default:"
      + " keyed-sum 100000, others 10000)")
  Long keysOption;

  @Option(names = "--parallelism", description = "instances per operator (default ${DEFAULT-VALUE})")
  int parallelism = 2;

  @Option(names = "--param", description = "extra job parameter name=value (e.g. batch-size=2000)")
  List<String> extra = new ArrayList<>();

  @Option(names = "--node-heap", description = "heap of the node JVM (default ${DEFAULT-VALUE})")
  String heap = "2g";

  @Option(names = "--profile", description = "record the node with Java Flight Recorder and print its hot spots")
  boolean profile;

  @Option(names = "--warmup", description = "records of the warm-up job (default ${DEFAULT-VALUE}; 0: none)")
  long warmup = 2_000_000;

  /**
   * A benchmark: which pipeline, its parameters for {@code records} input records over {@code keys}
   * keys, and how to count its input records in a job's status.
   *
   * @param name the workload's name on the command line
   * @param pipeline the sample pipeline it submits
   * @param unit what an input record is, for the output
   * @param inputOperator the operator whose records-in are the input records; null: the sinks'
   *     records (keyed-sum, where every input record makes one output record)
   * @param defaultRecords default {@code --records}
   * @param defaultKeys default {@code --keys}
   * @param recordsPerKeyUnit {@code --records} must be a multiple of {@code --keys} times this
   */
  record Workload(String name, String pipeline, String unit, String inputOperator, long defaultRecords,
      long defaultKeys, long recordsPerKeyUnit) {
    /** The job's parameters, without parallelism and the extra {@code --param}s. */
    Map<String, String> params(long keys, long records, Path wordsFile) {
      Map<String, String> p = new LinkedHashMap<>();
      long perKey = records / keys;
      switch (name) {
        case "word-count" -> p.put("input", wordsFile.toString());
        case "session" -> {
          p.put("users", Long.toString(keys));
          p.put("sessions-per-user", Long.toString(perKey / 5));
        }
        default -> {
          p.put("keys", Long.toString(keys));
          p.put("records-per-key", Long.toString(perKey));
        }
      }
      p.put("discard", "true");
      return p;
    }
  }

  static final List<Workload> WORKLOADS = List.of(
      new Workload("keyed-sum", "keyed-totals", "records", null, 20_000_000, 100_000, 1),
      new Workload("word-count", "word-count", "words", "counts", 20_000_000, 10_000, 1),
      new Workload("tumbling", "tumbling-windows", "records", "events", 5_000_000, 10_000, 1),
      new Workload("sliding", "sliding-windows", "records", "events", 2_000_000, 10_000, 1),
      new Workload("session", "click-sessions", "records", "generator", 5_000_000, 10_000, 5),
      new Workload("process", "process-state", "records", "events", 5_000_000, 10_000, 1));

  static Workload workload(String name) {
    for (Workload w : WORKLOADS) {
      if (w.name().equals(name)) {
        return w;
      }
    }
    return null;
  }

  private Workload workload;
  private long records;
  private long keys;
  private Path wordsDir;

  @Override
  public Integer call() throws Exception {
    workload = workload(job);
    if (workload == null) {
      System.err.println("sluice: unknown benchmark '" + job + "'; known: "
          + WORKLOADS.stream().map(Workload::name).toList());
      return 2;
    }
    records = recordsOption != null ? recordsOption : workload.defaultRecords();
    keys = keysOption != null ? keysOption : workload.defaultKeys();
    if (records < 1 || keys < 1) {
      System.err.println("sluice: --records and --keys must be positive");
      return 2;
    }
    if (records % (keys * workload.recordsPerKeyUnit()) != 0) {
      System.err.println("sluice: --records must be a multiple of --keys"
          + (workload.recordsPerKeyUnit() > 1 ? " times " + workload.recordsPerKeyUnit() + " (" + workload.name()
              + ": " + workload.recordsPerKeyUnit() + " generator records per session)" : ""));
      return 2;
    }
    Path home = DevCassandra.home();
    DevCassandra cassandra = CassandraCommandSupport.devCassandra(null);
    String keyspace = "sluice_bench_" + Long.toString(System.currentTimeMillis(), 36);
    Path dir = home.resolve("data/bench");
    Files.createDirectories(dir);
    wordsDir = dir;
    Path jfr = dir.resolve("node-1.jfr");
    Files.deleteIfExists(jfr);
    List<String> flags = new ArrayList<>(List.of("-Xms" + heap, "-Xmx" + heap, "-Dsluice.cassandra.keyspace=" + keyspace));
    if (profile) {
      flags.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
    }
    // the keyspace is dropped before the lease may stop the Cassandra it started
    CassandraCommandSupport.Lease lease = CassandraCommandSupport.serving(cassandra);
    try (LocalCluster cluster = new LocalCluster(home, List.of(Path.of("conf/node-1.conf")), flags, dir)) {
      cluster.start(0);
      if (!cluster.awaitReady(0, Duration.ofSeconds(180))) {
        System.err.println("the node did not become ready:\n" + cluster.tail(0, 40));
        return 1;
      }
      System.out.printf("machine: %d CPUs, %s; node heap %s; keyspace %s%n", Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), heap, keyspace);
      if (warmup > 0) {
        long unit = workload.recordsPerKeyUnit();
        long wk = Math.max(1, Math.min(keys, warmup / unit));
        long wr = Math.max(1, warmup / (wk * unit)) * wk * unit;
        System.out.printf("warm-up: %,d %s ...%n", wr, workload.unit());
        run(cluster, wk, wr, false);
      }
      long nodePid = cluster.node(0).process().orElseThrow().pid();
      long cassPid = cassandra.status().pid();
      Duration node0 = cpu(nodePid);
      long[] machine0 = machineCounters();
      Duration cass0 = cassPid > 0 ? cpu(cassPid) : Duration.ZERO;
      String m0 = cluster.getText(0, "/metrics").orElseThrow();
      if (workload.name().equals("keyed-sum")) {
        System.out.printf("keyed-sum: %,d records, %,d keys, parallelism %d, exactly-once, discarding sink %s%n",
            records, keys, parallelism, extra);
      } else {
        System.out.printf("%s (%s): %,d input %s, %,d %s, parallelism %d, exactly-once, discarding sink %s%n",
            workload.name(), workload.pipeline(), records, workload.unit(), keys,
            workload.name().equals("word-count") ? "words of vocabulary" : workload.name().equals("session") ? "users"
                : "keys", parallelism, extra);
      }
      Result r = run(cluster, keys, records, true);
      Duration nodeCpu = cpu(nodePid).minus(node0);
      Duration cassCpu = cassPid > 0 ? cpu(cassPid).minus(cass0) : Duration.ZERO;
      String m1 = cluster.getText(0, "/metrics").orElseThrow();
      long[] machine1 = machineCounters();
      long eventBytes = delta(m0, m1, "sluice_journal_event_bytes_total");
      long bodyBytes = delta(m0, m1, "sluice_journal_event_body_bytes_total");
      long events = delta(m0, m1, "sluice_journal_events_total");
      long snapBytes = delta(m0, m1, "sluice_snapshot_bytes_total");
      System.out.println();
      if (workload.name().equals("keyed-sum")) {
        System.out.printf("events/s (first record to last):  %,.0f%n", r.records / r.seconds);
        System.out.printf("steady rate (median of 1 s windows): %,.0f%n", r.medianRate);
        System.out.printf("end-to-end latency: p50 %.0f ms, p99 %.0f ms (%,d sink batches)%n", r.p50, r.p99, r.samples);
        System.out.printf("journal: %,d events, %.1f bytes/record (events as stored; %.1f before compression),"
            + " %.1f bytes/record (snapshots), %.0f records/event%n", events, (double) eventBytes / r.records,
            (double) bodyBytes / r.records, (double) snapBytes / r.records, (double) r.records / Math.max(1, events));
        System.out.printf("CPU per million records: node %.2f s, Cassandra %.2f s (wall %.2f s; 2 cores = %.2f core-s)%n",
            nodeCpu.toMillis() / 1000.0 / (r.records / 1e6), cassCpu.toMillis() / 1000.0 / (r.records / 1e6),
            r.seconds / (r.records / 1e6), 2 * r.seconds / (r.records / 1e6));
      } else {
        String u = workload.unit();
        String one = u.substring(0, u.length() - 1);
        System.out.printf("input %s/s (first record read to job end): %,.0f%n", u, r.records / r.seconds);
        System.out.printf("steady rate (median of 1 s windows): %,.0f%n", r.medianRate);
        System.out.printf("end-to-end latency: p50 %.0f ms, p99 %.0f ms (%,d sink batches; %s)%n", r.p50, r.p99,
            r.samples, workload.name().matches("tumbling|sliding|session|process")
                ? "results wait for the watermark: this includes window/timer time" : "per running result");
        System.out.printf("journal: %,d events, %.1f bytes/input %s (events as stored; %.1f before compression),"
            + " %.1f bytes/input %s (snapshots), %.0f input %s/event%n", events, (double) eventBytes / r.records, one,
            (double) bodyBytes / r.records, (double) snapBytes / r.records, one, (double) r.records / Math.max(1, events),
            u);
        System.out.printf("output: %,d records at the sinks (%.3f per input %s)%n", r.sinkRecords,
            (double) r.sinkRecords / r.records, one);
        System.out.printf("CPU per million input %s: node %.2f s, Cassandra %.2f s (wall %.2f s; 2 cores = %.2f"
            + " core-s)%n", u, nodeCpu.toMillis() / 1000.0 / (r.records / 1e6),
            cassCpu.toMillis() / 1000.0 / (r.records / 1e6), r.seconds / (r.records / 1e6),
            2 * r.seconds / (r.records / 1e6));
      }
      printMachine(machine0, machine1, r.seconds);
      if (profile) {
        cluster.node(0).process().orElseThrow().stop(Duration.ofSeconds(60));
        printProfile(jfr);
      }
    } finally {
      dropKeyspace(cassandra, keyspace);
      lease.close();
    }
    return 0;
  }

  private record Result(long records, double seconds, double medianRate, double p50, double p99, long samples,
      long sinkRecords) {}

  /** Input records so far, as the workload counts them. */
  private long inputRecords(JsonNode view) {
    if (workload.inputOperator() == null) {
      return view.path("sinkRecords").asLong();
    }
    for (JsonNode op : view.path("operators")) {
      if (workload.inputOperator().equals(op.path("name").asText())) {
        return op.path("recordsIn").asLong();
      }
    }
    return 0;
  }

  /** The word-count input: {@code words} words drawn from {@code vocabulary} words, 10 per line; made once. */
  static Path wordsFile(Path dir, long words, long vocabulary) throws java.io.IOException {
    Path f = dir.resolve("words-" + words + "-" + vocabulary + ".txt");
    if (Files.exists(f)) {
      return f;
    }
    String[] vocab = new String[(int) vocabulary];
    for (int i = 0; i < vocab.length; i++) {
      StringBuilder w = new StringBuilder();
      long n = i;
      do {
        w.append((char) ('a' + n % 26));
        n /= 26;
      } while (n > 0);
      while (w.length() < 3) {
        w.append('x');
      }
      vocab[i] = w.toString();
    }
    Path tmp = dir.resolve(f.getFileName() + ".tmp");
    long x = 42;
    try (java.io.BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      for (long i = 0; i < words; i++) {
        x = x * 6364136223846793005L + 1442695040888963407L; // a fixed sequence: the same file every time
        out.write(vocab[(int) Long.remainderUnsigned(x >>> 17, vocabulary)]);
        out.write(i % 10 == 9 || i == words - 1 ? '\n' : ' ');
      }
    }
    Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return f;
  }

  private Result run(LocalCluster cluster, long keys, long total, boolean print) throws java.io.IOException {
    Path words = workload.name().equals("word-count") ? wordsFile(wordsDir, total, keys) : null;
    Map<String, String> params = workload.params(keys, total, words);
    params.put("parallelism", Integer.toString(parallelism));
    params.putAll(io.sluice.core.dsl.Parameters.parse(extra).asMap());
    JsonNode sub = cluster.post(0, "/jobs", Map.of("pipeline", workload.pipeline(), "parameters", params))
        .orElseThrow();
    if (sub.path("httpStatus").asInt() != 201) {
      throw new IllegalStateException("submission failed: " + sub.path("error").asText());
    }
    String jobId = sub.path("jobId").asText();
    long first = 0;
    List<long[]> samples = new ArrayList<>();
    JsonNode view;
    while (true) {
      view = cluster.get(0, "/jobs/" + jobId).orElseThrow();
      long now = System.nanoTime();
      long n = inputRecords(view);
      // keyed-sum: from the first record at the sinks; the others: from the first record read
      long started = workload.inputOperator() == null ? n : view.path("operators").path(0).path("recordsIn").asLong();
      if (started > 0 && first == 0) {
        first = now;
      }
      samples.add(new long[] {now, n});
      if (print) {
        System.out.printf("\r  %,d / %,d %s", n, total, workload.unit());
      }
      String status = view.path("status").asText();
      if (!"RUNNING".equals(status)) {
        if (!"FINISHED".equals(status)) {
          throw new IllegalStateException("job " + jobId + " ended " + status + ": " + view.path("failedError").asText());
        }
        break;
      }
      LockSupport.parkNanos(250_000_000L);
    }
    long end = System.nanoTime();
    List<Double> rates = new ArrayList<>();
    for (int i = 0, j = 0; i < samples.size(); i++) {
      while (j < samples.size() && samples.get(j)[0] - samples.get(i)[0] < 1_000_000_000L) {
        j++;
      }
      if (j < samples.size() && samples.get(i)[1] > 0 && samples.get(j)[1] < total) {
        rates.add((samples.get(j)[1] - samples.get(i)[1]) * 1e9 / (samples.get(j)[0] - samples.get(i)[0]));
      }
    }
    rates.sort(Double::compare);
    double median = rates.isEmpty() ? 0 : rates.get(rates.size() / 2);
    return new Result(total, (end - first) / 1e9, median, view.path("latencyP50Millis").asDouble(),
        view.path("latencyP99Millis").asDouble(), view.path("latencySamples").asLong(),
        view.path("sinkRecords").asLong());
  }

  /** How much a counter of a node's {@code /metrics} grew between two scrapes. */
  private static long delta(String before, String after, String counter) {
    return Math.round(LocalCluster.metric(after, counter) - LocalCluster.metric(before, counter));
  }

  /**
   * What else the machine did meanwhile, so that a slow day shows in the output: the share of the
   * run in which some task waited for I/O ({@code /proc/pressure/io}, "some"), and the CPU time the
   * hypervisor gave to others (steal, {@code /proc/stat}). Figures are only comparable between runs
   * that saw about the same.
   */
  private static void printMachine(long[] before, long[] after, double seconds) {
    if (before == null || after == null || seconds <= 0) {
      return;
    }
    double ioWait = (after[0] - before[0]) / 1e6 / seconds;
    double steal = (after[1] - before[1]) / 100.0 / seconds; // clock ticks of 10 ms, over all CPUs
    System.out.printf("machine meanwhile: I/O pressure %.0f %% of the time (some task waited), CPU steal %.2f"
        + " core-s per second%n", 100 * ioWait, steal);
  }

  /** {@code /proc/pressure/io} "some" total (microseconds) and {@code /proc/stat} steal (ticks); null if unreadable. */
  private static long[] machineCounters() {
    try {
      long io = 0;
      for (String line : Files.readAllLines(Path.of("/proc/pressure/io"))) {
        if (line.startsWith("some ")) {
          io = Long.parseLong(line.substring(line.indexOf("total=") + 6).trim());
        }
      }
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      return new long[] {io, cpu.length > 8 ? Long.parseLong(cpu[8]) : 0};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Duration cpu(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
  }

  private static void dropKeyspace(DevCassandra cassandra, String keyspace) {
    if (!cassandra.servesCql()) {
      return;
    }
    try (CqlSession s = CassandraSecurity.NONE.sessionBuilder(List.of(cassandra.settings().host() + ":"
        + cassandra.settings().cqlPort()), "datacenter1").build()) {
      s.execute(SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + keyspace).setTimeout(Duration.ofSeconds(60)));
    } catch (RuntimeException e) {
      System.err.println("could not drop keyspace " + keyspace + ": " + e.getMessage());
    }
  }

  /** The hottest methods (top frames of execution samples) and packages of the recording. */
  static void printProfile(Path jfr) throws IOException, InterruptedException {
    if (!Files.exists(jfr)) {
      System.err.println("no flight recording at " + jfr);
      return;
    }
    Path tool = Path.of(System.getProperty("java.home"), "bin", "jfr");
    Process p = new ProcessBuilder(tool.toString(), "print", "--events", "jdk.ExecutionSample", jfr.toString())
        .redirectErrorStream(true).start();
    Map<String, Integer> methods = new HashMap<>();
    Map<String, Integer> packages = new HashMap<>();
    int total = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      boolean next = false;
      while ((line = r.readLine()) != null) {
        if (line.contains("stackTrace = [")) {
          next = true;
        } else if (next) {
          next = false;
          String frame = line.trim().replaceAll("\\s+line:.*$", "").replaceAll("\\(.*$", "");
          methods.merge(frame, 1, Integer::sum);
          packages.merge(group(frame), 1, Integer::sum);
          total++;
        }
      }
    }
    p.waitFor();
    System.out.printf("%nprofile of the node (%,d execution samples, top frames):%n", total);
    print(packages, total, 12);
    System.out.println("hottest methods:");
    print(methods, total, 25);
  }

  private static String group(String frame) {
    for (String prefix : List.of("io.sluice.core.internal.codec", "io.sluice.core.internal.exec", "io.sluice.core",
        "io.sluice.persistence", "io.sluice", "org.apache.pekko.persistence.cassandra", "org.apache.pekko.stream",
        "org.apache.pekko.persistence", "org.apache.pekko", "com.datastax", "io.netty", "com.fasterxml",
        "java.util.concurrent", "java.util", "java.lang", "jdk.internal", "sun.nio", "scala")) {
      if (frame.startsWith(prefix)) {
        return prefix;
      }
    }
    return "other";
  }

  private static void print(Map<String, Integer> counts, int total, int top) {
    counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(top)
        .forEach(e -> System.out.printf("  %5.1f %%  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getKey()));
  }

}
