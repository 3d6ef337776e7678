package io.sluice.cluster.chaos;

import io.sluice.cluster.CassandraCommandSupport;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.NodeNetwork;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice chaos}: starts (or attaches to) the dev Cassandra and a local cluster, runs a job
 * with a known right answer, kills nodes on a schedule (and optionally Cassandra, and freezes a
 * node), drains the job and prints a verdict; exit status 1 on any loss or duplicate.
 */
@Command(name = "chaos", description = "Run a verifiable job on a local cluster while killing nodes (and Cassandra);"
    + " check the output is exact.")
public final class ChaosCommand implements Callable<Integer> {
  @Option(names = "--nodes", split = ",", description = "node config files (default: conf/node-1..3.conf)")
  List<Path> nodes = List.of(Path.of("conf/node-1.conf"), Path.of("conf/node-2.conf"), Path.of("conf/node-3.conf"));

  @Option(names = "--pipeline", description = "a pipeline with a known right answer (default ${DEFAULT-VALUE})")
  String pipeline = "keyed-totals";

  @Option(names = "--param", description = "pipeline parameter name=value (repeat); keyed-totals gets keys,"
      + " records-per-key, rate and output from the options below unless given")
  List<String> params = new ArrayList<>();

  @Option(names = "--duration", description = "the fault window; keyed-totals is sized to run that long (default ${DEFAULT-VALUE})")
  Duration duration = Duration.ofSeconds(120);

  @Option(names = "--rate", description = "keyed-totals records per second (default ${DEFAULT-VALUE})")
  long rate = 20_000;

  @Option(names = "--keys", description = "keyed-totals keys (default ${DEFAULT-VALUE})")
  long keys = 1_000;

  @Option(names = "--kill-interval", description = "kill a random node this often, each time once every node is an Up member again;"
      + " 0 for never (default ${DEFAULT-VALUE})")
  Duration killInterval = Duration.ofSeconds(20);

  @Option(names = "--leaves", description = "make every second node fault a graceful leave instead of a kill: SIGTERM,"
      + " the node hands its instances over and exits, and starts again after --restart-delay (instances then move"
      + " back to it for balance)")
  boolean leaves;

  @Option(names = "--rescale", split = ",", paramLabel = "N", description = "rescale the job to each of these"
      + " parallelisms in turn, spread over the fault window (savepoint, stop, restore), while the other faults go"
      + " on; the verdict checks the chain of jobs together. Pins the source's splits to the first job's.")
  List<Integer> rescales = List.of();

  @Option(names = "--restart-delay", description = "restart a killed node after this long (default ${DEFAULT-VALUE})")
  Duration restartDelay = Duration.ofSeconds(5);

  @Option(names = "--seed", description = "seed of the random choices (default ${DEFAULT-VALUE})")
  long seed = 42;

  @Option(names = "--kill-cassandra-at", description = "kill Cassandra at this time into the run")
  Duration cassandraKillAt;

  @Option(names = "--cassandra-down", description = "restart Cassandra this long after killing it (default ${DEFAULT-VALUE})")
  Duration cassandraDown = Duration.ofSeconds(10);

  @Option(names = "--freeze-at", description = "freeze a random node (SIGSTOP) at this time into the run")
  Duration freezeAt;

  @Option(names = "--freeze-for", description = "resume the frozen node after this long (default ${DEFAULT-VALUE})")
  Duration freezeFor = Duration.ofSeconds(15);

  @Option(names = "--network", description = "also make network faults between the nodes, each node in its own"
      + " network namespace (needs root and the ip command): isolate a node, split 2 | 1, cut a pair, cut one way,"
      + " cut a node from Cassandra; kinds and nodes drawn from --seed, between the kills; each healed after"
      + " --partition-for, a node that downed itself started again after the heal. The verdict also checks the"
      + " journal: no operator instance written by two incarnations interleaved.")
  boolean network;

  @Option(names = "--partition-every", description = "with --network: a network fault this often, the first at"
      + " half of it, each once the cluster is whole (default ${DEFAULT-VALUE})")
  Duration partitionEvery = Duration.ofSeconds(30);

  @Option(names = "--partition-for", description = "with --network: heal a network fault after this long"
      + " (default ${DEFAULT-VALUE})")
  Duration partitionFor = Duration.ofSeconds(15);

  @Option(names = "--drain-timeout", description = "how long to wait for the job to finish after the faults (default ${DEFAULT-VALUE})")
  Duration drainTimeout = Duration.ofMinutes(5);

  @Option(names = "--report", description = "HTML report file (default data/chaos/<time>/report.html)")
  Path report;

  @Option(names = "--node-heap", description = "heap of every node JVM, e.g. 3g (default: the cluster's, 768m)")
  String nodeHeap;

  @Option(names = "--jar", paramLabel = "FILE", description = "take --pipeline from this jar of yours: uploaded to the"
      + " cluster, and its factory's verify gives the verdict")
  Path jar;

