package io.sluice.cluster.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.NetworkFaults;
import io.sluice.cluster.internal.Lines;
import io.sluice.cluster.runtime.ServicePipelineResolver;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.jars.JarInspector;
import io.sluice.persistence.jars.JobClassLoader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * A chaos run: a local cluster runs a job with a known right answer while nodes are killed with
 * SIGKILL (and restarted), frozen with SIGSTOP past the failure detector (and resumed), and
 * Cassandra is killed (and restarted); then the job drains and its output is checked.
 *
 * <p>Recovery time of a fault: for a node killed or frozen, from the fault until every operator
 * instance that lived on it has consumed input again in its new incarnation (instances report
 * when they first consumed input); for Cassandra, from the kill until the sinks receive records
 * again. All random choices come from one seeded generator, so a run can be repeated.
 *
 * <p>The progress line shows the job's state as the job coordinator sees it: DEGRADED, with the
 * cause, while the job cannot make progress. A job that stays DEGRADED, with no record reaching
 * its sinks, for {@link #STALL} while no fault of the run is pending (a node down or frozen,
 * Cassandra down) has STALLED: the run ends there. If the dev Cassandra dies without the schedule killing it, the run says so at once
 * (with what its log tells, e.g. an OutOfMemoryError) and the verdict repeats it.
 */
public final class ChaosRun {
  /** What to run and which faults to inject. Durations are from the job's submission. */
  public record Settings(String pipeline, Map<String, String> parameters, Duration duration, Duration killInterval,
      Duration restartDelay, long seed, Duration cassandraKillAt, Duration cassandraDown, Duration freezeAt,
      Duration freezeFor, Duration drainTimeout, List<Long> killAtRecords, String victimOperator, Path jar,
      boolean gracefulLeaves, List<Integer> rescales, Duration partitionEvery, Duration partitionFor) {
    public Settings {
      killAtRecords = List.copyOf(killAtRecords);
      rescales = List.copyOf(rescales);
    }

    public Settings(String pipeline, Map<String, String> parameters, Duration duration, Duration killInterval,
        Duration restartDelay, long seed, Duration cassandraKillAt, Duration cassandraDown, Duration freezeAt,
        Duration freezeFor, Duration drainTimeout, List<Long> killAtRecords, String victimOperator, Path jar,
        boolean gracefulLeaves, List<Integer> rescales) {
      this(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt, cassandraDown, freezeAt,
          freezeFor, drainTimeout, killAtRecords, victimOperator, jar, gracefulLeaves, rescales, null, null);
    }

    public Settings(String pipeline, Map<String, String> parameters, Duration duration, Duration killInterval,
        Duration restartDelay, long seed, Duration cassandraKillAt, Duration cassandraDown, Duration freezeAt,
        Duration freezeFor, Duration drainTimeout, List<Long> killAtRecords, String victimOperator, Path jar,
        boolean gracefulLeaves) {
      this(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt, cassandraDown, freezeAt,
          freezeFor, drainTimeout, killAtRecords, victimOperator, jar, gracefulLeaves, List.of());
    }

    public Settings(String pipeline, Map<String, String> parameters, Duration duration, Duration killInterval,
        Duration restartDelay, long seed, Duration cassandraKillAt, Duration cassandraDown, Duration freezeAt,
        Duration freezeFor, Duration drainTimeout, List<Long> killAtRecords, String victimOperator, Path jar) {
      this(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt, cassandraDown, freezeAt,
          freezeFor, drainTimeout, killAtRecords, victimOperator, jar, false);
    }

    public Settings(String pipeline, Map<String, String> parameters, Duration duration, Duration killInterval,
        Duration restartDelay, long seed, Duration cassandraKillAt, Duration cassandraDown, Duration freezeAt,
        Duration freezeFor, Duration drainTimeout, List<Long> killAtRecords, String victimOperator) {
      this(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt, cassandraDown, freezeAt,
          freezeFor, drainTimeout, killAtRecords, victimOperator, null);
    }

    /** Settings whose kills pick a random node. */
    public Settings(String pipeline, Map<String, String> parameters, Duration duration, Duration killInterval,
        Duration restartDelay, long seed, Duration cassandraKillAt, Duration cassandraDown, Duration freezeAt,
        Duration freezeFor, Duration drainTimeout, List<Long> killAtRecords) {
      this(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt, cassandraDown, freezeAt,
          freezeFor, drainTimeout, killAtRecords, null);
    }

    /** The same settings with kills when the sinks have received these numbers of records. */
    public Settings withKillsAtRecords(List<Long> counts) {
      return new Settings(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt,
          cassandraDown, freezeAt, freezeFor, drainTimeout, counts, victimOperator, jar, gracefulLeaves, rescales,
          partitionEvery, partitionFor);
    }

    /** The same settings whose kills prefer a node that runs an instance of {@code operator}. */
    public Settings withVictimOperator(String operator) {
      return new Settings(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt,
          cassandraDown, freezeAt, freezeFor, drainTimeout, killAtRecords, operator, jar, gracefulLeaves, rescales,
          partitionEvery, partitionFor);
    }

    /**
     * The same settings with the pipeline taken from {@code file}: uploaded through POST /jars,
     * submitted with its id, verified by the jar's own factory.
     */
    public Settings withJar(Path file) {
      return new Settings(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt,
          cassandraDown, freezeAt, freezeFor, drainTimeout, killAtRecords, victimOperator, file, gracefulLeaves, rescales,
          partitionEvery, partitionFor);
    }

    /**
     * The same settings with every second node fault a graceful leave instead of a kill: the node
     * gets SIGTERM, hands its instances over and exits, and starts again after the restart delay
     * (when it rejoins, instances move back to it for balance).
     */
    public Settings withGracefulLeaves() {
      return new Settings(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt,
          cassandraDown, freezeAt, freezeFor, drainTimeout, killAtRecords, victimOperator, jar, true, rescales,
          partitionEvery, partitionFor);
    }

    /**
     * The same settings with the job rescaled to each of {@code parallelisms} in turn, spread evenly
     * over the fault window (a savepoint that stops the job, then a new job from it with that
     * parallelism), while the other faults go on. The verdict checks the chain of jobs together.
     */
    public Settings withRescales(List<Integer> parallelisms) {
      return new Settings(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt,
          cassandraDown, freezeAt, freezeFor, drainTimeout, killAtRecords, victimOperator, jar, gracefulLeaves,
          parallelisms, partitionEvery, partitionFor);
    }

    /**
     * The same settings with network faults ({@link NetworkSchedule}): one due every {@code every},
     * held for {@code length}, between nodes that run in network namespaces.
     */
    public Settings withNetworkFaults(Duration every, Duration length) {
      return new Settings(pipeline, parameters, duration, killInterval, restartDelay, seed, cassandraKillAt,
          cassandraDown, freezeAt, freezeFor, drainTimeout, killAtRecords, victimOperator, jar, gracefulLeaves,
          rescales, every, length);
    }

    /** True if the run makes network faults (its nodes must run in namespaces). */
    public boolean network() {
      return partitionEvery != null && partitionFor != null;
    }
  }

