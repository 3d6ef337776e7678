package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.sluice.cluster.internal.BearerToken;
import io.sluice.cluster.internal.HttpApi;
import io.sluice.persistence.jars.JobJars;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.Peers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * With a token configured, every POST and DELETE route of the node's HTTP API refuses a request
 * without it or with another one (401, a JSON error, {@code WWW-Authenticate: Bearer}, the token
 * never echoed) and lets the right one through to its handler; GET routes stay open; without a
 * token everything is open; the crash route exists only in chaos mode.
 *
 * <p>Design of this test: {@link JobsApi} registers its routes on a real {@link HttpApi} exactly as
 * a node does; behind it are a stub job coordinator that answers every command and records it, a
 * {@link Peers} that records what it is asked to send, and the in-memory jar store. A request that
 * reached its handler shows as the handler's answer and as a command the stub received.
 */
class JobsApiTokenTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cret-token-0123456789abcdef";
  private static final String WRONG = "not-the-token-9876543210fedcba";
  private static final String JAR_ID = "ab".repeat(32);

  /** A mutating request and what its handler answers when it gets through. */
  private record Call(String method, String path, String body, int handled) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private static final List<Call> MUTATING = List.of(
      new Call("POST", "/jars?name=app.jar", "not a jar", 400),
      new Call("DELETE", "/jars/" + JAR_ID, null, 404),
      new Call("POST", "/jobs", "{\"pipeline\": \"running-totals\"}", 201),
      new Call("POST", "/jobs/job-1/cancel", null, 200),
      new Call("POST", "/jobs/job-1/savepoint?stop=true", null, 201),
      new Call("POST", "/jobs/job-1/rescale", "{\"parameters\": {\"parallelism\": \"4\"}}", 404),
      new Call("DELETE", "/savepoints/sp-1", null, 200));

  private static final Call CRASH = new Call("POST", "/jobs/job-1/instances/totals/0/crash", null, 200);

  /** Every mutating route of a node in chaos mode. */
  private static final List<Call> ALL_MUTATING = java.util.stream.Stream.concat(MUTATING.stream(),
      java.util.stream.Stream.of(CRASH)).toList();

  private static ActorTestKit kit;
  private static final Queue<JobCoordinator.Command> commands = new ConcurrentLinkedQueue<>();
  private static final RecordingPeers peers = new RecordingPeers();
  private static ActorRef<JobCoordinator.Command> coordinator;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private HttpApi http;

  @BeforeAll
  static void startKit() {
    kit = ActorTestKit.create("jobs-api-token", ConfigFactory.parseString(""
        + "pekko.actor.provider = local\n"
        + "sluice.jars.store = memory\n"
        + "sluice.jars.cache-dir = \"target/test-jars-" + UUID.randomUUID() + "\"\n")
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve());
    coordinator = kit.spawn(Behaviors.receiveMessage(c -> {
      commands.add(c);
      answer(c);
      return Behaviors.same();
    }));
  }

  /** What a coordinator without jobs or savepoints answers, except that everything succeeds. */
  private static void answer(JobCoordinator.Command c) {
    if (c instanceof JobCoordinator.Submit s) {
      s.replyTo().tell(new JobCoordinator.SubmitResult("job-2", null));
    } else if (c instanceof JobCoordinator.Cancel x) {
      x.replyTo().tell(new JobCoordinator.CancelResult(true, JobCoordinator.Status.CANCELLED));
    } else if (c instanceof JobCoordinator.TakeSavepoint t) {
      t.replyTo().tell(new JobCoordinator.SavepointResult("sp-2", null));
    } else if (c instanceof JobCoordinator.DeleteSavepoint d) {
      d.replyTo().tell(new JobCoordinator.SavepointResult(null, null));
    } else if (c instanceof JobCoordinator.GetJob g) {
      g.replyTo().tell(new JobCoordinator.JobReply(null));
    } else if (c instanceof JobCoordinator.ListJobs l) {
      l.replyTo().tell(new JobCoordinator.JobList(List.of()));
    } else if (c instanceof JobCoordinator.GetInstances i) {
      i.replyTo().tell(new JobCoordinator.InstanceList(List.of()));
    }
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void captureLogs() {
    logs.start();
    ((Logger) LoggerFactory.getLogger(HttpApi.class)).addAppender(logs);
    commands.clear();
    peers.clear();
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(HttpApi.class)).detachAppender(logs);
    if (http != null) {
      http.close();
    }
  }

  /** The node's HTTP API: JobsApi's routes on a router with this token, as SluiceNode wires them. */
  private void start(BearerToken token, boolean chaosMode) throws Exception {
    http = new HttpApi("127.0.0.1", 0, token);
    new JobsApi(kit.system(), coordinator, new ServicePipelineResolver(getClass().getClassLoader()), peers,
        JobJars.get(kit.system()), chaosMode).register(http);
    http.start();
  }

  private HttpResponse<String> send(Call c, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + c.path()))
        .timeout(Duration.ofSeconds(30))
        .method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(c.body(), StandardCharsets.UTF_8));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertRefused(Call c, HttpResponse<String> r, String challenge) throws Exception {
    assertEquals(401, r.statusCode(), c + ": " + r.body());
    assertEquals(Optional.of(challenge), r.headers().firstValue("WWW-Authenticate"), c.toString());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.path("error").isTextual(), c + ": " + r.body());
    assertFalse(r.body().contains(WRONG) || r.body().contains(TOKEN), c + ": the token is echoed: " + r.body());
  }

  @Test
  void withAToken_eachMutatingRouteRefusesAMissingOrWrongToken_andNothingReachesTheHandlers() throws Exception {
    start(BearerToken.of(TOKEN), true);
    for (Call c : ALL_MUTATING) {
      HttpResponse<String> missing = send(c, null);
      assertRefused(c, missing, "Bearer realm=\"sluice\"");
      assertTrue(missing.body().contains("Authorization: Bearer <token>")
          && missing.body().contains("sluice.node.http.token-file"), missing.body());
      HttpResponse<String> wrong = send(c, "Bearer " + WRONG);
      assertRefused(c, wrong, "Bearer realm=\"sluice\", error=\"invalid_token\"");
      assertRefused(c, send(c, "Bearer " + TOKEN + "x"), "Bearer realm=\"sluice\", error=\"invalid_token\"");
      assertRefused(c, send(c, "Basic " + WRONG), "Bearer realm=\"sluice\", error=\"invalid_request\"");
    }
    assertEquals(List.of(), List.copyOf(commands), "a refused request reached the coordinator");
    assertEquals(List.of(), peers.sentTo(), "a refused crash reached an instance");
    for (ILoggingEvent e : logs.list) {
      assertFalse(e.getFormattedMessage().contains(WRONG), "the token is logged: " + e.getFormattedMessage());
    }
    assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith("refused POST /jobs from ")),
        "a refusal is logged");
  }

  @Test
  void withAToken_eachMutatingRouteTakesTheRightToken_toItsHandler() throws Exception {
    start(BearerToken.of(TOKEN), true);
    for (Call c : ALL_MUTATING) {
      HttpResponse<String> r = send(c, "Bearer " + TOKEN);
      assertEquals(c.handled(), r.statusCode(), c + ": " + r.body());
    }
    assertTrue(commands.stream().anyMatch(c -> c instanceof JobCoordinator.Submit), commands.toString());
    assertTrue(commands.stream().anyMatch(c -> c instanceof JobCoordinator.Cancel), commands.toString());
    assertTrue(commands.stream().anyMatch(c -> c instanceof JobCoordinator.TakeSavepoint), commands.toString());
    assertTrue(commands.stream().anyMatch(c -> c instanceof JobCoordinator.DeleteSavepoint), commands.toString());
    assertEquals(List.of(new InstanceId("job-1", "totals", 0)), peers.sentTo());
    // the scheme is case-insensitive (RFC 7235)
    assertEquals(201, send(MUTATING.get(2), "bearer " + TOKEN).statusCode());
  }

  @Test
  void withAToken_getRoutesNeedNone() throws Exception {
    start(BearerToken.of(TOKEN), false);
    for (String path : List.of("/pipelines", "/jobs", "/jars", "/jobs/job-1/instances")) {
      HttpResponse<String> r = send(new Call("GET", path, null, 200), null);
      assertEquals(200, r.statusCode(), path + ": " + r.body());
    }
    assertEquals(404, send(new Call("GET", "/jobs/job-1", null, 404), null).statusCode(), "no job job-1");
  }

  @Test
  void withoutAToken_everyRouteIsOpenAsBefore() throws Exception {
    start(BearerToken.NONE, true);
    for (Call c : ALL_MUTATING) {
      HttpResponse<String> r = send(c, null);
      assertEquals(c.handled(), r.statusCode(), c + ": " + r.body());
      assertEquals(Optional.empty(), r.headers().firstValue("WWW-Authenticate"), c.toString());
    }
    assertEquals(List.of(new InstanceId("job-1", "totals", 0)), peers.sentTo());
  }

  @Test
  void withoutChaosMode_theCrashRouteDoesNotExist() throws Exception {
    start(BearerToken.of(TOKEN), false);
    HttpResponse<String> r = send(CRASH, "Bearer " + TOKEN);
    assertEquals(404, r.statusCode(), r.body());
    assertEquals("no such endpoint: /jobs/job-1/instances/totals/0/crash", JSON.readTree(r.body()).path("error")
        .asText());
    assertEquals(List.of(), peers.sentTo());
    // the other routes are there
    assertEquals(200, send(MUTATING.get(3), "Bearer " + TOKEN).statusCode());
  }
}