  @Override
  @SuppressWarnings("try") // the lease is held for the try block: it stops a Cassandra it started
  public Integer call() throws Exception {
    Path home = DevCassandra.home();
    String run = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = home.resolve("data/chaos").resolve(run);
    Map<String, String> p = new LinkedHashMap<>();
    if (pipeline.equals("keyed-totals")) {
      p.putAll(ChaosRun.keyedTotals(keys, rate, duration, dir.resolve("out")));
    }
    p.putAll(io.sluice.core.dsl.Parameters.parse(params).asMap());
    if (!rescales.isEmpty()) {
      p.putIfAbsent("splits", p.getOrDefault("parallelism", "2")); // a source keeps its splits across a savepoint
    }
    ChaosRun.Settings settings = new ChaosRun.Settings(pipeline, p, duration, killInterval, restartDelay, seed,
        cassandraKillAt, cassandraDown, freezeAt, freezeFor, drainTimeout, List.of());
    if (jar != null) {
      if (!java.nio.file.Files.isRegularFile(jar)) {
        System.err.println("sluice: jar " + jar.toAbsolutePath() + " does not exist");
        return 2;
      }
      settings = settings.withJar(jar.toAbsolutePath());
    }
    if (leaves) {
      settings = settings.withGracefulLeaves();
    }
    if (!rescales.isEmpty()) {
      settings = settings.withRescales(rescales);
    }
    if (network) {
      if (partitionEvery.isNegative() || partitionEvery.isZero() || partitionFor.isNegative() || partitionFor.isZero()) {
        System.err.println("sluice: --partition-every (" + partitionEvery + ") and --partition-for (" + partitionFor
            + ") must be positive");
        return 2;
      }
      if (nodes.size() < 3) {
        System.err.println("sluice: --network needs at least 3 nodes, so that a majority survives a partition");
        return 2;
      }
      try {
        NodeNetwork.checkPrerequisites();
      } catch (IllegalStateException e) {
        System.err.println("sluice: --network cannot run here: " + e.getMessage());
        return 2;
      }
      settings = settings.withNetworkFaults(partitionEvery, partitionFor);
    }
    DevCassandra cassandra = CassandraCommandSupport.devCassandra(null);
    if (cassandraKillAt != null && cassandra.servesCql()
        && cassandra.status().state() != DevCassandra.Status.State.RUNNING) {
      System.err.println("sluice: --kill-cassandra-at needs the dev Cassandra started by sluice (pid file); a foreign"
          + " one serves CQL");
      return 2;
    }
    ChaosRun.Result r;
    try (CassandraCommandSupport.Lease lease = CassandraCommandSupport.serving(cassandra);
        LocalCluster cluster = network
            ? LocalCluster.inNamespaces(home, nodes, nodeFlags(run), dir.resolve("logs"), NodeNetwork.Settings.defaults())
            : new LocalCluster(home, nodes, nodeFlags(run), dir.resolve("logs"))) {
      r = new ChaosRun(cluster, cassandra, settings, System.out).run();
    }
    Path html = ChaosReport.write(report != null ? report : dir.resolve("report.html"), r, settings,
        nodes.toString());
    print(r);
    System.out.println("report: " + html);
    return r.exact() ? 0 : 1;
  }

  private List<String> nodeFlags(String run) {
    List<String> flags = new java.util.ArrayList<>(List.of("-Dsluice.cassandra.keyspace=sluice_chaos_"
        + run.replace("-", "_")));
    if (nodeHeap != null) {
      flags.add("-Xms" + nodeHeap);
      flags.add("-Xmx" + nodeHeap);
    }
    if (network) {
      flags.add(ChaosRun.KEEP_EVENTS_FLAG); // the end checks who wrote every event of the journal
    }
    return flags;
  }

  static void print(ChaosRun.Result r) {
    Verdict v = r.verdict();
    System.out.println();
    System.out.println("VERDICT: " + (r.exact() ? "EXACT" : "NOT EXACT") + " (job " + String.join(" -> ", r.jobs())
        + " " + r.status() + ")");
    if (r.cassandraDeath() != null) {
      System.out.println("  " + r.cassandraDeath());
    }
    if (r.stallCause() != null) {
      System.out.println("  stalled: " + r.stallCause());
    }
    if (v != null) {
      System.out.printf("  records expected %,d, delivered %,d, lost %,d, duplicated %,d, wrong %,d%n", v.expected(),
          v.delivered(), v.lost(), v.duplicated(), v.wrong());
      System.out.println("  " + v.summary());
      for (String p : v.problems()) {
        System.out.println("  - " + p);
      }
    } else {
      System.out.println("  no verdict: the pipeline has no known right answer");
    }
    System.out.println("  faults:");
    for (ChaosRun.Fault f : r.faults()) {
      System.out.printf("    %-9s %-8s at %6.1f s  %s%n", f.kind(), f.target(), f.atSeconds(),
          f.recoverySeconds() == null ? "flowing again: not measured" : String.format("flowing again after %.1f s (%s)",
              f.recoverySeconds(), f.detail()));
    }
    if (!r.networkFaults().isEmpty()) {
      System.out.println("  network faults:");
      for (ChaosRun.Fault f : r.networkFaults()) {
        ChaosRun.Network n = f.network();
        System.out.printf("    %-13s %-28s at %6.1f s for %4.1f s  flowing again %s; stayed %s; downed themselves %s%n",
            f.kind(), n.sides(), f.atSeconds(), n.heldSeconds(), f.recoverySeconds() == null ? "not measured"
                : String.format("after %.1f s", f.recoverySeconds()), n.stayed().isEmpty() ? "none"
                : String.join(", ", n.stayed()), n.downed().isEmpty() ? "none" : String.join(", ", n.downed()));
      }
    }
    if (r.journal() != null) {
      System.out.println("  " + r.journal().summary());
      for (String i : r.journal().interleavings()) {
        System.out.println("  - " + i);
      }
    }
  }
}
