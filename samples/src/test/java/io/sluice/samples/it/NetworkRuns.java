package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.NodeNetwork;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.cluster.runtime.ServicePipelineResolver;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What the tests of network faults on node JVMs in namespaces (PartitionIT, NetworkFaultsIT) ask a
 * {@link LocalCluster} running keyed totals, and how they check the end: the job finished with the
 * generator's right answer, and no instance's journal was written by two incarnations interleaved.
 * {@code via} is the node asked.
 */
final class NetworkRuns {
  private NetworkRuns() {}

  /** Three node JVMs from conf/, each in its own network namespace, logging to target/it-logs/{@code name}. */
  static LocalCluster cluster(CassandraExtension cassandra, String name) {
    Path home = DevCassandra.home();
    // the end checks who wrote every event of the journal: keep them all
    List<String> flags = new ArrayList<>(cassandra.jvmFlags());
    flags.add(ChaosRun.KEEP_EVENTS_FLAG);
    return LocalCluster.inNamespaces(home, ChaosScenarios.NODES, flags, home.resolve("target/it-logs").resolve(name),
        NodeNetwork.Settings.defaults());
  }

  /**
   * A job running before a fault: its id, its instances, those on the node the fault is about to
   * hit (entity id -> incarnation), and the records its sinks had.
   */
  record Started(String jobId, List<String> instances, Map<String, Long> victims, long records) {}

  /**
   * Starts the nodes, submits keyed totals with {@code params} and waits until 100,000 records
   * reached the sinks; asserts that an instance lives on node {@code target} (none if negative).
   */
  static Started startJob(LocalCluster cluster, Map<String, String> params, String name, int via, int target) {
    NodeNetwork net = cluster.network().orElseThrow();
    NodeJobs.startAll(cluster);
    String jobId = NodeJobs.submit(cluster, "keyed-totals", params);
    System.out.printf("[%s] job %s runs on nodes at %s, %s, %s%n", name, jobId, net.address(0), net.address(1),
        net.address(2));
    NodeJobs.awaitSinkRecords(cluster, jobId, 100_000, Duration.ofSeconds(120));
    List<String> instances = List.copyOf(instancesOn(cluster, via, jobId, null).keySet()); // an ended job lists none
    Map<String, Long> victims = Map.of();
    if (target >= 0) {
      victims = instancesOn(cluster, via, jobId, cluster.node(target).name());
      assertFalse(victims.isEmpty(), "no instance lived on " + cluster.node(target).name() + ": " + instances);
    }
    return new Started(jobId, instances, victims, records(cluster, via, jobId));
  }

  /** The running instances on node {@code node} (null: on any node): entity id -> incarnation. */
  static Map<String, Long> instancesOn(LocalCluster cluster, int via, String jobId, String node) {
    Map<String, Long> on = new LinkedHashMap<>();
    for (JsonNode i : cluster.get(via, "/jobs/" + jobId + "/instances").orElseThrow()) {
      if ((node == null || node.equals(i.path("node").asText())) && !i.path("finished").asBoolean()) {
        on.put(i.path("instance").asText(), i.path("incarnation").asLong());
      }
    }
    return on;
  }

  /**
   * Seconds from {@code t0Millis} until every instance of {@code victims} consumed input in a new
   * incarnation (the latest of their first inputs), or null while one has not. With
   * {@code resumed}, an instance that kept its incarnation counts too once it consumed input
   * after {@code t0Millis} (a node that stayed a member).
   */
  static Double flowingAgain(LocalCluster cluster, int via, String jobId, Map<String, Long> victims, long t0Millis,
      boolean resumed) {
    JsonNode list = cluster.get(via, "/jobs/" + jobId + "/instances").orElse(null);
    if (list == null || !list.isArray()) {
      return null;
    }
    java.util.OptionalLong latest = ChaosRun.flowingAgain(list, victims, t0Millis, resumed ? t0Millis : -1);
    return latest.isPresent() ? (latest.getAsLong() - t0Millis) / 1000.0 : null;
  }

