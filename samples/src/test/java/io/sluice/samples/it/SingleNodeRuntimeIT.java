package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.samples.KeyedTotals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The runtime on one node JVM with the real Cassandra: keyed running totals over the generator
 * must reach the file sink exactly — every key's sequence numbers 1..n once each and in order,
 * every total right — when nothing fails, when a user function throws once mid-run, and when an
 * operator instance is stopped hard mid-run.
 */
class SingleNodeRuntimeIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static LocalCluster cluster;
  private static Path out;

  @BeforeAll
  static void startNode() throws Exception {
    Path home = DevCassandra.home();
    out = home.resolve("target/it-out/single-node");
    Files.createDirectories(out);
    cluster = new LocalCluster(home, List.of(Path.of("conf/node-1.conf")), cassandra.jvmFlags(),
        home.resolve("target/it-logs/single-node"));
    cluster.start(0);
    assertTrue(cluster.awaitReady(0, Duration.ofSeconds(180)), "the node did not start:\n" + cluster.tail(0, 40));
  }

  @AfterAll
  static void stopNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Map<String, String> totals(String name, long keys, long perKey) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("keys", Long.toString(keys));
    p.put("records-per-key", Long.toString(perKey));
    p.put("output", out.resolve(name).toString());
    return p;
  }

  private static Verdict verdict(Map<String, String> params, String jobId) {
    Verdict v = new KeyedTotals().verify(Parameters.of(params), jobId).orElseThrow();
    System.out.println("[single-node] " + jobId + ": " + v.summary());
    return v;
  }

  @Test
  void whenOneNodeRunsAMillionRecordsOverTenThousandKeys_thenEveryTotalIsExact() {
    Map<String, String> p = totals("plain", 10_000, 100);
    long t0 = System.nanoTime();
    String job = NodeJobs.submit(cluster, "keyed-totals", p);
    JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
    System.out.printf("[single-node] 1,000,000 records exactly-once in %.1f s (submission to end)%n",
        (System.nanoTime() - t0) / 1e9);
    assertEquals("FINISHED", end.path("status").asText());
    Verdict v = verdict(p, job);
    assertTrue(v.exact(), v.summary());
    assertEquals(1_000_000, v.delivered());
  }

  /*
   * Design of this test: the running-total function throws once, on key 0's 50th record (a marker
   * file makes the failure transient, like a flaky dependency). The job's restart strategy
   * (fixed delay, 3 attempts) restarts the instance from its persisted state and retries the batch;
   * the output must still be exact, and the job must show the recovery.
   */
  @Test
  void whenAFunctionThrowsOnceMidRun_thenTheRestartStrategyRetriesAndTotalsStayExact() {
    Map<String, String> p = totals("throw-once", 2_000, 100);
    Path marker = out.resolve("throw-once.marker-" + System.nanoTime());
    p.put("fail-once-at", "50");
    p.put("fail-once-marker", marker.toString());
    String job = NodeJobs.submit(cluster, "keyed-totals", p);
    JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
    assertEquals("FINISHED", end.path("status").asText(), "the job failed: " + end.path("failedError").asText());
    assertTrue(Files.exists(marker), "the injected failure never happened");
    assertTrue(end.path("recoveries").asLong() >= 1, "no recovery was recorded: " + end);
    Verdict v = verdict(p, job);
    assertTrue(v.exact(), v.summary());
  }

  /*
   * Design of this test: the job is rate-limited so that it runs for a while; once a third of the
   * records reached the sink, instance totals/0 is made to fail at once (no step finished, nothing
   * flushed). It comes back on the coordinator's next keep-alive from its latest snapshot (every
   * 10 events here) and the journal after it, resends its outbox, and asks its upstreams to resend.
   */
  @Test
  void whenAnInstanceIsStoppedHardMidRun_thenItRecoversFromSnapshotAndJournalTailAndTotalsStayExact() {
    Map<String, String> p = totals("crash", 1_000, 150);
    p.put("rate", "15000");
    p.put("snapshot-every", "10");
    String job = NodeJobs.submit(cluster, "keyed-totals", p);
    NodeJobs.awaitSinkRecords(cluster, job, 50_000, Duration.ofMinutes(2));
    long before = incarnation(job, "totals/0");
    JsonNode crash = cluster.post(0, "/jobs/" + job + "/instances/totals/0/crash", Map.of()).orElseThrow();
    assertEquals(200, crash.path("httpStatus").asInt());
    assertTrue(cluster.awaitAnswer(0, "/jobs/" + job + "/instances", j -> {
      for (JsonNode i : j) {
        if (i.path("instance").asText().endsWith("/totals/0")) {
          return i.path("incarnation").asLong() != before && i.path("firstInputMillis").asLong() > 0;
        }
      }
      return false;
    }, Duration.ofSeconds(30)).isPresent(), "totals/0 did not recover");
    JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
    assertEquals("FINISHED", end.path("status").asText());
    assertNotEquals(0, snapshotSequenceNumber(job + "/totals/0"), "totals/0 never took a snapshot");
    Verdict v = verdict(p, job);
    assertTrue(v.exact(), v.summary());
  }

  private long incarnation(String job, String instance) {
    JsonNode list = cluster.awaitAnswer(0, "/jobs/" + job + "/instances", j -> j.size() > 0, Duration.ofSeconds(10))
        .orElseThrow();
    for (JsonNode i : list) {
      if (i.path("instance").asText().equals(job + "/" + instance)) {
        return i.path("incarnation").asLong();
      }
    }
    throw new AssertionError("no instance " + instance + " in " + list);
  }

  private long snapshotSequenceNumber(String entityId) {
    try (CqlSession s = cassandra.session()) {
      long max = 0;
      for (Row r : s.execute(SimpleStatement.newInstance("SELECT sequence_nr FROM " + cassandra.keyspace()
          + ".snapshots WHERE persistence_id = ?", "sluice-op|" + entityId).setTimeout(Duration.ofSeconds(30)))) {
        max = Math.max(max, r.getLong(0));
      }
      return max;
    }
  }
}
