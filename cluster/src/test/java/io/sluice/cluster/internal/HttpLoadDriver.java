package io.sluice.cluster.internal;

import com.sun.management.OperatingSystemMXBean;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The load the dashboard puts on a node's {@link HttpApi}, measured from outside: not a test, a
 * main class to run by hand when the HTTP server changes.
 *
 * <p>Design: the server runs in a JVM of its own (started by this class with {@code server}), so
 * that its CPU time, heap and threads are not mixed with the clients'. Like a node, that JVM has an
 * actor system besides the router. Its routes answer like a node's: ~5 KB of JSON built per request
 * (jobs, a job, its instances, the cluster), ~100 KB of Prometheus text (/metrics), a jar upload
 * that hashes up to 64 MiB. After 30 s of warm-up (as phase 2, not measured), phase 1 (60 s): 3
 * dashboards, each polling its 4 endpoints together once a second, a /metrics scrape every 5 s, and
 * one 20 MiB upload after 10 s. Phase 2: 5 s of warm-up, then 20 s of 32 clients in a closed loop
 * over the dashboard's endpoints. Latency is from sending a request to having all of its answer, in
 * a histogram (HdrHistogram, micros; it comes with Micrometer).
 *
 * <p>Run (after {@code mvn -o -q test-compile dependency:build-classpath -pl cluster -am
 * -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/sluice-cp.txt}):
 * <pre>{@code
 * java -cp cluster/target/test-classes:cluster/target/classes:$(cat /tmp/sluice-cp.txt) \
 *     io.sluice.cluster.internal.HttpLoadDriver
 * }</pre>
 */
public final class HttpLoadDriver {
  private static final int DASHBOARDS = 3;
  /** 60 s unless -Dsluice.load.poll-seconds says otherwise (longer: to see the JIT settle). */
  private static final Duration POLL_PHASE = Duration.ofSeconds(Integer.getInteger("sluice.load.poll-seconds", 60));
  private static final Duration WARM_UP = Duration.ofSeconds(5);
  /** Long enough for C2 to have compiled the server's hot paths: Pekko HTTP has many more of them. */
  private static final Duration JIT_WARM_UP = Duration.ofSeconds(30);
  private static final Duration SATURATION = Duration.ofSeconds(20);
  private static final int SATURATION_CLIENTS = 32;
  private static final int UPLOAD_BYTES = 20 << 20;
  private static final List<String> DASHBOARD_PATHS = List.of("/jobs", "/jobs/job-1", "/jobs/job-1/instances",
      "/cluster");