  /** Seconds from {@code start} to the time a node log line begins with (HH:mm:ss.SSS), or "?" if it has none. */
  static String since(LocalTime start, String logLine) {
    try {
      LocalTime at = LocalTime.parse(logLine.substring(0, 12));
      return String.format("%.1f", Duration.between(start, at).toMillis() / 1000.0);
    } catch (RuntimeException e) {
      return "?";
    }
  }

  /** The job's view on node {@code via} (it must answer within 30 s). */
  static JsonNode job(LocalCluster cluster, int via, String jobId) {
    return cluster.awaitAnswer(via, "/jobs/" + jobId, j -> j.path("httpStatus").asInt() == 200, Duration.ofSeconds(30))
        .orElseThrow(() -> new AssertionError(cluster.node(via).name() + " did not answer for job " + jobId));
  }

  static long records(LocalCluster cluster, int via, String jobId) {
    return job(cluster, via, jobId).path("sinkRecords").asLong();
  }

  static String names(LocalCluster cluster, Collection<Integer> nodes) {
    List<String> n = new ArrayList<>();
    for (int i : nodes) {
      n.add(cluster.node(i).name());
    }
    return String.join(" + ", n);
  }

  static Verdict verdict(Map<String, String> params, String jobId) {
    PipelineFactory f = new ServicePipelineResolver(NetworkRuns.class.getClassLoader()).factories().get("keyed-totals");
    return f.verify(Parameters.of(params), List.of(jobId)).orElseThrow();
  }

  /**
   * What a test saw while a fault held, in seconds after the fault (null: not while it held): when
   * the processes of every downed node had exited, when the survivors saw only themselves as
   * members, and when every instance that lived on a downed node consumed input again elsewhere.
   */
  record Takeover(Double downedGone, Double survivorsAlone, Double flowing) {}

  /**
   * Watches a fault that must get {@code downed} downed (their processes exit) while
   * {@code survivors} carry on and take over {@code victims} (entity id -> incarnation at the
   * fault), from {@code t0} (System.nanoTime) and {@code t0Millis} (wall clock) for at most
   * {@code hold}; with {@code early}, only until everything was seen. Each process and the
   * membership is watched on its own thread, so that a request the fault holds up delays no other
   * observation.
   */
  static Takeover watchTakeover(LocalCluster cluster, int via, String jobId, List<Integer> downed,
      List<Integer> survivors, Map<String, Long> victims, long t0, long t0Millis, Duration hold, boolean early)
      throws Exception {
    long until = t0 + hold.toNanos();
    ExecutorService watchers = Executors.newFixedThreadPool(downed.size() + 1);
    List<Future<Double>> gone = new ArrayList<>();
    Future<Double> alone;
    Double flowing = null;
    try {
      for (int d : downed) {
        gone.add(watchers.submit(() -> cluster.node(d).process().orElseThrow()
            .awaitExit(Duration.ofNanos(Math.max(0, until - System.nanoTime())))
            .map(code -> (System.nanoTime() - t0) / 1e9).orElse(null)));
      }
      alone = watchers.submit(() -> LocalCluster.await(Duration.ofNanos(Math.max(0, until - System.nanoTime())),
          () -> cluster.awaitMembersUp(via, survivors, Duration.ZERO)) ? (System.nanoTime() - t0) / 1e9 : null);
      while (System.nanoTime() < until
          && !(early && flowing != null && alone.isDone() && gone.stream().allMatch(Future::isDone))) {
        if (flowing == null) { // from the instances' own clocks: the poll's delay does not count
          flowing = flowingAgain(cluster, via, jobId, victims, t0Millis, false);
        }
        LockSupport.parkNanos(Math.min(250_000_000L, Math.max(1, until - System.nanoTime())));
      }
    } finally {
      watchers.shutdown();
    }
    assertTrue(watchers.awaitTermination(30, TimeUnit.SECONDS), "the watchers did not end");
    Double last = 0.0;
    for (Future<Double> g : gone) {
      last = last == null || g.get() == null ? null : Math.max(last, g.get());
    }
    return new Takeover(last, alone.get(), flowing);
  }

