package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
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
    return HttpProbe.get(http, path);
  }

  private String rawStatus(String path) throws IOException {
    return HttpProbe.rawStatus(http, path);
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
