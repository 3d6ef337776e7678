package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.sluice.cluster.internal.BearerToken;
import io.sluice.cluster.internal.ChaosReports;
import io.sluice.cluster.internal.Dashboard;
import io.sluice.cluster.internal.HttpApi;
import io.sluice.persistence.jars.JobJars;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI description ({@code GET /openapi.json}) and the routes a node registers describe
 * the same API: every route has exactly one described operation and every described operation is
 * a route, with the same method; every mutating operation names the bearer token and a JSON error.
 */
class OpenApiTest {
  /** The routes SluiceNode adds itself, beside JobsApi's and the dashboard's (as SluiceNode.init registers them). */
  private static final List<String> NODE_ROUTES = List.of("GET /alive", "GET /ready", "GET /cluster",
      "GET /canary/([A-Za-z0-9_.-]+)", "GET /metrics", "GET /openapi.json");

  @Test
  void theDescriptionAndTheRoutesAgree() throws Exception {
    JsonNode doc;
    try (InputStream in = io.sluice.cluster.SluiceNode.class.getResourceAsStream("openapi.json")) {
      doc = new ObjectMapper().readTree(in);
    }
    assertEquals("3.0.3", doc.path("openapi").asText());
    List<String> routes = new ArrayList<>(NODE_ROUTES);
    ActorTestKit kit = ActorTestKit.create("openapi", ConfigFactory.parseString(""
        + "pekko.actor.provider = local\n"
        + "sluice.jars.store = memory\n"
        + "sluice.jars.cache-dir = \"target/test-jars-" + UUID.randomUUID() + "\"\n")
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve());
    try (HttpApi http = new HttpApi("127.0.0.1", 0, BearerToken.NONE)) {
      new JobsApi(kit.system(), kit.spawn(Behaviors.<JobCoordinator.Command>ignore()),
          new ServicePipelineResolver(getClass().getClassLoader()), new RecordingPeers(), JobJars.get(kit.system()),
          true).register(http);
      Dashboard.register(http);
      ChaosReports.register(http, null);
      routes.addAll(http.routeTable());
    } finally {
      kit.shutdownTestKit();
    }
    TreeSet<String> unmatchedRoutes = new TreeSet<>(routes);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
      for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
        String method = op.getKey().toUpperCase(java.util.Locale.ROOT);
        String sample = path.getKey().replaceAll("\\{index\\}", "0").replaceAll("\\{id\\}", "ab".repeat(32))
            .replaceAll("\\{[^}]+\\}", "x1");
        List<String> matching = routes.stream().filter(r -> r.startsWith(method + " ")
            && sample.matches(r.substring(method.length() + 1))).toList();
        if (matching.size() != 1) {
          problems.add(method + " " + path.getKey() + " matches " + matching.size() + " routes: " + matching);
        }
        unmatchedRoutes.removeAll(matching);
        boolean mutating = !method.equals("GET");
        if (mutating != op.getValue().has("security") || mutating != op.getValue().path("responses").has("401")) {
          problems.add(method + " " + path.getKey() + ": a mutating operation needs the bearer security and a 401,"
              + " a GET neither");
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
    assertTrue(unmatchedRoutes.isEmpty(), "routes the description lacks: " + unmatchedRoutes);
  }
}
