package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Request bodies are bounded per route, and a body over the bound gets an answer, not a reset. */
class HttpApiTest {
  private static HttpResponse<String> post(int port, String path, byte[] body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aBodyOverTheRoutesLimitIsRefusedWith413_andOneWithinIsHandled() throws Exception {
    try (HttpApi http = new HttpApi("127.0.0.1", 0)) {
      http.route("POST", "/small", r -> HttpApi.Response.ok(Map.of("bytes", r.body().length)));
      http.route("POST", "/large", 3 << 20, r -> HttpApi.Response.ok(Map.of("bytes", r.body().length)));
      http.start();
      assertEquals(200, post(http.port(), "/small", new byte[1 << 20]).statusCode());
      HttpResponse<String> over = post(http.port(), "/small", new byte[(1 << 20) + 1]);
      assertEquals(413, over.statusCode());
      assertTrue(over.body().contains("larger than the 1048576 bytes /small takes"), over.body());
      HttpResponse<String> large = post(http.port(), "/large", new byte[3 << 20]);
      assertEquals(200, large.statusCode());
      assertTrue(large.body().contains("3145728"), large.body());
      // far over the limit: the client still gets the answer (the body is read and dropped, never kept)
      HttpResponse<String> huge = post(http.port(), "/large", new byte[20 << 20]);
      assertEquals(413, huge.statusCode());
    }
  }
}
