package io.sluice.cluster.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.model.AttributeKeys;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INTERNAL API: a small JSON-over-HTTP router on Pekko HTTP. Handlers return a {@link Response};
 * an exception becomes a 500 with its message, never a stack trace on the wire.
 *
 * <p>Every route whose method is not GET or HEAD changes something, so it is <em>mutating</em>:
 * when the router has a token, such a request is handled only if it carries
 * {@code Authorization: Bearer <token>}, otherwise it gets 401 with {@code WWW-Authenticate: Bearer}
 * before its body is read. The check belongs to the route table, so a new POST route cannot miss it.
 *
 * <p>Handlers block (they ask actors and wait), so they run on the dispatcher
 * {@code sluice.node.http.dispatcher} (a fixed pool), never on Pekko's default dispatcher; Pekko
 * HTTP's own stages only match the route, check the token and collect the body, bounded by the
 * route's maximum ({@code toStrict} on an entity limited to it). Server limits and timeouts are
 * {@code pekko.http.server} in this module's reference.conf.
 *
 * <p>What clients see is what they saw from the JDK server this replaced (HttpApiTest): a HEAD
 * request is routed as HEAD (so a GET route answers 405, without body), no {@code Server} header,
 * content types byte for byte as the handler wrote them, a body over the limit read and dropped
 * (up to {@link #DISCARD_LIMIT}) before the 413 so that a client still sending gets the answer.
 *
 * <p>Why Pekko HTTP and not the JDK server any more, measured with HttpLoadDriver (cluster's tests)
 * on one 2-core machine, the two servers in turns, 3 runs each: at saturation (32 clients) it
 * answers 1,400-2,800 requests/s against 680-710, p50 11-13 ms against 44 ms, at about the same CPU
 * per request (0.2-0.3 ms); under the dashboard's load (3 dashboards, /metrics every 5 s) p50 is
 * 3-4 ms against 2 ms, both far below the 1 s the dashboard polls at. It costs 10 threads more
 * (its own pool and Pekko's I/O), 4-5 MB more live heap, 1-2 s more CPU at start, and C2 compiles
 * for the first minutes (2-5 s of CPU); warm, the dashboard's load takes about 2 s of CPU a minute
 * against 1.5 s.
 *
 * <pre>{@code
 * HttpApi http = new HttpApi(system, "127.0.0.1", 0, BearerToken.NONE)
 *     .route("GET", "/things/([a-z]+)", r -> Response.ok(Map.of("thing", r.param(0))));
 * http.start();
 * int port = http.port();
 * }</pre>
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
  private record Route(String method, Pattern path, long maxBody, Semaphore large, Handler handler) {
    boolean mutating() {
      return !method.equals("GET") && !method.equals("HEAD");
    }
  }

  /** How long a request with a large body waits for the one before it. */
  static final long LARGE_BODY_WAIT_SECONDS = 30;

  /** The largest request body a route takes unless it says otherwise. */
  public static final long DEFAULT_MAX_BODY = 1 << 20;

  /** The dispatcher the handlers run on (a fixed pool, in reference.conf). */
  static final String DISPATCHER = "sluice.node.http.dispatcher";

  /** How long {@link #start()} waits for the port, and {@link #close()} for requests in flight. */
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final boolean ownSystem;
  private final String host;
  private final int requestedPort;
  private final BearerToken token;
  private final Executor handlers;
  private final Materializer materializer;
  private final ServerSettings settings;
  /** How long a body may take to arrive: the server's request timeout. */
  private final long bodyTimeoutMillis;
  private final List<Route> routes = new CopyOnWriteArrayList<>();
  private volatile ServerBinding binding;
  /** Completed by {@link #start()}: requests bound before it wait for it. */
  private final CompletableFuture<Void> serving = new CompletableFuture<>();

  /** A router whose mutating routes are open to anyone who reaches {@code host:port}, on an actor system of its own. */
  public HttpApi(String host, int port) {
    this(host, port, BearerToken.NONE);
  }

  /**
   * A router whose mutating routes need {@code token} ({@link BearerToken#NONE}: they do not), on a
   * local actor system of its own that {@link #close()} terminates (for tests and tools; a node
   * passes its own system).
   */
  public HttpApi(String host, int port, BearerToken token) {
    this(ActorSystem.create(Behaviors.empty(), "sluice-http", com.typesafe.config.ConfigFactory
        .parseString("pekko.actor.provider = local").withFallback(com.typesafe.config.ConfigFactory.load())),
        true, host, port, token);
  }

  /** A router on {@code system}, which outlives it; nothing is bound before {@link #start()}. */
  public HttpApi(ActorSystem<?> system, String host, int port, BearerToken token) {
    this(system, false, host, port, token);
  }

  private HttpApi(ActorSystem<?> system, boolean ownSystem, String host, int port, BearerToken token) {
    this.system = system;
    this.ownSystem = ownSystem;
    this.host = host;
    this.requestedPort = port;
    this.token = token;
    this.handlers = system.dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER));
    this.materializer = Materializer.matFromSystem(system);
    this.settings = ServerSettings.create(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
        // HEAD is routed as HEAD, as the JDK server did: a GET route answers it 405
        .withTransparentHeadRequests(false)
        .withServerHeader(Optional.empty())
        // the request target as sent: Pekko's parsed URI has its dot segments removed already
        .withRawRequestUriHeader(true)
        .withRemoteAddressAttribute(true);
    scala.concurrent.duration.Duration t = settings.getTimeouts().requestTimeout();
    this.bodyTimeoutMillis = t.isFinite() ? t.toMillis() : Long.MAX_VALUE;
  }

  /** Adds a route; {@code path} is a regex over the whole path, its groups become path parameters. */
  public HttpApi route(String method, String path, Handler handler) {
    return route(method, path, DEFAULT_MAX_BODY, handler);
  }

  /** As {@link #route(String, String, Handler)}, taking bodies of up to {@code maxBody} bytes (larger: 413). */
  public HttpApi route(String method, String path, long maxBody, Handler handler) {
    routes.add(new Route(method, Pattern.compile(path), maxBody, maxBody > DEFAULT_MAX_BODY ? new Semaphore(1) : null,
        handler));
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

  /**
   * Binds {@code host:port} without serving yet: requests that arrive before {@link #start()} wait
   * for it (as they waited in the JDK server's backlog), so that a node that is still starting
   * answers late rather than refusing connections. Throws {@link UncheckedIOException} (its cause a
   * {@link BindException}) when the port cannot be had within 10 s; a router with an actor system
   * of its own then terminates it.
   */
  public void listen() {
    if (binding != null) {
      return;
    }
    try {
      binding = Http.get(system).newServerAt(host, requestedPort).withSettings(settings).bind(this::dispatch)
          .toCompletableFuture().get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw bindFailed(new BindException("interrupted while binding " + host + ":" + requestedPort));
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      BindException bind = new BindException("cannot bind " + host + ":" + requestedPort + ": " + cause.getMessage());
      bind.initCause(cause);
      throw bindFailed(bind);
    }
  }

  private UncheckedIOException bindFailed(BindException e) {
    if (ownSystem) {
      system.terminate();
    }
    return new UncheckedIOException(e);
  }

  /**
   * Serves the routes, binding first if {@link #listen()} has not; throws as {@code listen} does.
   * Routes are added before this.
   */
  public void start() {
    listen();
    serving.complete(null);
  }

  /** The bound port (the one chosen when constructed with port 0); only after {@link #start()}. */
  public int port() {
    ServerBinding b = binding;
    if (b == null) {
      throw new IllegalStateException("the HTTP API is not started");
    }
    return b.localAddress().getPort();
  }

  private CompletionStage<HttpResponse> dispatch(HttpRequest request) {
    return serving.isDone() ? dispatchNow(request) : serving.thenCompose(started -> dispatchNow(request));
  }

  private CompletionStage<HttpResponse> dispatchNow(HttpRequest request) {
    String method = request.method().value();
    // a request that outlives pekko.http.server.request-timeout gets a JSON error like every other
    request.getHeader(org.apache.pekko.http.javadsl.model.headers.TimeoutAccess.class).ifPresent(t -> {
      org.apache.pekko.http.javadsl.TimeoutAccess access = t.timeoutAccess();
      access.updateHandler(r -> render(Response.error(503, method + " " + r.getUri().path() + " took longer than "
          + access.getTimeout() + " (pekko.http.server.request-timeout); it may still complete")));
    });
    try {
      // the target parsed and decoded as the JDK's server did it, so that routes see what they always
      // saw: "/ui/../x" stays as it is (and is refused), "%2F" is a slash only inside a group
      URI uri = new URI(request.getHeader(RawRequestURI.class).map(RawRequestURI::uri)
          .orElseGet(() -> request.getUri().toString()));
      return route(request, method, uri.getPath(), uri.getRawQuery()).exceptionally(e -> failed(method, request, e))
          .thenApply(HttpApi::render);
    } catch (URISyntaxException | RuntimeException e) {
      return CompletableFuture.completedFuture(render(failed(method, request, e)));
    }
  }

  private static Response failed(String method, HttpRequest request, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    log.warn("HTTP {} {} failed", method, request.getUri(), cause);
    return Response.error(500, cause.toString());
  }

  private CompletionStage<Response> route(HttpRequest request, String method, String path, String rawQuery) {
    boolean pathKnown = false;
    for (Route r : routes) {
      Matcher m = r.path().matcher(path);
      if (!m.matches()) {
        continue;
      }
      pathKnown = true;
      if (!r.method().equals(method)) {
        continue;
      }
      if (r.mutating()) {
        Optional<Response> refused = token.check(request.getHeader("Authorization")
            .map(org.apache.pekko.http.javadsl.model.HttpHeader::value).orElse(null));
        if (refused.isPresent()) {
          log.warn("refused {} {} from {}: 401 {}", method, path, remote(request),
              refused.get().headers().get("WWW-Authenticate"));
          return discard(request.entity(), DEFAULT_MAX_BODY).thenApply(done -> refused.get());
        }
      }
      List<String> params = new ArrayList<>();
      for (int i = 1; i <= m.groupCount(); i++) {
        params.add(java.net.URLDecoder.decode(m.group(i), StandardCharsets.UTF_8));
      }
      Map<String, String> query = query(rawQuery);
      return admit(r, path).thenCompose(admitted -> {
        if (!admitted) {
          return CompletableFuture.completedFuture(Response.error(503, "another request to " + path
              + " has been running for over " + LARGE_BODY_WAIT_SECONDS + " s; try again"));
        }
        CompletionStage<Response> handled;
        try {
          handled = readBody(request.entity(), r.maxBody()).thenApplyAsync(body -> body == null
              ? Response.error(413, "the request body is larger than the " + r.maxBody() + " bytes " + path + " takes")
              : handle(r, new Request(method, params, query, body)), handlers);
        } catch (RuntimeException e) {
          handled = CompletableFuture.failedFuture(e);
        }
        return r.large() == null ? handled : handled.whenComplete((res, e) -> r.large().release());
      });
    }
    return CompletableFuture.completedFuture(pathKnown ? Response.error(405, method + " is not allowed on " + path)
        : Response.error(404, "no such endpoint: " + path));
  }

  /**
   * Whether the route takes the request now: a large body (a jar) is held in memory while it is
   * handled, so one at a time bounds that; the next waits (on a handler thread) up to
   * {@link #LARGE_BODY_WAIT_SECONDS}.
   */
  private CompletionStage<Boolean> admit(Route r, String path) {
    if (r.large() == null) {
      return CompletableFuture.completedFuture(true);
    }
    return CompletableFuture.supplyAsync(() -> {
      try {
        return r.large().tryAcquire(LARGE_BODY_WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }, handlers);
  }

  private static Response handle(Route r, Request request) {
    try {
      return r.handler().handle(request);
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  private static String remote(HttpRequest request) {
    return request.getAttribute(AttributeKeys.remoteAddress())
        .flatMap(org.apache.pekko.http.javadsl.model.RemoteAddress::getAddress).map(Object::toString).orElse("?");
  }

  /**
   * The body, or null if it has more than {@code max} bytes. A body that says it is over the limit
   * (Content-Length) is read and dropped (up to {@link #DISCARD_LIMIT}) so that the client, still
   * sending, gets the answer rather than a reset connection; it is never held in memory. A chunked
   * body that turns out larger is cut off at the limit (413, and Pekko closes the connection).
   */
  private CompletionStage<byte[]> readBody(HttpEntity entity, long max) {
    OptionalLong length = entity.getContentLengthOption();
    if (length.isPresent() && length.getAsLong() > max) {
      return discard(entity, DISCARD_LIMIT).thenApply(done -> null);
    }
    // both limits: the entity's (else max-content-length) and toStrict's own (else max-to-strict-bytes)
    return entity.withSizeLimit(max).toStrict(bodyTimeoutMillis, max, materializer)
        .<byte[]>thenApply(strict -> strict.getData().toArray())
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof EntityStreamSizeException) {
            return null;
          }
          throw e instanceof CompletionException c ? c : new CompletionException(cause);
        });
  }

  /** Reads and drops up to {@code limit} bytes of a body; completes normally either way. */
  private CompletionStage<Void> discard(HttpEntity entity, long limit) {
    return entity.withSizeLimit(limit).getDataBytes().runWith(Sink.ignore(), materializer)
        .handle((done, e) -> null);
  }

  /** How much of a too-large body is read and dropped before the answer. */
  static final long DISCARD_LIMIT = 512L << 20;

  private static final ContentType JSON_TYPE = contentType("application/json; charset=utf-8");
  private static final Map<String, ContentType> TEXT_TYPES = new ConcurrentHashMap<>();

  private static HttpResponse render(Response response) {
    byte[] bytes;
    ContentType type;
    try {
      if (response.body() instanceof Text t) {
        bytes = t.text().getBytes(StandardCharsets.UTF_8);
        type = TEXT_TYPES.computeIfAbsent(t.contentType(), HttpApi::contentType);
      } else {
        bytes = JSON.writeValueAsBytes(response.body());
        type = JSON_TYPE;
      }
    } catch (Exception e) {
      log.warn("HTTP answer {} could not be written", response.status(), e);
      return render(Response.error(500, e.toString()));
    }
    List<org.apache.pekko.http.javadsl.model.HttpHeader> headers = new ArrayList<>();
    response.headers().forEach((k, v) -> {
      // the body decides these, as they did on the JDK server
      if (!k.equalsIgnoreCase("Content-Type") && !k.equalsIgnoreCase("Content-Length")) {
        headers.add(RawHeader.create(k, v));
      }
    });
    return HttpResponse.create().withStatus(response.status()).withHeaders(headers)
        .withEntity(type, bytes);
  }

  /**
   * {@code value} as a content type that Pekko sends exactly as written: its own types would
   * normalize the charset ("UTF-8") or drop it (application/json), which scrapers and tests that
   * compare the header as a string would see.
   */
  private static ContentType contentType(String value) {
    String[] parts = value.split(";");
    int slash = parts[0].indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not a content type: " + value);
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim();
      int eq = p.indexOf('=');
      if (eq > 0) {
        params.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
      }
    }
    return MediaTypes.customBinary(parts[0].substring(0, slash).trim(), parts[0].substring(slash + 1).trim(), false,
        params, false).toContentType();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
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

  /**
   * Unbinds, gives requests in flight up to 5 s, then closes the connections; terminates the actor
   * system if this router made it. Waits at most about 15 s in all; never throws.
   */
  @Override
  public void close() {
    ServerBinding b = binding;
    binding = null;
    boolean systemUp = !system.getWhenTerminated().toCompletableFuture().isDone();
    if (b != null && systemUp) {
      try {
        b.terminate(CLOSE_DEADLINE).toCompletableFuture()
            .get(CLOSE_DEADLINE.toMillis() + BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("the HTTP API on {}:{} did not close cleanly: {}", host, b.localAddress().getPort(), e.toString());
      }
    }
    if (ownSystem) {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("the HTTP API's actor system did not terminate within {} s", BIND_TIMEOUT.toSeconds());
      }
    }
  }
}
