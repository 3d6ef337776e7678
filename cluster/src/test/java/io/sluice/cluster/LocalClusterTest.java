package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.sluice.persistence.cassandra.DevCassandra;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link LocalCluster} reads each node's config as the node will (its file, then the {@code -D}
 * flags it starts the node with) and sends the node's API token with its requests.
 *
 * <p>Design of this test: no node runs; a stub HTTP server listens on the port the node file names
 * and records the Authorization header of each request.
 */
class LocalClusterTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path home;

  private HttpServer server;
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();

  @BeforeEach
  void startStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      authorizations.put(ex.getRequestMethod() + " " + ex.getRequestURI().getPath(),
          String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      byte[] b = "{}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    server.start();
    Files.createDirectories(home.resolve("conf"));
    Files.copy(DevCassandra.home().resolve("conf/base.conf"), home.resolve("conf/base.conf"));
    Files.write(home.resolve("conf/node-1.conf"), List.of("include \"base.conf\"",
        "pekko.remote.artery.canonical.port = 25529", "sluice.node.http.port = " + server.getAddress().getPort()));
  }

  @AfterEach
  void stopStub() {
    server.stop(0);
  }

  @Test
  void theTokenFileOfAFlag_isReadAgainstTheHome_andSentWithEveryRequest() throws IOException {
    Files.writeString(home.resolve("conf/api-token"), TOKEN + "\n");
    Path jar = Files.write(home.resolve("app.jar"), new byte[] {'P', 'K'});
    try (LocalCluster cluster = new LocalCluster(home, List.of(Path.of("conf/node-1.conf")),
        List.of("-Dsluice.node.http.token-file=conf/api-token", "-Dsluice.node.chaos-mode=on"), home.resolve("logs"))) {
      assertEquals(true, cluster.node(0).config.chaosMode());
      assertEquals(200, cluster.post(0, "/jobs", Map.of()).orElseThrow().path("httpStatus").asInt());
      cluster.delete(0, "/savepoints/sp-1").orElseThrow();
      cluster.upload(0, jar);
      cluster.get(0, "/jobs").orElseThrow();
    }
    Map<String, String> expected = new TreeMap<>(Map.of("POST /jobs", "Bearer " + TOKEN, "DELETE /savepoints/sp-1",
        "Bearer " + TOKEN, "POST /jars", "Bearer " + TOKEN, "GET /jobs", "Bearer " + TOKEN));
    assertEquals(expected, new TreeMap<>(authorizations));
  }

  @Test
  void withoutATokenFile_nothingIsSent() {
    try (LocalCluster cluster = new LocalCluster(home, List.of(Path.of("conf/node-1.conf")), List.of(),
        home.resolve("logs"))) {
      cluster.post(0, "/jobs", Map.of()).orElseThrow();
    }
    assertEquals(Map.of("POST /jobs", "null"), authorizations);
  }
}