  /**
   * One injected fault and what it cost. recoverySeconds is null while (or if never) recovered;
   * victims maps the entity ids of the instances that lived on the node to their incarnation then.
   */
  public record Fault(String kind, String target, double atSeconds, Double endedAtSeconds, Double recoverySeconds,
      String detail, Map<String, Long> victims, Network network) {
    public Fault(String kind, String target, double atSeconds, Double endedAtSeconds, Double recoverySeconds,
        String detail, Map<String, Long> victims) {
      this(kind, target, atSeconds, endedAtSeconds, recoverySeconds, detail, victims, null);
    }
  }

  /**
   * What a network fault did: its sides ("node-1 | node-2 + node-3"), how long it was held, and
   * which of the nodes stayed members and which downed themselves (their process exited) from
   * the fault until the cluster was whole again after the heal.
   */
  public record Network(String sides, double heldSeconds, List<String> stayed, List<String> downed) {
    public Network {
      stayed = List.copyOf(stayed);
      downed = List.copyOf(downed);
    }
  }

  /**
   * What the journal tells of the run's operator instances: how many were read, and every
   * interleaving (an instance written by two incarnations interleaved); error: why the journal could
   * not be read, else null.
   */
  public record JournalVerdict(int instances, long events, List<String> interleavings, String error) {
    public JournalVerdict {
      interleavings = List.copyOf(interleavings);
    }

    /** Read, and no instance had two live writers. */
    public boolean ok() {
      return error == null && interleavings.isEmpty();
    }

    /** For people. */
    public String summary() {
      if (error != null) {
        return "journal not checked: " + error;
      }
      return interleavings.isEmpty()
          ? String.format("journal: %d instance(s), %,d events, none written by two incarnations interleaved",
              instances, events)
          : "journal: " + interleavings.size() + " of " + instances + " instance(s) written by two incarnations"
              + " interleaved (two live writers)";
    }
  }

  /**
   * The outcome. status: the job's lifecycle at the end, or STALLED; stallCause: the coordinator's
   * cause when it stalled, else null; cassandraDeath: the first unexpected death of the dev
   * Cassandra during the run (its pid and what its log told), else null.
   */
  public record Result(String jobId, String status, Verdict verdict, List<Fault> faults, List<double[]> timeline,
      long delivered, double seconds, String stallCause, String cassandraDeath, List<String> jobs,
      JournalVerdict journal) {
    public Result {
      jobs = List.copyOf(jobs);
    }

    public Result(String jobId, String status, Verdict verdict, List<Fault> faults, List<double[]> timeline,
        long delivered, double seconds, String stallCause, String cassandraDeath, List<String> jobs) {
      this(jobId, status, verdict, faults, timeline, delivered, seconds, stallCause, cassandraDeath, jobs, null);
    }

    public Result(String jobId, String status, Verdict verdict, List<Fault> faults, List<double[]> timeline,
        long delivered, double seconds, String stallCause, String cassandraDeath) {
      this(jobId, status, verdict, faults, timeline, delivered, seconds, stallCause, cassandraDeath, List.of(jobId));
    }

    /** The output is exact, the job finished, and the journal (when checked) shows no two live writers. */
    public boolean exact() {
      return verdict != null && verdict.exact() && "FINISHED".equals(status) && (journal == null || journal.ok());
    }

    /** The network faults, in order. */
    public List<Fault> networkFaults() {
      return faults.stream().filter(f -> f.network() != null).toList();
    }
  }

