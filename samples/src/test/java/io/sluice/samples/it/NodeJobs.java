package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Submitting and following jobs on a {@link LocalCluster} from tests. */
final class NodeJobs {
  private NodeJobs() {}

  static String submit(LocalCluster cluster, String pipeline, Map<String, String> params) {
    JsonNode r = cluster.post(0, "/jobs", Map.of("pipeline", pipeline, "parameters", params)).orElseThrow();
    assertEquals(201, r.path("httpStatus").asInt(), "submission refused: " + r.path("error").asText());
    return r.path("jobId").asText();
  }

  /** Starts every node of {@code cluster} and waits until they are ready and form the cluster. */
  static void startAll(LocalCluster cluster) {
    int n = cluster.nodes().size();
    for (int i = 0; i < n; i++) {
      cluster.start(i);
    }
    java.util.List<Integer> all = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      assertTrue(cluster.awaitReady(i, Duration.ofSeconds(180)), "node " + i + " not ready:\n" + cluster.tail(i, 40));
      all.add(i);
    }
    assertTrue(cluster.awaitMembersUp(0, all, Duration.ofSeconds(60)), "the cluster did not form");
  }

  /** Polls the job until it ends; returns its last view. */
  static JsonNode awaitEnd(LocalCluster cluster, String jobId, Duration timeout) {
    Optional<JsonNode> end = cluster.awaitAnswer(0, "/jobs/" + jobId,
        j -> !"RUNNING".equals(j.path("status").asText()) && j.path("httpStatus").asInt() == 200, timeout);
    assertTrue(end.isPresent(), "job " + jobId + " did not end within " + timeout + "; last view: "
        + cluster.get(0, "/jobs/" + jobId).map(JsonNode::toString).orElse("none"));
    return end.get();
  }

  /** Waits until the job's sinks received at least {@code records}. */
  static void awaitSinkRecords(LocalCluster cluster, String jobId, long records, Duration timeout) {
    assertTrue(cluster.awaitAnswer(0, "/jobs/" + jobId, j -> j.path("sinkRecords").asLong() >= records, timeout)
        .isPresent(), "job " + jobId + " did not reach " + records + " records at its sinks within " + timeout);
  }

  /** Deletes {@code dir} and everything under it, if it exists. */
  static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(dir)) {
      for (java.nio.file.Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }
}
