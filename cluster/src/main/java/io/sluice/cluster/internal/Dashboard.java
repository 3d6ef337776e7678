package io.sluice.cluster.internal;

import io.sluice.cluster.internal.HttpApi.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * INTERNAL API: the web dashboard every node serves: {@code GET /} is its page, {@code GET /ui/<file>}
 * its scripts and styles, all read from the classpath ({@code io/sluice/cluster/ui/}), so the page
 * needs no network beyond the node. The page reads the node's JSON API (members, jobs, a job's
 * plan and instances) once a second; its Cancel and Savepoint buttons POST like the CLI does.
 *
 * <p>Only files of the known kinds (html, js, css, svg) with plain names are served: a path with
 * {@code ..} gets 400, anything else that is not there 404.
 */
public final class Dashboard {
  private static final String ROOT = "/io/sluice/cluster/ui/";
  private static final Pattern FILE = Pattern.compile("[A-Za-z0-9_-]+\\.([a-z]+)");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml");
  /**
   * The page loads only its own files and talks only to its node; nothing inline runs, so a job
   * name or an error message shown on it cannot become a script.
   */
  private static final Map<String, String> HEADERS = Map.of(
      "Cache-Control", "no-cache",
      "X-Content-Type-Options", "nosniff",
      "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");

  private Dashboard() {}

  /** Adds {@code GET /} and {@code GET /ui/<file>} to {@code http}. */
  public static void register(HttpApi http) {
    http.route("GET", "/", r -> file("index.html"));
    http.route("GET", "/ui/(.+)", r -> file(r.param(0)));
  }

  /** The asset {@code name}: 200 with its content type, 400 for a path that climbs, else 404. */
  static Response file(String name) throws IOException {
    if (name.contains("..")) {
      return Response.error(400, "a path with '..' is not served: " + name);
    }
    Matcher m = FILE.matcher(name);
    String type = m.matches() ? TYPES.get(m.group(1)) : null;
    if (type == null) {
      return Response.error(404, "no such file: /ui/" + name);
    }
    try (InputStream in = Dashboard.class.getResourceAsStream(ROOT + name)) {
      if (in == null) {
        return Response.error(404, "no such file: /ui/" + name);
      }
      return new Response(200, new HttpApi.Text(type, new String(in.readAllBytes(), StandardCharsets.UTF_8)),
          HEADERS);
    }
  }
}
