package io.sluice.cluster.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.CassandraCommandSupport;
import io.sluice.cluster.LocalCluster;
import io.sluice.persistence.cassandra.DevCassandra;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
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
 * {@code sluice bench keyed-sum}: the keyed running-sum job ({@code keyed-totals} with a discarding
 * sink) on one node with the dev Cassandra, exactly-once, after a warm-up job. Prints events/s,
 * end-to-end latency p50/p99 (source batch created → written by the sink), journal bytes per
 * record, and the CPU seconds the node and Cassandra spent per million records; with
 * {@code --profile}, the node's hottest methods from a Java Flight Recording.
 */
@Command(name = "bench", description = "Benchmark the keyed running-sum job on one node with Cassandra.")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "JOB", description = "the benchmark: keyed-sum")
  String job;

  @Option(names = "--records", description = "records to process (default ${DEFAULT-VALUE})")
  long records = 20_000_000;

  @Option(names = "--keys", description = "distinct keys (default ${DEFAULT-VALUE})")
  long keys = 100_000;

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

  @Override
  public Integer call() throws Exception {
    if (!"keyed-sum".equals(job)) {
      System.err.println("sluice: unknown benchmark '" + job + "'; known: keyed-sum");
      return 2;
    }
    if (records % keys != 0) {
      System.err.println("sluice: --records must be a multiple of --keys");
      return 2;
    }
    Path home = DevCassandra.home();
    DevCassandra cassandra = CassandraCommandSupport.devCassandra(null);
    String keyspace = "sluice_bench_" + Long.toString(System.currentTimeMillis(), 36);
    Path dir = home.resolve("data/bench");
    Files.createDirectories(dir);
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
        long wk = Math.min(keys, warmup);
        System.out.printf("warm-up: %,d records ...%n", warmup / wk * wk);
        run(cluster, wk, warmup / wk, false);
      }
      long nodePid = cluster.node(0).process().orElseThrow().pid();
      long cassPid = cassandra.status().pid();
      Duration node0 = cpu(nodePid);
      Duration cass0 = cassPid > 0 ? cpu(cassPid) : Duration.ZERO;
      JsonNode m0 = cluster.get(0, "/metrics").orElseThrow();
      System.out.printf("keyed-sum: %,d records, %,d keys, parallelism %d, exactly-once, discarding sink %s%n",
          records, keys, parallelism, extra);
      Result r = run(cluster, keys, records / keys, true);
      Duration nodeCpu = cpu(nodePid).minus(node0);
      Duration cassCpu = cassPid > 0 ? cpu(cassPid).minus(cass0) : Duration.ZERO;
      JsonNode m1 = cluster.get(0, "/metrics").orElseThrow();
      long eventBytes = m1.path("journalEventBytes").asLong() - m0.path("journalEventBytes").asLong();
      long events = m1.path("journalEvents").asLong() - m0.path("journalEvents").asLong();
      long snapBytes = m1.path("snapshotBytes").asLong() - m0.path("snapshotBytes").asLong();
      System.out.println();
      System.out.printf("events/s (first record to last):  %,.0f%n", r.records / r.seconds);
      System.out.printf("steady rate (median of 1 s windows): %,.0f%n", r.medianRate);
      System.out.printf("end-to-end latency: p50 %.0f ms, p99 %.0f ms (%,d sink batches)%n", r.p50, r.p99, r.samples);
      System.out.printf("journal: %,d events, %.1f bytes/record (events), %.1f bytes/record (snapshots), %.0f records/event%n",
          events, (double) eventBytes / r.records, (double) snapBytes / r.records, (double) r.records / Math.max(1, events));
      System.out.printf("CPU per million records: node %.2f s, Cassandra %.2f s (wall %.2f s; 2 cores = %.2f core-s)%n",
          nodeCpu.toMillis() / 1000.0 / (r.records / 1e6), cassCpu.toMillis() / 1000.0 / (r.records / 1e6),
          r.seconds / (r.records / 1e6), 2 * r.seconds / (r.records / 1e6));
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

  private record Result(long records, double seconds, double medianRate, double p50, double p99, long samples) {}

  private Result run(LocalCluster cluster, long keys, long perKey, boolean print) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("keys", Long.toString(keys));
    params.put("records-per-key", Long.toString(perKey));
    params.put("parallelism", Integer.toString(parallelism));
    params.put("discard", "true");
    params.putAll(io.sluice.core.dsl.Parameters.parse(extra).asMap());
    JsonNode sub = cluster.post(0, "/jobs", Map.of("pipeline", "keyed-totals", "parameters", params)).orElseThrow();
    if (sub.path("httpStatus").asInt() != 201) {
      throw new IllegalStateException("submission failed: " + sub.path("error").asText());
    }
    String jobId = sub.path("jobId").asText();
    long total = keys * perKey;
    long first = 0;
    List<long[]> samples = new ArrayList<>();
    JsonNode view;
    while (true) {
      view = cluster.get(0, "/jobs/" + jobId).orElseThrow();
      long now = System.nanoTime();
      long n = view.path("sinkRecords").asLong();
      if (n > 0 && first == 0) {
        first = now;
      }
      samples.add(new long[] {now, n});
      if (print) {
        System.out.printf("\r  %,d / %,d records", n, total);
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
        view.path("latencyP99Millis").asDouble(), view.path("latencySamples").asLong());
  }

  private static Duration cpu(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
  }

  private static void dropKeyspace(DevCassandra cassandra, String keyspace) {
    if (!cassandra.servesCql()) {
      return;
    }
    try (CqlSession s = CqlSession.builder().addContactPoint(new InetSocketAddress(cassandra.settings().host(),
        cassandra.settings().cqlPort())).withLocalDatacenter("datacenter1").build()) {
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