  /**
   * {@code t.flowing()}, or, if the victims did not consume input while the fault held, the time
   * they do within 60 s more; fails if they do not.
   */
  static double flowingAfter(LocalCluster cluster, int via, String jobId, Map<String, Long> victims, long t0Millis,
      Takeover t) {
    if (t.flowing() != null) {
      return t.flowing();
    }
    Double[] f = new Double[1];
    assertTrue(LocalCluster.await(Duration.ofSeconds(60), () -> (f[0] = flowingAgain(cluster, via, jobId, victims,
        t0Millis, false)) != null), "the instances " + victims.keySet() + " did not consume input on the survivors"
        + " within 60 s after the fault: " + cluster.get(via, "/jobs/" + jobId + "/instances")
        .map(JsonNode::toString).orElse("no answer"));
    return f[0];
  }

  /**
   * Starts nodes {@code nodes} again (after a heal) and waits until they are ready and every node
   * is an Up member; returns the seconds from {@code t0} (System.nanoTime) until then.
   */
  static double restartAndRejoin(LocalCluster cluster, List<Integer> nodes, int via, long t0) {
    for (int n : nodes) {
      cluster.start(n);
    }
    for (int n : nodes) {
      assertTrue(cluster.awaitReady(n, Duration.ofSeconds(120)), cluster.node(n).name()
          + " did not become ready after the heal:\n" + cluster.tail(n, 40));
    }
    assertTrue(cluster.awaitMembersUp(via, cluster.indexes(), Duration.ofSeconds(60)),
        names(cluster, nodes) + " did not rejoin after the heal: "
        + cluster.get(via, "/cluster").map(JsonNode::toString).orElse("no answer"));
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * Waits (4 min at most) until the job ended, asserts it FINISHED with exactly the generator's
   * right answer, and prints the verdict.
   */
  static void assertFinishedExact(LocalCluster cluster, int via, String jobId, Map<String, String> params,
      String name) {
    Optional<JsonNode> end = cluster.awaitAnswer(via, "/jobs/" + jobId,
        j -> j.path("httpStatus").asInt() == 200 && !"RUNNING".equals(j.path("status").asText()),
        Duration.ofMinutes(4));
    assertTrue(end.isPresent(), "the job did not end: " + cluster.get(via, "/jobs/" + jobId));
    assertEquals("FINISHED", end.get().path("status").asText(), end.get().toString());

    Verdict v = verdict(params, jobId);
    System.out.printf("[%s] VERDICT: %s - %s%n", name, v.exact() ? "EXACT" : "NOT EXACT", v.summary());
    assertTrue(v.exact(), v.summary() + " " + v.problems());
    assertEquals(0, v.lost());
    assertEquals(0, v.duplicated());
  }

  /**
   * Reads the journal of every instance of {@code instances}: each has events, and none was written
   * by two incarnations interleaved. Prints the writers of those in {@code shown}.
   */
  static void assertNoInterleavedWriters(CassandraExtension cassandra, Collection<String> instances,
      Collection<String> shown, String name) {
    for (String instance : instances) {
      List<Long> writers = JournalWriters.writers(cassandra, "sluice-op|" + instance);
      assertFalse(writers.isEmpty(), "no events for " + instance);
      JournalWriters.assertNoInterleaving(instance, writers);
      if (shown.contains(instance)) {
        System.out.printf("[%s] %s: %d events by %d incarnation(s), never interleaved%n", name, instance,
            writers.size(), writers.stream().distinct().count());
      }
    }
    System.out.printf("[%s] journal: %d instance(s) checked, none written by two incarnations interleaved%n", name,
        instances.size());
  }
}
