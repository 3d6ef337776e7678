package io.sluice.cluster.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INTERNAL API: a small JSON-over-HTTP router on the JDK's HTTP server. Handlers return a
 * {@link Response}; an exception becomes a 500 with its message, never a stack trace on the wire.
 *
 * <p>Every route whose method is not GET or HEAD changes something, so it is <em>mutating</em>:
 * when the router has a token, such a request is handled only if it carries
 * {@code Authorization: Bearer <token>}, otherwise it gets 401 with {@code WWW-Authenticate: Bearer}
 * before its body is read. The check belongs to the route table, so a new POST route cannot miss it.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** What a handler answers; {@code headers} are added to the answer's (Content-Type: JSON, unless the body is {@link Text}). */
  public record Response(int status, Object body, Map<String, String> headers) {
    public Response {
      headers = Map.copyOf(headers);
    }

    public Response(int status, Object body) {
      this(status, body, Map.of());
    }

    public static Response ok(Object body) {
      return new Response(200, body);
    }

    public static Response error(int status, String message) {
      return new Response(status, Map.of("error", message));
    }

    /** A body sent as it is, not as JSON. */
    public static Response text(String contentType, String text) {
      return new Response(200, new Text(contentType, text));
    }
  }

  /** A response body that is not JSON. */
  public record Text(String contentType, String text) {}

  /** A request: the path's captured groups, the query string's parameters, the body. */
  public record Request(String method, List<String> pathParams, Map<String, String> query, byte[] body) {
    public String param(int i) {
      return pathParams.get(i);
    }
  }

  /** Handles one route. */
  @FunctionalInterface
  public interface Handler {
    Response handle(Request request) throws Exception;
  }

  /**
   * A route; {@code large} (non-null for bodies over DEFAULT_MAX_BODY) lets one such request in at a
   * time; a {@code mutating} one needs the token, if there is one.
   */
  private record Route(String method, Pattern path, long maxBody, java.util.concurrent.Semaphore large,
      Handler handler) {
    boolean mutating() {
      return !method.equals("GET") && !method.equals("HEAD");
    }
  }

  /** How long a request with a large body waits for the one before it. */
  static final long LARGE_BODY_WAIT_SECONDS = 30;

  /** The largest request body a route takes unless it says otherwise. */
  public static final long DEFAULT_MAX_BODY = 1 << 20;

  private final HttpServer server;
  private final ExecutorService executor;
  private final List<Route> routes = new ArrayList<>();
  private final BearerToken token;

  /** A router whose mutating routes are open to anyone who reaches {@code host:port}. */
  public HttpApi(String host, int port) throws IOException {
    this(host, port, BearerToken.NONE);
  }

  /** A router whose mutating routes need {@code token} ({@link BearerToken#NONE}: they do not). */
  public HttpApi(String host, int port, BearerToken token) throws IOException {
    this.token = token;
    this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "sluice-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::dispatch);
  }

  /** Adds a route; {@code path} is a regex over the whole path, its groups become path parameters. */
  public HttpApi route(String method, String path, Handler handler) {
    return route(method, path, DEFAULT_MAX_BODY, handler);
  }

  /** As {@link #route(String, String, Handler)}, taking bodies of up to {@code maxBody} bytes (larger: 413). */
  public HttpApi route(String method, String path, long maxBody, Handler handler) {
    routes.add(new Route(method, Pattern.compile(path), maxBody,
        maxBody > DEFAULT_MAX_BODY ? new java.util.concurrent.Semaphore(1) : null, handler));
    return this;
  }

  /** The routes, each as its method, a space and its path's regex, in the order they were added. */
  public List<String> routeTable() {
    List<String> out = new ArrayList<>();
    for (Route r : routes) {
      out.add(r.method() + " " + r.path().pattern());
    }
    return out;
  }

    public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void dispatch(HttpExchange ex) throws IOException {
    Response response;
    try {
      response = route(ex);
    } catch (Exception e) {
      log.warn("HTTP {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      response = Response.error(500, e.toString());
    }
    byte[] bytes;
    response.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    if (response.body() instanceof Text t) {
      bytes = t.text().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", t.contentType());
    } else {
      bytes = JSON.writeValueAsBytes(response.body());
      ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    }
    ex.sendResponseHeaders(response.status(), bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private Response route(HttpExchange ex) throws Exception {
    String path = ex.getRequestURI().getPath();
    boolean pathKnown = false;
    for (Route r : routes) {
      Matcher m = r.path().matcher(path);
      if (!m.matches()) {
        continue;
      }
      pathKnown = true;
      if (!r.method().equals(ex.getRequestMethod())) {
        continue;
      }
      if (r.mutating()) {
        Optional<Response> refused = token.check(ex.getRequestHeaders().getFirst("Authorization"));
        if (refused.isPresent()) {
          log.warn("refused {} {} from {}: 401 {}", ex.getRequestMethod(), path, ex.getRemoteAddress(),
              refused.get().headers().get("WWW-Authenticate"));
          discard(ex.getRequestBody(), DEFAULT_MAX_BODY);
          return refused.get();
        }
      }
      List<String> params = new ArrayList<>();
      for (int i = 1; i <= m.groupCount(); i++) {
        params.add(java.net.URLDecoder.decode(m.group(i), StandardCharsets.UTF_8));
      }
      // a large body (a jar) is held in memory while it is handled: one at a time bounds that
      if (r.large() != null && !r.large().tryAcquire(LARGE_BODY_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
        return Response.error(503, "another request to " + path + " has been running for over "
            + LARGE_BODY_WAIT_SECONDS + " s; try again");
      }
      try {
        byte[] body = readBody(ex, r.maxBody());
        if (body == null) {
          return Response.error(413, "the request body is larger than the " + r.maxBody() + " bytes " + path
              + " takes");
        }
        return r.handler().handle(new Request(ex.getRequestMethod(), params, query(ex.getRequestURI().getRawQuery()),
            body));
      } finally {
        if (r.large() != null) {
          r.large().release();
        }
      }
    }
    return pathKnown ? Response.error(405, ex.getRequestMethod() + " is not allowed on " + path)
        : Response.error(404, "no such endpoint: " + path);
  }

  /**
   * The body, or null if it has more than {@code max} bytes. A body over the limit is read and
   * dropped (up to {@link #DISCARD_LIMIT}) so that the client, still sending, gets the answer
   * rather than a reset connection; it is never held in memory.
   */
  private static byte[] readBody(HttpExchange ex, long max) throws IOException {
    java.io.InputStream in = ex.getRequestBody();
    byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
    if (b.length <= max) {
      return b;
    }
    discard(in, DISCARD_LIMIT - b.length);
    return null;
  }

  /** Reads and drops up to {@code limit} bytes of what is left of a body. */
  private static void discard(java.io.InputStream in, long limit) throws IOException {
    long dropped = 0;
    byte[] buf = new byte[64 * 1024];
    int n;
    while (dropped < limit && (n = in.read(buf)) > 0) {
      dropped += n;
    }
  }

  /** How much of a too-large body is read and dropped before the answer. */
  static final long DISCARD_LIMIT = 512L << 20;

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new java.util.LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String kv : raw.split("&")) {
      int eq = kv.indexOf('=');
      String k = eq < 0 ? kv : kv.substring(0, eq);
      String v = eq < 0 ? "" : kv.substring(eq + 1);
      q.put(java.net.URLDecoder.decode(k, StandardCharsets.UTF_8), java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return q;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
