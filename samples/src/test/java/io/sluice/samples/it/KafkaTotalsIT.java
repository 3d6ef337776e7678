package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.samples.KafkaTotals;
import java.nio.file.Path;
import java.util.Optional;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.persistence.testkit.KafkaExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kafka in, Kafka out, on real node JVMs with a node killed; and SQL over a Kafka table.
 *
 * <p>Design of these tests: each runs the {@code kafka-totals} sample with the chaos tool's own
 * engine ({@link ChaosRun}) on three node JVMs from conf/, against the dev Kafka broker and the
 * dev Cassandra. The sample's {@code prepare} fills a fresh input topic (4 partitions) with the
 * deterministic generator's records; when the sinks have received about a fifth of the output,
 * one node is killed with SIGKILL and restarted 5 s later. Its source instances (partitions) and
 * sink instances (open transactions) recover on the survivors. When the bounded job has finished,
 * the output topic is read as a {@code read_committed} consumer reads it and compared with the
 * right answer computed from the generator: every key's running totals 1..n, in order, none lost,
 * none twice. The at-least-once run must lose nothing; its duplicates are counted, not refused.
 * Waits are the chaos engine's (drain timeout 5 minutes, stall detection 2 minutes), and every
 * process the test starts is stopped by it.
 */
class KafkaTotalsIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  @RegisterExtension
  static final KafkaExtension kafka = new KafkaExtension();

  /** 2,000 keys x 150 records over 4 partitions, on topics of the run {@code name}. */
  private static Map<String, String> params(String name) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("bootstrap-servers", kafka.bootstrapServers());
    p.put("input-topic", kafka.topicName(name + "-in"));
    p.put("output-topic", kafka.topicName(name + "-out"));
    p.put("partitions", "4");
    p.put("keys", "2000");
    p.put("records-per-key", "150");
    return p;
  }

  private static ChaosRun.Result run(String name, Map<String, String> extra) {
    Map<String, String> p = params(name);
    p.putAll(extra);
    ChaosRun.Settings s = new ChaosRun.Settings("kafka-totals", p, Duration.ZERO, Duration.ZERO,
        Duration.ofSeconds(5), 42, null, Duration.ofSeconds(8), null, Duration.ofSeconds(10), Duration.ofMinutes(5),
        List.of(60_000L));
    ChaosRun.Result r = ChaosScenarios.run(cassandra, name, s);
    assertEquals(1, r.faults().size(), "one kill: " + r.faults());
    assertNotNull(r.faults().get(0).recoverySeconds(), "recovery after the kill not measured: " + r.faults());
    assertNotNull(r.verdict(), "no verdict");
    return r;
  }

  @Test
  void whenANodeIsKilled_thenTheOutputTopicHoldsEveryTotalExactlyOnce() {
    ChaosRun.Result r = run("kafka-eos", Map.of());
    ChaosScenarios.assertExact(r);
  }

  /*
   * The broker itself is killed (SIGKILL) while the job runs: the source instances lose their
   * connections, so the job must say DEGRADED with Kafka named in the cause within a minute (a
   * reader reports after 10 s without a connection); then the broker is started again and the job
   * must resume on its own, finish, and be exact. The broker is restarted in a finally block, so a
   * failing test leaves it running for the others.
   */
  @Test
  void whenTheBrokerIsKilled_thenTheJobSaysDegradedAndResumesExactly() throws Exception {
    String name = "kafka-outage";
    Map<String, String> p = params(name);
    KafkaTotals pipeline = new KafkaTotals();
    pipeline.prepare(Parameters.of(p));
    Path home = DevCassandra.home();
    try (LocalCluster cluster = new LocalCluster(home, ChaosScenarios.NODES, cassandra.jvmFlags(),
        home.resolve("target/it-logs").resolve(name))) {
      ChaosScenarios.assertPortsFree(cluster);
      NodeJobs.startAll(cluster);
      String job = NodeJobs.submit(cluster, KafkaTotals.NAME, p);
      NodeJobs.awaitSinkRecords(cluster, job, 30_000, Duration.ofSeconds(120));
      long killedAt = System.nanoTime();
      try {
        assertTrue(kafka.devKafka().kill(), "the broker was not running");
        System.out.printf("[%s] broker killed at %d records%n", name,
            cluster.get(0, "/jobs/" + job).orElseThrow().path("sinkRecords").asLong());
        Optional<JsonNode> degraded = cluster.awaitAnswer(0, "/jobs/" + job,
            j -> "DEGRADED".equals(j.path("state").asText()) && j.path("cause").asText().contains("Kafka"),
            Duration.ofSeconds(60));
        assertTrue(degraded.isPresent(), "the job did not say DEGRADED naming Kafka within 60 s; last view: "
            + cluster.get(0, "/jobs/" + job).map(JsonNode::toString).orElse("none"));
        System.out.printf("[%s] DEGRADED after %.1f s: %s%n", name, (System.nanoTime() - killedAt) / 1e9,
            degraded.get().path("cause").asText());
      } finally {
        kafka.devKafka().start();
      }
      System.out.printf("[%s] broker back after %.1f s%n", name, (System.nanoTime() - killedAt) / 1e9);
      JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
      assertEquals("FINISHED", end.path("status").asText(), end.toString());
      Verdict v = pipeline.verify(Parameters.of(p), job).orElseThrow();
      System.out.println("[" + name + "] VERDICT: " + v.summary());
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(300_000, v.expected());
    }
  }

  /*
   * SQL over a Kafka table: csv-windows with sql=true and kafka= reads 500,000 orders as JSON
   * messages from a topic of 4 partitions (a bounded scan) and writes per-user totals of 10 s
   * tumbling windows to CSV, with a node killed mid-run; the sample's verifier compares every row.
   */
  @Test
  void whenANodeIsKilledUnderSqlOverAKafkaTable_thenEveryWindowRowIsExact() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("sql", "true");
    p.put("kafka", kafka.bootstrapServers());
    p.put("topic", kafka.topicName("sql-orders"));
    p.put("partitions", "4");
    p.put("keys", "1000");
    p.put("records", "500000");
    p.put("output", DevCassandra.home().resolve("target/it-out/kafka-sql").toString());
    ChaosRun.Settings s = new ChaosRun.Settings("csv-windows", p, Duration.ZERO, Duration.ZERO,
        Duration.ofSeconds(5), 42, null, Duration.ofSeconds(8), null, Duration.ofSeconds(10), Duration.ofMinutes(5),
        List.of(10_000L));
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "kafka-sql", s);
    assertEquals(1, r.faults().size(), "one kill: " + r.faults());
    assertNotNull(r.faults().get(0).recoverySeconds(), "recovery after the kill not measured: " + r.faults());
    ChaosScenarios.assertExact(r);
    assertEquals(49_999, r.verdict().expected(), "1,000 users in 50 ten-second windows, less the one (user,"
        + " window) the orders' definition leaves without an order");
  }

  @Test
  void atLeastOnce_whenANodeIsKilled_thenNothingIsLost() {
    ChaosRun.Result r = run("kafka-alo", Map.of("sink-guarantee", "at-least-once"));
    assertEquals("FINISHED", r.status(), "the job did not finish");
    assertEquals(0, r.verdict().lost(), "at-least-once lost records: " + r.verdict().summary());
    assertEquals(0, r.verdict().wrong(), "wrong totals: " + r.verdict().summary());
  }
}
