package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's page and assets come from the classpath with their content types; every file the
 * page names is served from the node itself (nothing from elsewhere); a path that climbs or a file
 * that is not there is refused.
 */
class DashboardTest {
  private HttpApi http;

  @BeforeEach
  void start() throws IOException {
    http = new HttpApi("127.0.0.1", 0);
    Dashboard.register(http);
    http.start();
  }

  @AfterEach
  void stop() {
    http.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The status line of a request sent as it is, so that no client normalizes the path first. */
  private String rawStatus(String path) throws IOException {
    try (Socket s = new Socket("127.0.0.1", http.port())) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return answer.substring(0, answer.indexOf("\r\n"));
    }
  }

  @Test
  void theRootIsThePage_andEveryFileItNamesIsServedFromTheNodeWithItsType() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
    Matcher refs = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(page.body());
    int assets = 0;
    while (refs.find()) {
      String ref = refs.group(1);
      if (ref.startsWith("data:") || ref.startsWith("#")) {
        continue;
      }
      assertTrue(ref.startsWith("/ui/"), "the page must load only the node's own files, not " + ref);
      HttpResponse<String> asset = get(ref);
      assertEquals(200, asset.statusCode(), ref);
      String type = asset.headers().firstValue("Content-Type").orElse("");
      assertEquals(ref.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8", type, ref);
      assertLocal(ref, asset.body());
      assets++;
    }
    assertEquals(2, assets, "the page's script and style sheet");
    assertLocal("/", page.body());
  }

  /** Names nothing on another host (the SVG namespace is a name, not something fetched). */
  private static void assertLocal(String file, String body) {
    String b = body.replace("http://www.w3.org/2000/svg", "");
    assertTrue(!b.contains("http://") && !b.contains("https://") && !b.contains("url(//"),
        file + " refers to something elsewhere");
  }

  @Test
  void whenThePathClimbs_then400_andWhenTheFileIsNotThere_then404() throws Exception {
    assertEquals("HTTP/1.1 400 Bad Request", rawStatus("/ui/../Dashboard.class"));
    assertEquals("HTTP/1.1 400 Bad Request", rawStatus("/ui/..%2F..%2Freference.conf"));
    assertEquals(404, get("/ui/missing.js").statusCode());
    assertEquals(404, get("/ui/index.exe").statusCode(), "only the known kinds of file");
    assertEquals(404, get("/ui/sub/index.html").statusCode());
    assertEquals(404, get("/ui/").statusCode());
  }
}
