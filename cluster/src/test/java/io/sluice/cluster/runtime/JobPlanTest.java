package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.cluster.internal.HttpApi;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.persistence.jars.JobJars;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /jobs/{id}/plan} shows a running job's operator graph: each operator with its kind,
 * parallelism and the steps chained into it, each edge with its partitioning; an unknown job is 404.
 *
 * <p>Design of this test: a real job coordinator on the in-memory journal, with every message
 * serialized (so the plan crosses the CBOR serializer as it does from the singleton's node), behind
 * {@link JobsApi} on a real {@link HttpApi}, as a node wires them. The pipeline has a chained map, a
 * keyed edge and a rebalance into a sink of another parallelism.
 */
class JobPlanTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static CoordinatorTestKit testKit;
  private static HttpApi http;

  @BeforeAll
  static void start() throws Exception {
    testKit = new CoordinatorTestKit("job-plan", pipeline(), System::currentTimeMillis);
    http = new HttpApi("127.0.0.1", 0);
    new JobsApi(testKit.kit.system(), testKit.coordinator,
        new ServicePipelineResolver(JobPlanTest.class.getClassLoader()), new RecordingPeers(),
        JobJars.get(testKit.kit.system()), false).register(http);
    http.start();
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    testKit.close();
  }

  /** events (with "values" chained) --keyed--> sums --rebalance--> out (one instance). */
  private static Pipeline pipeline() {
    Pipeline.Builder p = Pipeline.builder("graph").config(JobConfig.defaults().withParallelism(2));
    p.readFrom(Sources.generator("events", Generator.keyed(100, 10)))
        .map(GeneratedRecord::value).named("values")
        .keyBy(v -> v % 10).reduce("sums", Long::sum)
        .rebalance()
        .writeTo(Sinks.<Long>discarding("out")).setParallelism(1);
    return p.build();
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void whenAJobRuns_thenItsPlanShowsOperatorsChainingAndEdges() throws Exception {
    String job = testKit.submit("graph");
    HttpResponse<String> res = get("/jobs/" + job + "/plan");
    assertEquals(200, res.statusCode(), res.body());
    JsonNode plan = JSON.readTree(res.body());
    assertEquals(job, plan.path("jobId").asText());
    assertEquals("graph", plan.path("pipeline").asText());

    JsonNode ops = plan.path("operators");
    assertEquals(3, ops.size(), ops.toString());
    assertOperator(ops.get(0), "events", "source", 2);
    assertEquals(1, ops.get(0).path("chained").size(), "the map runs in the source's instances");
    assertEquals("values", ops.get(0).path("chained").get(0).path("name").asText());
    assertEquals("map", ops.get(0).path("chained").get(0).path("kind").asText());
    assertTrue(ops.get(0).path("detail").asText().contains("generator"), ops.get(0).toString());
    assertOperator(ops.get(1), "sums", "reduce", 2);
    assertEquals(0, ops.get(1).path("chained").size());
    assertOperator(ops.get(2), "out", "sink", 1);
    int window = JobConfig.defaults().creditWindow();
    assertEquals(2 * 2 * window, ops.get(0).path("outputCredit").asInt(), "2 instances, each with a channel to 2");
    assertEquals(2 * window, ops.get(1).path("outputCredit").asInt(), "2 instances, each with a channel to 1");
    assertEquals(0, ops.get(2).path("outputCredit").asInt(), "a sink sends nothing");

    JsonNode edges = plan.path("edges");
    assertEquals(2, edges.size(), edges.toString());
    assertEdge(edges.get(0), "events", "sums", "keyed");
    assertEdge(edges.get(1), "sums", "out", "rebalance");
    assertTrue(plan.path("description").asText().contains("[sums] x2"), plan.path("description").asText());
  }

  @Test
  void whenTheJobIsUnknown_then404() throws Exception {
    HttpResponse<String> res = get("/jobs/no-such-job/plan");
    assertEquals(404, res.statusCode());
    assertEquals("no job no-such-job", JSON.readTree(res.body()).path("error").asText());
  }

  private static void assertOperator(JsonNode op, String name, String kind, int parallelism) {
    assertEquals(name, op.path("name").asText(), op.toString());
    assertEquals(kind, op.path("kind").asText(), op.toString());
    assertEquals(parallelism, op.path("parallelism").asInt(), op.toString());
  }

  private static void assertEdge(JsonNode e, String from, String to, String partitioning) {
    assertEquals(from, e.path("from").asText(), e.toString());
    assertEquals(to, e.path("to").asText(), e.toString());
    assertEquals(partitioning, e.path("partitioning").asText(), e.toString());
    assertEquals(false, e.path("late").asBoolean(), e.toString());
  }
}
