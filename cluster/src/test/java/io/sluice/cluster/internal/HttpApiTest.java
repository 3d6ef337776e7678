package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Request bodies are bounded per route, and a body over the bound gets an answer, not a reset; what
 * the router answers by itself (404, 405, HEAD, 500), how it decodes paths and queries and which
 * headers it sends stay as clients (the CLI, LocalCluster, the dashboard, scrapers) know them.
 */
class HttpApiTest {
  private static HttpResponse<String> send(int port, String method, String path) throws Exception {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String type(HttpResponse<?> r) {
    return r.headers().firstValue("Content-Type").orElse("");
  }

  @Test
  void whenNoRouteAnswers_thenJson404Or405_andHeadOnAGetRouteIs405WithoutBody() throws Exception {
    try (HttpApi http = new HttpApi("127.0.0.1", 0)) {
      http.route("GET", "/things/([^/]+)", r -> HttpApi.Response.ok(r.param(0)));
      http.start();
      HttpResponse<String> missing = send(http.port(), "GET", "/nothing/here");
      assertEquals(404, missing.statusCode());
      assertEquals("{\n  \"error\" : \"no such endpoint: /nothing/here\"\n}", missing.body());
      assertEquals("application/json; charset=utf-8", type(missing));
      HttpResponse<String> wrongMethod = send(http.port(), "DELETE", "/things/a");
      assertEquals(405, wrongMethod.statusCode());
      assertEquals("{\n  \"error\" : \"DELETE is not allowed on /things/a\"\n}", wrongMethod.body());
      HttpResponse<String> head = send(http.port(), "HEAD", "/things/a");
      assertEquals(405, head.statusCode());
      assertEquals("", head.body());
      assertEquals(404, send(http.port(), "GET", "/things/a/").statusCode(), "the regex covers the whole path");
    }
  }

  @Test
  void pathGroupsAndQueryParametersArriveDecoded_theLastOfARepeatedParameterWins() throws Exception {
    try (HttpApi http = new HttpApi("127.0.0.1", 0)) {
      http.route("GET", "/echo/([^/]+)", r -> HttpApi.Response.ok(Map.of("method", r.method(),
          "params", r.pathParams(), "query", r.query())));
      http.start();
      HttpResponse<String> r = send(http.port(), "GET", "/echo/a%20b+c%252F?x=1&y=a+b%26&z&x=2&e=%E2%82%AC");
      assertEquals(200, r.statusCode(), r.body());
      @SuppressWarnings("unchecked")
      Map<String, Object> body = HttpApi.JSON.readValue(r.body(), Map.class);
      assertEquals("GET", body.get("method"));
      assertEquals(List.of("a b c/"), body.get("params"));
      assertEquals(Map.of("x", "2", "y", "a b&", "z", "", "e", "\u20ac"), body.get("query"));
    }
  }

  @Test
  void textKeepsItsContentTypeAsWritten_headersAreAdded_andAFailureIs500WithItsMessageOnly() throws Exception {
    try (HttpApi http = new HttpApi("127.0.0.1", 0)) {
      http.route("GET", "/metrics", r -> HttpApi.Response.text("text/plain; version=0.0.4; charset=utf-8", "up 1\n"));
      http.route("GET", "/made", r -> new HttpApi.Response(201, List.of(1, 2),
          Map.of("X-Sluice", "yes", "Cache-Control", "no-cache", "Content-Type", "text/ignored")));
      http.route("GET", "/boom", r -> {
        throw new IllegalStateException("boom");
      });
      http.start();
      HttpResponse<String> metrics = send(http.port(), "GET", "/metrics");
      assertEquals("text/plain; version=0.0.4; charset=utf-8", type(metrics));
      assertEquals("up 1\n", metrics.body());
      HttpResponse<String> made = send(http.port(), "GET", "/made");
      assertEquals(201, made.statusCode());
      assertEquals("[ 1, 2 ]", made.body());
      assertEquals("application/json; charset=utf-8", type(made), "the body decides the content type");
      assertEquals(Optional.of("yes"), made.headers().firstValue("X-Sluice"));
      assertEquals(Optional.of("no-cache"), made.headers().firstValue("Cache-Control"));
      HttpResponse<String> boom = send(http.port(), "GET", "/boom");
      assertEquals(500, boom.statusCode());
      assertEquals("{\n  \"error\" : \"java.lang.IllegalStateException: boom\"\n}", boom.body());
      assertFalse(boom.body().contains("at io.sluice"), "never a stack trace");
    }
  }

  private static HttpResponse<String> post(int port, String path, byte[] body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aBodyOverTheRoutesLimitIsRefusedWith413_andOneWithinIsHandled() throws Exception {
    try (HttpApi http = new HttpApi("127.0.0.1", 0)) {
      http.route("POST", "/small", r -> HttpApi.Response.ok(Map.of("bytes", r.body().length)));
      // over Pekko HTTP's default max-to-strict-bytes (8 MiB): the route's limit is the one that counts
      http.route("POST", "/large", 12 << 20, r -> HttpApi.Response.ok(Map.of("bytes", r.body().length)));
      http.start();
      assertEquals(200, post(http.port(), "/small", new byte[1 << 20]).statusCode());
      HttpResponse<String> over = post(http.port(), "/small", new byte[(1 << 20) + 1]);
      assertEquals(413, over.statusCode());
      assertTrue(over.body().contains("larger than the 1048576 bytes /small takes"), over.body());
      HttpResponse<String> large = post(http.port(), "/large", new byte[12 << 20]);
      assertEquals(200, large.statusCode(), large.body());
      assertTrue(large.body().contains("12582912"), large.body());
      // far over the limit: the client still gets the answer (the body is read and dropped, never kept)
      HttpResponse<String> huge = post(http.port(), "/large", new byte[20 << 20]);
      assertEquals(413, huge.statusCode());
    }
  }

  @Test
  void aRequestThatOutlivesTheRequestTimeoutGetsAJsonError() throws Exception {
    org.apache.pekko.actor.typed.ActorSystem<Void> system = org.apache.pekko.actor.typed.ActorSystem.create(
        org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "http-timeout", com.typesafe.config.ConfigFactory
            .parseString("pekko.actor.provider = local\npekko.http.server.request-timeout = 1s")
            .withFallback(com.typesafe.config.ConfigFactory.load()));
    java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(1);
    try (HttpApi http = new HttpApi(system, "127.0.0.1", 0, BearerToken.NONE)) {
      http.route("GET", "/slow", r -> {
        answered.await(30, java.util.concurrent.TimeUnit.SECONDS); // held until the client has its answer
        return HttpApi.Response.ok("late");
      });
      http.start();
      HttpResponse<String> slow = send(http.port(), "GET", "/slow");
      answered.countDown();
      assertEquals(503, slow.statusCode(), slow.body());
      assertEquals("application/json; charset=utf-8", type(slow));
      assertTrue(slow.body().contains("pekko.http.server.request-timeout") && slow.body().contains("GET /slow"),
          slow.body());
    } finally {
      answered.countDown();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  /*
   * A node binds its port before it has started (so that a client of a restarting node is not
   * refused): a request that arrives in between waits, and is served by the routes added before
   * start(), even a route added after the request came in.
   */
  @Test
  void aRequestBeforeStartWaitsForIt_andIsServedByTheRoutesOfStart() throws Exception {
    try (HttpApi http = new HttpApi("127.0.0.1", 0)) {
      http.listen();
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", http.port())) {
        s.setSoTimeout(30_000);
        s.getOutputStream().write("GET /late HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        http.route("GET", "/late", r -> HttpApi.Response.ok("served after start"));
        http.start();
        String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(answer.startsWith("HTTP/1.1 200 OK") && answer.contains("served after start"), answer);
      }
    }
  }
}