  private HttpLoadDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("server")) {
      serve();
    } else {
      drive();
    }
  }

  // ---- the server side, in its own JVM

  private static void serve() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "load", com.typesafe.config.ConfigFactory
        .parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
        .withFallback(com.typesafe.config.ConfigFactory.load()));
    HttpApi http = open(system);
    http.route("GET", "/jobs", r -> HttpApi.Response.ok(jobs(20)))
        .route("GET", "/jobs/([A-Za-z0-9_.-]+)", r -> HttpApi.Response.ok(Map.of("id", r.param(0), "instances",
            jobs(19))))
        .route("GET", "/jobs/([A-Za-z0-9_.-]+)/instances", r -> HttpApi.Response.ok(jobs(20)))
        .route("GET", "/cluster", r -> HttpApi.Response.ok(jobs(20)))
        .route("GET", "/metrics", r -> HttpApi.Response.text("text/plain; version=0.0.4; charset=utf-8", metrics()))
        .route("POST", "/jars", 64L << 20, r -> HttpApi.Response.ok(Map.of("bytes", r.body().length,
            "id", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.body())))))
        .route("GET", "/_stats", r -> HttpApi.Response.ok(stats(r.query().containsKey("gc"))));
    http.start();
    System.out.println("port " + http.port());
    System.out.flush();
    // until the driver closes our stdin
    while (System.in.read() >= 0) {
      continue;
    }
    http.close();
    system.terminate();
  }

  /** The router as a node opens it: with the node's actor system when HttpApi takes one. */
  private static HttpApi open(ActorSystem<Void> system) throws Exception {
    try {
      return HttpApi.class.getConstructor(ActorSystem.class, String.class, int.class, BearerToken.class)
          .newInstance(system, "127.0.0.1", 0, BearerToken.NONE);
    } catch (NoSuchMethodException jdkServer) {
      return HttpApi.class.getConstructor(String.class, int.class).newInstance("127.0.0.1", 0);
    }
  }

  /** About 250 bytes of JSON per job. */
  private static List<Map<String, Object>> jobs(int n) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> job = new LinkedHashMap<>();
      job.put("id", "job-" + i);
      job.put("status", i % 5 == 0 ? "DEGRADED" : "RUNNING");
      job.put("recordsIn", 1_000_000L + i * 7919L);
      job.put("recordsOut", 999_000L + i * 7907L);
      job.put("backpressure", i / 20.0);
      job.put("cause", "no progress for " + i + " s");
      out.add(job);
    }
    return out;
  }

  /** About 100 KB of Prometheus text, built per scrape as a registry does. */
  private static String metrics() {
    StringBuilder b = new StringBuilder(110_000);
    for (int i = 0; i < 1_400; i++) {
      b.append("sluice_operator_records_in_total{job=\"job-").append(i % 20).append("\",operator=\"op-")
          .append(i).append("\",instance=\"").append(i % 8).append("\"} ").append(i * 31L).append('\n');
    }
    return b.toString();
  }

  private static Map<String, Object> stats(boolean gc) {
    if (gc) {
      System.gc();
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Runtime rt = Runtime.getRuntime();
    // CPU by thread pool (the name without its number): what is not here is the JIT's and the GC's
    Map<String, Long> pools = new java.util.TreeMap<>();
    for (long id : threads.getAllThreadIds()) {
      java.lang.management.ThreadInfo info = threads.getThreadInfo(id);
      long t = threads.getThreadCpuTime(id);
      if (info != null && t > 0) {
        pools.merge(info.getThreadName().replaceAll("[-#]?[0-9]+$", ""), t, Long::sum);
      }
    }
    return Map.of("cpuNanos", ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime(), "heapUsed", rt.totalMemory() - rt.freeMemory(), "threads", threads.getThreadCount(),
        "peakThreads", threads.getPeakThreadCount(), "pools", pools);
  }

  // ---- the driver side

  private static final class Phase {
    final ConcurrentHistogram latency = new ConcurrentHistogram(3);
    final AtomicLong errors = new AtomicLong();
    final AtomicLong answered = new AtomicLong();
    /** Requests sent and not answered yet. */
    final java.util.Set<CompletableFuture<Void>> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Waits (at most {@code timeout}) until every request sent so far has its answer. */
    void awaitAnswers(Duration timeout) throws Exception {
      CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    CompletableFuture<Void> send(HttpClient client, HttpRequest request) {
      long start = System.nanoTime();
      CompletableFuture<Void> f = client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((r, e) -> {
        latency.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
        answered.incrementAndGet();
        if (e != null || r.statusCode() != 200) {
          if (errors.incrementAndGet() == 1) {
            System.out.println("first error: " + (e != null ? e : r.statusCode() + " " + new String(r.body(),
                StandardCharsets.UTF_8)));
          }
        }
        return null;
      });
      inFlight.add(f);
      f.whenComplete((v, e) -> inFlight.remove(f));
      return f;
    }
  }

  private static void drive() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process server = new ProcessBuilder(java, "-Xms1g", "-Xmx1g", "-XX:+UseG1GC",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4", "-cp", System.getProperty("java.class.path"),
        HttpLoadDriver.class.getName(), "server").redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("port ")) {
        System.out.println("server: " + line);
      }
      if (line == null) {
        throw new IllegalStateException("the server ended before it said its port");
      }
      String base = "http://127.0.0.1:" + line.substring(5);
      run(base, server.pid());
    } finally {
      server.getOutputStream().close();
      if (!server.waitFor(20, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
  }

  private static HttpRequest get(String base, String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).build();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> stats(HttpClient c, String base, boolean gc) throws Exception {
    return HttpApi.JSON.readValue(c.send(get(base, "/_stats" + (gc ? "?gc" : "")),
        HttpResponse.BodyHandlers.ofString()).body(), Map.class);
  }

  /**
   * CPU seconds by thread of a process, from /proc (Linux), the numbers stripped from the names:
   * unlike the JVM's own view, it has the JIT's and the GC's threads. Empty elsewhere.
   */
  private static Map<String, Double> nativeThreads(long pid) {
    Map<String, Double> out = new java.util.TreeMap<>();
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc", String.valueOf(pid), "task");
    try (var dirs = java.nio.file.Files.list(tasks)) {
      for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) dirs::iterator) {
        try {
          String stat = java.nio.file.Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-#]?[0-9]+$", "");
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          // utime and stime, fields 14 and 15 of stat, in clock ticks (100 a second)
          out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0, Double::sum);
        } catch (java.io.IOException | RuntimeException ended) {
          // a thread that ended meanwhile
        }
      }
    } catch (java.io.IOException notLinux) {
      return out;
    }
    return out;
  }

  private static String nativeDelta(Map<String, Double> now, Map<String, Double> before) {
    StringBuilder out = new StringBuilder();
    now.forEach((name, t) -> {
      double s = t - before.getOrDefault(name, 0.0);
      if (s >= 0.05) {
        out.append(name).append(String.format(" %.1f; ", s));
      }
    });
    return out.toString();
  }

  private static void run(String base, long serverPid) throws Exception {
    HttpClient control = client();
    Map<String, Object> idle = stats(control, base, true);
    // a node's dashboard is polled for hours: measure it warm, not the JIT's first minutes
    saturate(base, new Phase(), JIT_WARM_UP);
    Map<String, Object> beforePoll = stats(control, base, true);
    Map<String, Double> nativeBeforePoll = nativeThreads(serverPid);
    ScheduledExecutorService ticks = Executors.newScheduledThreadPool(2);
    Phase dashboards = new Phase();
    Phase scrapes = new Phase();
    Phase upload = new Phase();
    long[] peak = {0, 0};
    List<HttpClient> browsers = new ArrayList<>();
    for (int i = 0; i < DASHBOARDS; i++) {
      HttpClient browser = client();
      browsers.add(browser);
      ticks.scheduleAtFixedRate(() -> DASHBOARD_PATHS.forEach(p -> dashboards.send(browser, get(base, p))),
          i * 300L, 1000, TimeUnit.MILLISECONDS);
    }
    HttpClient scraper = client();
    ticks.scheduleAtFixedRate(() -> scrapes.send(scraper, get(base, "/metrics")), 500, 5000, TimeUnit.MILLISECONDS);
    HttpClient uploader = client();
    ticks.schedule(() -> upload.send(uploader, HttpRequest.newBuilder(URI.create(base + "/jars?name=load.jar"))
        .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[UPLOAD_BYTES])).build()),
        10, TimeUnit.SECONDS);
    ticks.scheduleAtFixedRate(() -> sample(control, base, peak), 1000, 1000, TimeUnit.MILLISECONDS);
    Thread.sleep(POLL_PHASE.toMillis());
    ticks.shutdownNow();
    ticks.awaitTermination(10, TimeUnit.SECONDS);
    for (Phase p : List.of(dashboards, scrapes, upload)) {
      p.awaitAnswers(Duration.ofSeconds(130)); // the upload may take up to its 120 s timeout
    }
    Map<String, Object> afterPoll = stats(control, base, true);
    Map<String, Double> nativeAfterPoll = nativeThreads(serverPid);

    Phase warm = new Phase();
    saturate(base, warm, WARM_UP);
    Map<String, Object> beforeSat = stats(control, base, false);
    Phase sat = new Phase();
    long[] satPeak = {0, 0};
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> sample(control, base, satPeak), 1000, 1000, TimeUnit.MILLISECONDS);
    long t0 = System.nanoTime();
    saturate(base, sat, SATURATION);
    double satSeconds = (System.nanoTime() - t0) / 1e9;
    sampler.shutdownNow();
    Map<String, Object> afterSat = stats(control, base, true);

    System.out.println();
    System.out.println("| phase | requests | errors | p50 ms | p99 ms | max ms | req/s | server CPU s | peak heap MB"
        + " | heap after GC MB | threads (peak) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    System.out.println("| idle | | | | | | | " + cpu(idle, null) + " | | " + mb(idle.get("heapUsed")) + " | "
        + idle.get("threads") + " (" + idle.get("peakThreads") + ") |");
    String pollCpu = cpu(afterPoll, beforePoll);
    row("poll: dashboards", dashboards, POLL_PHASE.toSeconds(), pollCpu, peak, afterPoll);
    row("poll: /metrics", scrapes, POLL_PHASE.toSeconds(), "", null, null);
    row("poll: 20 MiB upload", upload, POLL_PHASE.toSeconds(), "", null, null);
    System.out.println("poll phase, server CPU s by thread pool: " + poolCpu(afterPoll, beforePoll));
    System.out.println("poll phase, server CPU s by OS thread: " + nativeDelta(nativeAfterPoll, nativeBeforePoll));
    System.out.println("saturation, server CPU s by thread pool: " + poolCpu(afterSat, beforeSat));
    row("saturation (" + SATURATION_CLIENTS + " clients)", sat, satSeconds, cpu(afterSat, beforeSat), satPeak, afterSat);
  }

  private static void sample(HttpClient control, String base, long[] peak) {
    try {
      Map<String, Object> s = stats(control, base, false);
      peak[0] = Math.max(peak[0], ((Number) s.get("heapUsed")).longValue());
      peak[1] = Math.max(peak[1], ((Number) s.get("threads")).longValue());
    } catch (Exception e) {
      // a missed sample only makes the peak less exact
    }
  }

  /** SATURATION_CLIENTS requests in flight at all times, each client going round the dashboard's endpoints. */
  private static void saturate(String base, Phase phase, Duration length) throws InterruptedException {
    HttpClient c = client();
    long end = System.nanoTime() + length.toNanos();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (int i = 0; i < SATURATION_CLIENTS; i++) {
      loops.add(loop(c, base, phase, end, i));
    }
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).orTimeout(length.toSeconds() + 90, TimeUnit.SECONDS)
        .exceptionally(e -> null).join();
  }

  private static CompletableFuture<Void> loop(HttpClient c, String base, Phase phase, long end, int i) {
    if (System.nanoTime() >= end) {
      return CompletableFuture.completedFuture(null);
    }
    return phase.send(c, get(base, DASHBOARD_PATHS.get(i % DASHBOARD_PATHS.size())))
        .thenCompose(v -> loop(c, base, phase, end, i + 1));
  }

  private static String cpu(Map<String, Object> now, Map<String, Object> before) {
    long n = ((Number) now.get("cpuNanos")).longValue() - (before == null ? 0 : ((Number) before.get("cpuNanos"))
        .longValue());
    return String.format("%.1f", n / 1e9);
  }

  @SuppressWarnings("unchecked")
  private static String poolCpu(Map<String, Object> now, Map<String, Object> before) {
    Map<String, Object> a = (Map<String, Object>) now.get("pools");
    Map<String, Object> b = (Map<String, Object>) before.get("pools");
    StringBuilder out = new StringBuilder();
    a.forEach((name, t) -> {
      double s = (((Number) t).longValue() - ((Number) b.getOrDefault(name, 0L)).longValue()) / 1e9;
      if (s >= 0.05) {
        out.append(name).append(String.format(" %.1f; ", s));
      }
    });
    return out.toString();
  }

  private static String mb(Object bytes) {
    return String.valueOf(((Number) bytes).longValue() >> 20);
  }

  private static void row(String name, Phase p, double seconds, String cpu, long[] peak, Map<String, Object> after) {
    Histogram h = p.latency;
    System.out.printf("| %s | %d | %d | %.1f | %.1f | %.1f | %.0f | %s | %s | %s | %s |%n", name, p.answered.get(),
        p.errors.get(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0, p.answered.get() / seconds, cpu, peak == null ? "" : String.valueOf(peak[0] >> 20),
        after == null ? "" : mb(after.get("heapUsed")), after == null ? "" : peak[1] + " (" + after.get("peakThreads")
            + ")");
  }
}