  /**
   * A job the coordinator shows DEGRADED, with no record reaching its sinks, for this long while no
   * fault of the run is pending has stalled (the coordinator itself shows a job DEGRADED after
   * sluice.coordinator.stall-after, 60 s, without progress, and at once while its journal fails).
   * Also: no node answered for this long.
   */
  static final Duration STALL = Duration.ofSeconds(60);
  /** How long a node that leaves (SIGTERM) may take to hand its instances over and exit before it is killed. */
  static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(60);
  /** How long a rescale (savepoint, stop, restore) may take before the run fails. */
  static final Duration RESCALE_TIMEOUT = Duration.ofMinutes(6);
  /** How long after the heal of a network fault the cluster may take to be whole again before the run goes on. */
  static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);
  /** How long a network run waits for the recovery of earlier faults to be measured before it makes another. */
  static final Duration MEASURE_WAIT = Duration.ofSeconds(30);
  /** How often a network run lists the job's instances, for the journal check at the end. */
  static final Duration INSTANCES_POLL = Duration.ofSeconds(5);
  /** The exit code of a process ended by SIGKILL. */
  private static final int EXIT_KILLED = 137;

  private final LocalCluster cluster;
  private final DevCassandra cassandra;
  private final Settings settings;
  private final PrintStream out;
  private final Random random;
  private final List<MutableFault> faults = new ArrayList<>();
  private final List<double[]> timeline = new ArrayList<>();
  private final CassandraWatch cassandraWatch;
  private long t0;
  private String jobId;
  /** The job and the jobs it was rescaled into, in order: the verdict checks their outputs together. */
  private final List<String> jobs = new ArrayList<>();
  private int lastVictim = -1;
  private CassandraWatch.Death cassandraDeath;
  /** Every operator instance any node listed during the run: the journal check reads theirs. */
  private final java.util.Set<String> instancesSeen = new java.util.LinkedHashSet<>();
  /** The last list of the job's instances with one still running, else null. */
  private JsonNode lastRunning;

  private static final class MutableFault {
    final String kind;
    final String target;
    final long atMillis;
    final double atSeconds;
    Double endedAt;
    Double recovery;
    String detail = "";
    /** Instances (entity id → incarnation) that lived on the node at the fault. */
    Map<String, Long> victims = Map.of();
    long countAtFault;
    boolean stalled;
    long endMillis;
    /** Of a network fault: its sides for people, else null. */
    String sides;
    long heldMillis;
    /** Of a network fault: the nodes whose process exited from the fault until it settled. */
    final java.util.SortedSet<Integer> downed = new java.util.TreeSet<>();
    /** Of a network fault: the node each victim lived on at the fault. */
    final Map<String, String> victimNodes = new HashMap<>();
    /** Of a network fault: healed and the cluster whole again (or given up waiting). */
    boolean settled;
    /** Of a network fault: when it settled, in seconds of the run. */
    double settledAt;
    Network network;

    MutableFault(String kind, String target, long atMillis, double atSeconds) {
      this.kind = kind;
      this.target = target;
      this.atMillis = atMillis;
      this.atSeconds = atSeconds;
    }

    Fault freeze() {
      return new Fault(kind, target, atSeconds, endedAt, recovery, detail, Map.copyOf(victims), network);
    }
  }

  /**
   * The node flag that keeps every journal event (no deletion behind snapshots): a run that checks
   * which incarnation wrote each event ({@link #checkJournal}) must read the whole journal.
   */
  public static final String KEEP_EVENTS_FLAG = "-Dsluice.state.delete-events=off";

  public ChaosRun(LocalCluster cluster, DevCassandra cassandra, Settings settings, PrintStream out) {
    this.cluster = cluster;
    this.cassandra = cassandra;
    this.settings = settings;
    this.out = out;
    this.random = new Random(settings.seed());
    this.cassandraWatch = new CassandraWatch(cassandra);
    if (settings.network() && cluster.network().isEmpty()) {
      throw new IllegalArgumentException("network faults need the nodes in network namespaces"
          + " (LocalCluster.inNamespaces)");
    }
  }

  private double elapsed() {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Heals the network faults on its own thread: blocking work in the common pool does not delay a heal. */
  private final java.util.concurrent.Executor healer = r -> {
    Thread t = new Thread(r, "chaos-heal");
    t.setDaemon(true);
    t.start();
  };

  /**
   * Removes every network cut, asking again twice if the kernel refused one; returns what could
   * not be healed, for the fault's detail and the output, or null.
   */
  private static String heal(NetworkFaults net) {
    RuntimeException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        net.heal();
        return null;
      } catch (RuntimeException e) {
        last = e;
        LockSupport.parkNanos(1_000_000_000L); // a retry's pause, not a wait for a condition
      }
    }
    return "could not heal the network: " + last.getMessage();
  }

  /**
   * Whether a network run still waits for the recovery of {@code f} before it makes another fault:
   * until it ended (a network fault: healed and settled), then {@link #MEASURE_WAIT} at most; not
   * for a fault measured, a rescale, or one that cannot be measured any more.
   */
  private boolean awaitsMeasure(MutableFault f, long ms) {
    if (f.recovery != null || f.kind.equals("rescale") || f.detail.contains("not measured")) {
      return false;
    }
    if (f.sides != null && !f.settled) {
      return true; // a network fault that holds or settles: nothing else happens meanwhile anyway
    }
    double endedMs = f.sides != null ? f.settledAt * 1000 : f.endedAt == null ? f.atSeconds * 1000 : f.endedAt * 1000;
    return ms - endedMs < MEASURE_WAIT.toMillis() + (f.endedAt == null ? SETTLE_TIMEOUT.toMillis() : 0);
  }

  /** Starts the nodes, submits the job, injects the faults, drains, verifies. */
  public Result run() {
    int n = cluster.nodes().size();
    cassandraWatch.poll();
    prepare();
    out.printf("starting %d nodes ...%n", n);
    cluster.startAll();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("pipeline", settings.pipeline());
    body.put("parameters", settings.parameters());
    if (settings.jar() != null) {
      JsonNode jar = cluster.upload(0, settings.jar());
      if (jar.path("httpStatus").asInt() / 100 != 2) {
        throw new IllegalStateException("the jar " + settings.jar() + " was refused: " + jar.path("error").asText());
      }
      body.put("jar", jar.path("id").asText());
      out.printf("jar %s uploaded: %s%n", jar.path("id").asText(), jar.path("pipelines"));
    }
    JsonNode sub = cluster.post(0, "/jobs", body).orElseThrow(() -> new IllegalStateException("node 1 does not answer"));
    if (sub.path("httpStatus").asInt() != 201) {
      throw new IllegalStateException("the job was refused: " + sub.path("error").asText());
    }
    jobId = sub.path("jobId").asText();
    jobs.add(jobId);
    t0 = System.nanoTime();
    out.printf("job %s submitted: %s %s%n", jobId, settings.pipeline(), settings.parameters());

    Map<Integer, Long> restartAt = new HashMap<>();
    Map<Integer, Long> resumeAt = new HashMap<>();
    long nextKill = settings.killInterval().toMillis();
    boolean cassandraDone = settings.cassandraKillAt() == null;
    boolean freezeDone = settings.freezeAt() == null;
    CompletableFuture<Void> cassandraRestart = null;
    String status = "RUNNING";
    String state = "RUNNING";
    String cause = null;
    String stallCause = null;
    long degradedUnexplainedMs = -1;
    long countWhenDegraded = 0;
    long lastAnswerMs = 0;
    int lastLineLength = 0;
    int killsByCount = 0;
    int nodeFaults = 0;
    Map<Integer, CompletableFuture<Integer>> leaving = new HashMap<>();
    long lastCount = 0;
    double lastRate = 0;
    long lastPrint = 0;
    long durationMs = settings.duration().toMillis();
    long drainDeadline = Long.MAX_VALUE;
    CompletableFuture<JsonNode> rescaling = null;
    MutableFault rescaleFault = null;
    int rescalesDone = 0;
    int rescaleVia = -1;
    long countOfEarlierJobs = 0;
    List<NetworkSchedule.Planned> plan = settings.network() ? NetworkSchedule.plan(settings.seed(), n,
        settings.duration(), settings.partitionEvery(), settings.partitionFor()) : List.of();
    int nextPartition = 0;
    MutableFault partition = null; // the network fault made and not settled yet
    CompletableFuture<double[]> healing = null; // heals it on time, whatever the loop waits for: {millis, seconds}
    long settleBy = 0;
    long lastInstancesPoll = 0;
    while (true) {
      long ms = (System.nanoTime() - t0) / 1_000_000;
      watchCassandra();
      JsonNode view = anyNode("/jobs/" + jobId).orElse(null);
      long count = lastCount;
      if (rescaling != null && rescaling.isDone()) {
        JsonNode r = rescaling.join();
        rescaling = null;
        if (r.path("httpStatus").asInt() != 201) {
          out.printf("%n[%6.1f s] the rescale failed: %s%n", elapsed(), r.path("error").asText(r.toString()));
          status = "RESCALE FAILED";
          stallCause = "rescale to " + rescaleFault.target + " failed: " + r.path("error").asText(r.toString());
          break;
        }
        String old = jobId;
        countOfEarlierJobs += anyNode("/jobs/" + old).map(j -> j.path("sinkRecords").asLong()).orElse(0L);
        jobId = r.path("jobId").asText();
        jobs.add(jobId);
        rescaleFault.endedAt = elapsed();
        rescaleFault.endMillis = System.currentTimeMillis();
        rescaleFault.detail = old + " stopped with savepoint " + r.path("savepointId").asText() + ", " + jobId
            + " started from it";
        out.printf("%n[%6.1f s] rescaled to %s: %s%n", elapsed(), rescaleFault.target, rescaleFault.detail);
        for (MutableFault f : faults) {
          if (f.recovery == null && f != rescaleFault && !f.kind.equals("cassandra")) {
            f.detail = (f.detail.isEmpty() ? "" : f.detail + "; ") + "not measured: the job was rescaled first";
            f.recovery = null;
          }
        }
        view = null; // the new job's view comes next time
        lastAnswerMs = ms; // the rescale answered: its minutes are not silence
      }
      if (view != null && rescaling == null) {
        lastAnswerMs = ms;
        count = countOfEarlierJobs + view.path("sinkRecords").asLong(lastCount - countOfEarlierJobs);
        status = view.path("status").asText(status);
        String now = view.path("state").isTextual() ? view.path("state").asText() : status;
        String nowCause = view.path("cause").isTextual() ? view.path("cause").asText() : null;
        if ("DEGRADED".equals(now) && !"DEGRADED".equals(state)) {
          out.printf("%n[%6.1f s] job DEGRADED: %s%n", elapsed(), nowCause);
        } else if ("RUNNING".equals(now) && "DEGRADED".equals(state)) {
          out.printf("%n[%6.1f s] job RUNNING again%n", elapsed());
        }
        state = now;
        cause = nowCause;
      }
      if (!timeline.isEmpty()) {
        double[] prev = timeline.get(timeline.size() - 1);
        double dt = ms / 1000.0 - prev[0];
        if (dt > 0) {
          lastRate = 0.7 * lastRate + 0.3 * ((count - prev[1]) / dt);
        }
      }
      timeline.add(new double[] {ms / 1000.0, count});
      lastCount = count;
      boolean faultPending = !restartAt.isEmpty() || !resumeAt.isEmpty()
          || (cassandraRestart != null && !cassandraRestart.isDone()) || rescaling != null || partition != null;
      if ("RUNNING".equals(status) && "DEGRADED".equals(state) && !faultPending) {
        if (degradedUnexplainedMs < 0 || count != countWhenDegraded) {
          degradedUnexplainedMs = ms; // records still reach the sinks: degraded, but not stalled
          countWhenDegraded = count;
        }
      } else {
        degradedUnexplainedMs = -1;
      }
      if (degradedUnexplainedMs >= 0 && ms - degradedUnexplainedMs >= STALL.toMillis()) {
        out.printf("%nthe job stayed DEGRADED, with no record reaching its sinks, for %d s with no fault of this run"
            + " pending, at %,d records: stalled. The job coordinator says: %s%n", STALL.toSeconds(), count, cause);
        status = "STALLED";
        stallCause = cause;
        break;
      }
      if (!faultPending && ms - lastAnswerMs >= STALL.toMillis()) {
        out.printf("%nno node answered for %d s with no fault of this run pending: stalled%n", STALL.toSeconds());
        status = "STALLED";
        stallCause = "no node answered for " + STALL.toSeconds() + " s";
        break;
      }
      measure(ms, count);

      boolean faultWindow = ms < durationMs;
      // node restarts and resumes that are due; a frozen node downed by the others exits: restart it
      for (Map.Entry<Integer, Long> e : new ArrayList<>(resumeAt.entrySet())) {
        if (ms >= e.getValue()) {
          cluster.resume(e.getKey());
          resumeAt.remove(e.getKey());
          faultOf("freeze", cluster.node(e.getKey()).name()).ifPresent(f -> {
            f.endedAt = elapsed();
            f.endMillis = System.currentTimeMillis();
          });
          out.printf("%n[%6.1f s] resumed %s (SIGCONT)%n", elapsed(), cluster.node(e.getKey()).name());
        }
      }
      if (partition != null) {
        for (int i = 0; i < n; i++) {
          if (!cluster.node(i).isRunning() && !restartAt.containsKey(i) && partition.downed.add(i)) {
            out.printf("%n[%6.1f s] %s exited during %s %s%n", elapsed(), cluster.node(i).name(), partition.kind,
                partition.sides);
          }
        }
        if (partition.endMillis == 0 && healing.isDone()) {
          double[] healed = healing.join();
          partition.endMillis = (long) healed[0];
          partition.endedAt = healed[1];
          settleBy = ms + SETTLE_TIMEOUT.toMillis();
          out.printf("%n[%6.1f s] healed %s %s%n", partition.endedAt, partition.kind, partition.sides);
        } else if (partition.endMillis > 0 && (whole(candidates(restartAt, resumeAt)) || ms >= settleBy)) {
          settle(partition, ms >= settleBy && !whole(candidates(restartAt, resumeAt)));
          partition = null;
        }
      }
      if (ms - lastInstancesPoll >= INSTANCES_POLL.toMillis() && settings.network()) {
        lastInstancesPoll = ms;
        instances();
      }
      for (int i = 0; i < n; i++) {
        if (partition != null && partition.endMillis == 0) {
          break; // a node the partition downed starts again after the heal
        }
        if (!cluster.node(i).isRunning() && !restartAt.containsKey(i) && !resumeAt.containsKey(i)) {
          out.printf("%n[%6.1f s] %s exited (downed by the cluster); restarting it%n", elapsed(), cluster.node(i).name());
          restartAt.put(i, ms);
        }
      }
      for (Map.Entry<Integer, Long> e : new ArrayList<>(restartAt.entrySet())) {
        CompletableFuture<Integer> left = leaving.get(e.getKey());
        if (left != null && left.isDone()) {
          leaving.remove(e.getKey());
          int code = left.join();
          faultOf("leave", cluster.node(e.getKey()).name()).ifPresent(f -> {
            f.endedAt = elapsed();
            f.detail = code == EXIT_KILLED
                ? "did not exit within " + LEAVE_TIMEOUT.toSeconds() + " s of SIGTERM: killed"
                : "exited by itself with code " + code;
          });
          out.printf("%n[%6.1f s] %s %s%n", elapsed(), cluster.node(e.getKey()).name(), code == EXIT_KILLED
              ? "did not exit within " + LEAVE_TIMEOUT.toSeconds() + " s of SIGTERM and was killed" : "has left");
        }
        if (ms >= e.getValue() && !leaving.containsKey(e.getKey())) {
          restartAt.remove(e.getKey());
          cluster.start(e.getKey());
          faultOf("kill", cluster.node(e.getKey()).name()).ifPresent(f -> f.endedAt = elapsed());
          out.printf("%n[%6.1f s] restarted %s%n", elapsed(), cluster.node(e.getKey()).name());
        }
      }
      // new faults
      boolean killByCount = killsByCount < settings.killAtRecords().size()
          && count >= settings.killAtRecords().get(killsByCount);
      boolean killByTime = faultWindow && ms >= nextKill && settings.killInterval().toMillis() > 0;
      // a network fault that is due goes first if it was due no later than the kill; while one
      // holds or settles, no node is killed, frozen or left
      boolean partitionDue = partition == null && faultWindow && nextPartition < plan.size() && rescaling == null
          && ms >= plan.get(nextPartition).at().toMillis();
      boolean partitionFirst = partitionDue && (!killByTime || plan.get(nextPartition).at().toMillis() <= nextKill);
      // in a network run, a fault also waits until the records of the earlier ones flow again:
      // a fault that hits the instances of one not measured yet moves them again, and the earlier
      // one's recovery would be the later one's. Each earlier fault is waited for until it ended
      // (a network fault: settled) and MEASURE_WAIT after that at most; one that cannot be
      // measured any more is not waited for.
      boolean waitForMeasure = settings.network() && faults.stream().anyMatch(f -> awaitsMeasure(f, ms));
      if (partition != null || partitionFirst || waitForMeasure) {
        killByCount = false;
        killByTime = false;
      }
      partitionFirst &= !waitForMeasure;
      // Keep a majority: a node is killed or frozen only when the cluster is whole again, every
      // node running and an Up member. Killing a second node while the first one is still
      // rejoining leaves two members, and keep-majority then downs everyone on the side without
      // the lowest address. A fault that is due waits for that, it is not dropped.
      boolean freezeDue = faultWindow && !freezeDone && ms >= settings.freezeAt().toMillis() && partition == null
          && !partitionFirst;
      List<Integer> candidates = killByTime || killByCount || freezeDue ? candidates(restartAt, resumeAt) : List.of();
      if (!candidates.isEmpty() && whole(candidates)) {
        if (killByTime || killByCount) {
          if (killByCount) {
            killsByCount++;
          }
          if (killByTime) {
            nextKill = ms + settings.killInterval().toMillis();
          }
          List<Integer> others = new ArrayList<>(candidates);
          others.remove(Integer.valueOf(lastVictim)); // a different node than last time
          if (rescaling != null && others.size() > 1) {
            // not the node the rescale request waits on: its answer says what became of the job (the
            // request is not idempotent); any other node, the job coordinator's included, may die
            others.remove(Integer.valueOf(rescaleVia));
          }
          List<Integer> preferred = hosting(others, settings.victimOperator());
          List<Integer> pool = preferred.isEmpty() ? others : preferred;
          int victim = pool.get(random.nextInt(pool.size()));
          lastVictim = victim;
          nodeFaults++;
          if (settings.gracefulLeaves() && nodeFaults % 2 == 0) {
            MutableFault f = begin("leave", cluster.node(victim).name(), count);
            leaving.put(victim, CompletableFuture.supplyAsync(() -> cluster.stop(victim, LEAVE_TIMEOUT)));
            restartAt.put(victim, ms + settings.restartDelay().toMillis());
            out.printf("%n[%6.1f s] %s leaves (SIGTERM); %d instance(s) lived there%n", f.atSeconds, f.target,
                f.victims.size());
          } else {
            MutableFault f = begin("kill", cluster.node(victim).name(), count);
            cluster.kill(victim);
            restartAt.put(victim, ms + settings.restartDelay().toMillis());
            out.printf("%n[%6.1f s] killed %s (SIGKILL); %d instance(s) lived there%n", f.atSeconds, f.target,
                f.victims.size());
          }
        } else {
          freezeDone = true;
          int victim = candidates.get(random.nextInt(candidates.size()));
          MutableFault f = begin("freeze", cluster.node(victim).name(), count);
          cluster.freeze(victim);
          resumeAt.put(victim, ms + settings.freezeFor().toMillis());
          out.printf("%n[%6.1f s] froze %s (SIGSTOP) for %d s%n", f.atSeconds, f.target,
              settings.freezeFor().toSeconds());
        }
      }
      if (partitionFirst && leaving.isEmpty()) {
        List<Integer> whole = candidates(restartAt, resumeAt);
        if (!whole.isEmpty() && whole(whole)) {
          NetworkSchedule.Planned p = plan.get(nextPartition++);
          partition = beginNetwork(p, count);
          NetworkFaults net = cluster.network().orElseThrow().faults();
          try {
            p.apply(net);
          } catch (RuntimeException e) { // a split is several commands: undo those that were made
            heal(net);
            throw e;
          }
          MutableFault held = partition;
          healing = CompletableFuture.supplyAsync(() -> {
            String problem = heal(net);
            if (problem != null) {
              held.detail = (held.detail.isEmpty() ? "" : held.detail + "; ") + problem;
              out.printf("%n[%6.1f s] %s%n", elapsed(), problem);
            }
            return new double[] {System.currentTimeMillis(), elapsed()};
          }, CompletableFuture.delayedExecutor(p.length().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS,
              healer));
          out.printf("%n[%6.1f s] %s %s for %d s; %d instance(s) lived on %s%n", partition.atSeconds, partition.kind,
              partition.sides, p.length().toSeconds(), partition.victims.size(), partition.target);
        }
      }
      List<Integer> rescales = settings.rescales();
      int via = faultWindow && rescaling == null && partition == null && rescalesDone < rescales.size()
          && ms >= durationMs * (rescalesDone + 1) / (rescales.size() + 1) ? readyNode(restartAt, resumeAt) : -1;
      if (via >= 0) { // due, and a node is ready to take the request (one that was just restarted may not be)
        int to = rescales.get(rescalesDone++);
        rescaleFault = begin("rescale", "parallelism " + to, count);
        String from = jobId;
        String node = cluster.node(via).name();
        rescaleVia = via;
        rescaling = CompletableFuture.supplyAsync(() -> cluster.post(via, "/jobs/" + from + "/rescale",
            Map.of("parameters", Map.of("parallelism", Integer.toString(to))), RESCALE_TIMEOUT)
            .orElseGet(() -> com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("error", node + " did not answer (it died, or took over " + RESCALE_TIMEOUT.toSeconds() + " s)")));
        out.printf("%n[%6.1f s] rescaling %s to parallelism %d through %s (savepoint, stop, restore)%n",
            rescaleFault.atSeconds, from, to, node);
      }
      if (faultWindow && !cassandraDone && ms >= settings.cassandraKillAt().toMillis()) {
        cassandraDone = true;
        MutableFault f = begin("cassandra", "cassandra", count);
        cassandraWatch.expectKill();
        cassandra.kill();
        out.printf("%n[%6.1f s] killed Cassandra (SIGKILL) for %d s%n", f.atSeconds, settings.cassandraDown().toSeconds());
        long restartMs = settings.cassandraDown().toMillis();
        cassandraRestart = CompletableFuture.runAsync(() -> {
          LockSupport.parkNanos(restartMs * 1_000_000L);
          Duration took = cassandra.start();
          f.endedAt = elapsed();
          f.endMillis = System.currentTimeMillis();
          out.printf("%n[%6.1f s] Cassandra serves CQL again (restart took %.1f s)%n", elapsed(), took.toMillis() / 1000.0);
        });
      }

      if (ms - lastPrint >= 1000) {
        lastPrint = ms;
        StringBuilder up = new StringBuilder();
        for (int i = 0; i < n; i++) {
          up.append(resumeAt.containsKey(i) ? "z" : cluster.node(i).isRunning() ? "+" : "-");
        }
        MutableFault last = faults.isEmpty() ? null : faults.get(faults.size() - 1);
        String line = String.format("[%6.1f s] %-9s %,12d records delivered  %,8.0f/s  nodes %s  ", ms / 1000.0,
            state, count, lastRate, up);
        if ("DEGRADED".equals(state) && cause != null) { // the cause, cut to fit the line
          line = Lines.cut(line + Lines.shorten(cause, Math.max(10, Lines.width() - 1 - line.length())),
              Lines.width() - 1);
        } else {
          line += "last fault: " + (last == null ? "none" : last.kind + " " + last.target + " at "
              + String.format("%.1f s", last.atSeconds)
              + (last.recovery == null ? "" : String.format(", flowing again after %.1f s", last.recovery)));
        }
        out.print("\r" + line + " ".repeat(Math.max(0, lastLineLength - line.length())));
        lastLineLength = line.length();
      }
      if (!faultWindow && restartAt.isEmpty() && resumeAt.isEmpty() && killsByCount >= settings.killAtRecords().size()
          && (cassandraRestart == null || cassandraRestart.isDone()) && rescaling == null && partition == null
          && drainDeadline == Long.MAX_VALUE) {
        drainDeadline = ms + settings.drainTimeout().toMillis();
        out.printf("%n[%6.1f s] fault window over; draining the job ...%n", elapsed());
      }
      if (!"RUNNING".equals(status) && restartAt.isEmpty() && resumeAt.isEmpty()
          && (cassandraRestart == null || cassandraRestart.isDone()) && rescaling == null && partition == null) {
        break;
      }
      if (ms > drainDeadline) {
        out.printf("%nthe job did not finish within the drain timeout (%d s)%n", settings.drainTimeout().toSeconds());
        break;
      }
      LockSupport.parkNanos(250_000_000L);
    }
    if (cassandraRestart != null) {
      cassandraRestart.join();
    }
    watchCassandra();
    double seconds = elapsed();
    out.printf("%n[%6.1f s] job %s %s with %,d records at the sinks%n", seconds, jobs.size() == 1 ? jobId
        : String.join(" -> ", jobs), status, lastCount);
    Verdict verdict = verify();
    if (partition != null) { // the run ended while it held or settled
      if (partition.endMillis == 0) {
        double[] healed = healing.join();
        partition.endMillis = (long) healed[0];
        partition.endedAt = healed[1];
      }
      settle(partition, true);
    }
    // a fault that settled as the job finished, or whose victims the job's end overtook between two polls
    measure((System.nanoTime() - t0) / 1_000_000, lastCount);
    if (!plan.isEmpty()) {
      out.printf("%d of %d planned network fault(s) made within the fault window%n", nextPartition, plan.size());
    }
    JournalVerdict journal = settings.network() ? checkJournal() : null;
    if (journal != null) {
      out.println(journal.summary());
      journal.interleavings().forEach(i -> out.println("  - " + i));
    }
    List<Fault> done = faults.stream().map(MutableFault::freeze).toList();
    return new Result(jobs.get(0), status, verdict, done, List.copyOf(timeline), lastCount, seconds, stallCause,
        cassandraDeath == null ? null : cassandraDeath.summary(), jobs, journal);
  }

  /**
   * Reads the journal of every operator instance seen during the run (in the nodes' keyspace, with
   * node 1's Cassandra settings) and finds the instances written by two incarnations interleaved.
   */
  private JournalVerdict checkJournal() {
    io.sluice.cluster.NodeConfig c = cluster.node(0).config();
    List<String> interleavings = new ArrayList<>();
    long events = 0;
    try (com.datastax.oss.driver.api.core.CqlSession session = c.cassandraSecurity()
        .sessionBuilder(c.contactPoints(), c.localDatacenter()).build()) {
      for (String instance : instancesSeen) {
        List<Long> writers = JournalWriters.writers(session, c.keyspace(), JournalWriters.persistenceId(instance));
        events += writers.size();
        if (writers.isEmpty()) { // a check that read nothing proves nothing
          interleavings.add(instance + ": no event found in the journal");
        }
        JournalWriters.interleaving(instance, writers).ifPresent(interleavings::add);
      }
    } catch (RuntimeException e) {
      return new JournalVerdict(instancesSeen.size(), events, interleavings, "the journal in keyspace " + c.keyspace()
          + " could not be read: " + e.getMessage());
    }
    if (instancesSeen.isEmpty()) {
      return new JournalVerdict(0, 0, List.of(), "no node listed an instance of the job");
    }
    return new JournalVerdict(instancesSeen.size(), events, interleavings, null);
  }

  /** Says at once, and loudly, if the dev Cassandra died without this run killing it. */
  private void watchCassandra() {
    cassandraWatch.poll().ifPresent(d -> {
      if (cassandraDeath == null) {
        cassandraDeath = d;
      }
      out.printf("%n%n*** [%6.1f s] %s%n", elapsed(), d.summary());
      for (String line : d.evidence()) {
        out.println("***   " + Lines.shorten(line, 400));
      }
      for (Path f : d.files()) {
        out.println("***   see " + f);
      }
      out.println("*** The job cannot make progress until Cassandra runs again (bin/sluice cassandra start).");
      out.println();
    });
  }

  /**
   * Given the nodes that run and are not due for a restart or resume ({@link #candidates}): all of
   * them do, and they are all Up, reachable members.
   */
  private boolean whole(List<Integer> candidates) {
    return candidates.size() == cluster.nodes().size() && cluster.allMembersUp(candidates.get(0));
  }

  private List<Integer> candidates(Map<Integer, Long> restartAt, Map<Integer, Long> resumeAt) {
    List<Integer> c = new ArrayList<>();
    for (int i = 0; i < cluster.nodes().size(); i++) {
      if (cluster.node(i).isRunning() && !restartAt.containsKey(i) && !resumeAt.containsKey(i)) {
        c.add(i);
      }
    }
    return c;
  }

  /** A node that runs, is not due for a restart or resume, and answers /ready; -1 if none does. */
  private int readyNode(Map<Integer, Long> restartAt, Map<Integer, Long> resumeAt) {
    for (int i : candidates(restartAt, resumeAt)) {
      if (cluster.get(i, "/ready").map(j -> j.path("httpStatus").asInt() == 200).orElse(false)) {
        return i;
      }
    }
    return -1;
  }

  /** The nodes among {@code nodes} that run an instance of {@code operator} (none if it is null). */
  private List<Integer> hosting(List<Integer> nodes, String operator) {
    List<Integer> out = new ArrayList<>();
    if (operator == null) {
      return out;
    }
    instances().ifPresent(list -> {
      for (JsonNode i : list) {
        String[] id = i.path("instance").asText().split("/");
        if (id.length == 3 && id[1].equals(operator)) {
          for (int n : nodes) {
            if (cluster.node(n).name().equals(i.path("node").asText()) && !out.contains(n)) {
              out.add(n);
            }
          }
        }
      }
    });
    return out;
  }

  /** The job's instances as a node lists them; remembers their ids for the journal check. */
  private Optional<JsonNode> instances() {
    Optional<JsonNode> list = anyNode("/jobs/" + jobId + "/instances");
    list.ifPresent(l -> {
      for (JsonNode i : l) {
        instancesSeen.add(i.path("instance").asText());
        if (!i.path("finished").asBoolean()) {
          lastRunning = l;
        }
      }
    });
    return list;
  }

  /**
   * Begins network fault {@code p}: its victims are the instances on the nodes that may lose it,
   * the smaller side of an isolation or a split, both nodes of a cut, the node cut from Cassandra.
   */
  private MutableFault beginNetwork(NetworkSchedule.Planned p, long count) {
    List<Integer> exposed = switch (p.kind()) {
      case SPLIT -> p.sideB();
      case ISOLATE, CUT_CASSANDRA -> p.sideA();
      default -> p.nodes();
    };
    List<String> names = exposed.stream().map(i -> cluster.node(i).name()).toList();
    MutableFault f = begin(p.kind().label(), String.join(" + ", names), count);
    f.sides = p.sides(i -> cluster.node(i).name());
    f.heldMillis = p.length().toMillis();
    Map<String, Long> victims = new LinkedHashMap<>();
    instances().ifPresent(list -> {
      for (JsonNode i : list) {
        if (names.contains(i.path("node").asText()) && !i.path("finished").asBoolean()) {
          victims.put(i.path("instance").asText(), i.path("incarnation").asLong());
          f.victimNodes.put(i.path("instance").asText(), i.path("node").asText());
        }
      }
    });
    f.victims = victims;
    return f;
  }

  /**
   * Settles a healed network fault: which nodes stayed and which downed themselves. When nodes
   * went down, the recovery counts their instances only (they moved); else every victim, measured
   * from the heal for those that stayed where they were.
   */
  private void settle(MutableFault f, boolean gaveUp) {
    List<String> stayed = new ArrayList<>();
    List<String> downed = new ArrayList<>();
    for (int i = 0; i < cluster.nodes().size(); i++) {
      (f.downed.contains(i) ? downed : stayed).add(cluster.node(i).name());
    }
    // held as measured: a heal that came late shows
    f.network = new Network(f.sides, (f.endMillis > 0 ? f.endMillis - f.atMillis : f.heldMillis) / 1000.0, stayed,
        downed);
    if (!downed.isEmpty()) { // only the instances of the downed nodes had to move
      Map<String, Long> onDowned = new LinkedHashMap<>(f.victims);
      onDowned.keySet().removeIf(id -> !downed.contains(f.victimNodes.get(id)));
      if (!onDowned.isEmpty()) {
        f.victims = onDowned;
      }
    }
    String clusters = gaveUp ? clusters() : "";
    f.detail = (f.detail.isEmpty() ? "" : f.detail + "; ") + "stayed: " + (stayed.isEmpty() ? "none"
        : String.join(", ", stayed)) + "; downed themselves: " + (downed.isEmpty() ? "none" : String.join(", ", downed))
        + (gaveUp ? "; the cluster was not whole " + SETTLE_TIMEOUT.toSeconds() + " s after the heal" + clusters : "");
    if (!clusters.isEmpty()) {
      out.printf("%n*** [%6.1f s] after %s %s the cluster is not whole%s%n", elapsed(), f.kind, f.sides, clusters);
    }
    f.settled = true;
    f.settledAt = elapsed();
    out.printf("%n[%6.1f s] %s %s settled: stayed %s, downed themselves %s%n", elapsed(), f.kind, f.sides,
        stayed.isEmpty() ? "none" : String.join(", ", stayed), downed.isEmpty() ? "none" : String.join(", ", downed));
  }

  /**
   * The clusters the running nodes are in, as they see their Up members: "" when they all agree,
   * else "; N clusters: [node-3] and [node-1, node-2]" (a split brain: each side may run the job).
   */
  private String clusters() {
    java.util.Set<java.util.SortedSet<String>> seen = new java.util.LinkedHashSet<>();
    for (int i = 0; i < cluster.nodes().size(); i++) {
      if (!cluster.node(i).isRunning()) {
        continue;
      }
      cluster.get(i, "/cluster").ifPresent(j -> {
        java.util.SortedSet<String> members = new java.util.TreeSet<>();
        for (JsonNode m : j.path("members")) {
          if ("Up".equals(m.path("status").asText())) {
            members.add(nameOf(m.path("address").asText()));
          }
        }
        seen.add(members);
      });
    }
    if (seen.size() < 2) {
      return "";
    }
    return "; " + seen.size() + " clusters: " + String.join(" and ", seen.stream().map(Object::toString).toList());
  }

  /** The name of the node at Artery address {@code address} (as /cluster lists it), else the address. */
  private String nameOf(String address) {
    for (LocalCluster.Node n : cluster.nodes()) {
      if (address.endsWith("@" + n.address()) || address.equals(n.address())) {
        return n.name();
      }
    }
    return address;
  }

  private MutableFault begin(String kind, String target, long count) {
    MutableFault f = new MutableFault(kind, target, System.currentTimeMillis(), elapsed());
    f.countAtFault = count;
    Map<String, Long> victims = new LinkedHashMap<>();
    if (!kind.equals("cassandra")) {
      instances().ifPresent(list -> {
        for (JsonNode i : list) {
          if (target.equals(i.path("node").asText()) && !i.path("finished").asBoolean()) {
            victims.put(i.path("instance").asText(), i.path("incarnation").asLong());
          }
        }
      });
    }
    f.victims = victims;
    faults.add(f);
    return f;
  }

  private Optional<MutableFault> faultOf(String kind, String target) {
    for (int i = faults.size() - 1; i >= 0; i--) {
      MutableFault f = faults.get(i);
      if (f.kind.equals(kind) && f.target.equals(target) && f.endedAt == null) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** Updates the recovery times of open faults. */
  private void measure(long ms, long count) {
    JsonNode instances = null;
    for (MutableFault f : faults) {
      if (f.recovery != null) {
        continue;
      }
      if (f.kind.equals("rescale")) {
        // records flow again when the sinks of the new job have received records
        if (f.endedAt != null && count > f.countAtFault) {
          f.recovery = ms / 1000.0 - f.atSeconds;
        }
        continue;
      }
      if (f.kind.equals("cassandra")) {
        // records flow again when the sinks receive records after Cassandra is back
        if (f.endedAt != null && count > f.countAtFault && f.stalled) {
          f.recovery = ms / 1000.0 - f.atSeconds;
        } else if (count == f.countAtFault || f.endedAt == null) {
          f.stalled = true;
          f.countAtFault = count;
        }
        continue;
      }
      if (f.sides != null && !f.settled) {
        continue; // which of its victims had to move is known when it settled
      }
      if (f.victims.isEmpty()) {
        f.recovery = 0.0;
        f.detail = "no running instance lived on " + f.target;
        continue;
      }
      if (instances == null) {
        instances = instances().orElse(null);
        if (instances == null) {
          return;
        }
      }
      long resumed = (f.kind.equals("freeze") || f.sides != null) && f.endMillis > 0 ? f.endMillis : -1;
      java.util.OptionalLong latest = flowingAgain(instances, f.victims, f.atMillis, resumed);
      if (latest.isEmpty() && f.sides != null && lastRunning != null) {
        // a job that finished lists its instances no more: the last list of a running job tells
        latest = flowingAgain(lastRunning, f.victims, f.atMillis, resumed);
      }
      if (latest.isPresent()) {
        f.recovery = (latest.getAsLong() - f.atMillis) / 1000.0;
        String recovered = f.victims.size() + " instance(s) recovered";
        f.detail = f.detail.isEmpty() ? recovered : f.detail + "; " + recovered;
      }
    }
  }

  /**
   * When the instances of a fault's victim node flowed again: the latest time (epoch millis) at
   * which each of {@code victims} (entity id → its incarnation at the fault), as listed in
   * {@code instances} (GET /jobs/{id}/instances), consumed input — in a new incarnation after
   * {@code movedSince}, or, if {@code resumedSince} ≥ 0 (a frozen node resumed then), in its old
   * incarnation after {@code resumedSince}. Empty while one has not, or is not listed yet (a
   * coordinator that just moved knows only the instances that reported to it since). An instance
   * that finished counts only if it consumed input in a new incarnation (the job may end before a
   * poll saw it running: the coordinator lists an ended job's instances as they last reported).
   */
  public static java.util.OptionalLong flowingAgain(JsonNode instances, Map<String, Long> victims, long movedSince,
      long resumedSince) {
    long latest = 0;
    int seen = 0;
    for (JsonNode i : instances) {
      Long old = victims.get(i.path("instance").asText());
      if (old == null) {
        continue;
      }
      seen++;
      boolean moved = i.path("incarnation").asLong() != old;
      if (i.path("finished").asBoolean() && (!moved || i.path("firstInputMillis").asLong() <= movedSince)) {
        continue; // it needed no recovery, or finished without consuming input again
      }
      if (!moved && resumedSince < 0) {
        return java.util.OptionalLong.empty(); // still the incarnation of the dead (or still frozen) node
      }
      long flowing = moved ? i.path("firstInputMillis").asLong() : i.path("lastInputMillis").asLong();
      if (flowing <= (moved ? movedSince : resumedSince) || flowing == 0) {
        return java.util.OptionalLong.empty();
      }
      latest = Math.max(latest, flowing);
    }
    return seen == victims.size() && latest > 0 ? java.util.OptionalLong.of(latest) : java.util.OptionalLong.empty();
  }

  private Optional<JsonNode> anyNode(String path) {
    for (int i = 0; i < cluster.nodes().size(); i++) {
      if (cluster.node(i).isRunning()) {
        Optional<JsonNode> j = cluster.get(i, path);
        if (j.isPresent() && j.get().path("httpStatus").asInt(200) == 200) {
          return j;
        }
      }
    }
    return Optional.empty();
  }

  private Verdict verify() {
    return withFactory(f -> f.verify(Parameters.of(settings.parameters()), jobs).orElse(null));
  }

  /** The pipeline's factory: the jar's own (from its own classes) or one on this classpath; null if none. */
  private <R> R withFactory(java.util.function.Function<PipelineFactory, R> use) {
    if (settings.jar() != null) {
      try (JobClassLoader l = new JobClassLoader("verify", settings.jar(), ChaosRun.class.getClassLoader())) {
        PipelineFactory f = JarInspector.factories(l, settings.jar().toString()).get(settings.pipeline());
        return f == null ? null : use.apply(f);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    ServicePipelineResolver pipelines = new ServicePipelineResolver(ChaosRun.class.getClassLoader());
    PipelineFactory f = pipelines.factories().get(settings.pipeline());
    return f == null ? null : use.apply(f);
  }

  /** Lets the pipeline make what it needs outside Sluice (topics, input) before it is submitted. */
  private void prepare() {
    withFactory(f -> {
      try {
        f.prepare(Parameters.of(settings.parameters()));
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("preparing " + settings.pipeline() + " failed: " + e, e);
      }
      return null;
    });
  }

  /** The settings' defaults for a keyed-totals run of {@code duration} at {@code rate} records/s. */
  public static Map<String, String> keyedTotals(long keys, long rate, Duration duration, Path output) {
    Map<String, String> p = new LinkedHashMap<>();
    long perKey = Math.max(1, rate * duration.toSeconds() / keys);
    p.put("keys", Long.toString(keys));
    p.put("records-per-key", Long.toString(perKey));
    p.put("rate", Long.toString(rate));
    p.put("output", output.toString());
    return p;
  }

}
