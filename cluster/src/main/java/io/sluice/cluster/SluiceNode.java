package io.sluice.cluster;

import io.sluice.cluster.internal.BearerToken;
import io.sluice.cluster.internal.Canary;
import io.sluice.cluster.internal.ChaosReports;
import io.sluice.cluster.internal.Dashboard;
import io.sluice.cluster.internal.HttpApi;
import io.sluice.cluster.internal.HttpApi.Response;
import io.sluice.cluster.internal.JournalCheck;
import io.sluice.cluster.internal.NodeMetrics;
import io.sluice.cluster.runtime.JobCoordinator;
import io.sluice.cluster.runtime.JobsApi;
import io.sluice.cluster.runtime.OperatorAllocationStrategy;
import io.sluice.cluster.runtime.OperatorSharding;
import io.sluice.cluster.runtime.RouteRefresh;
import io.sluice.cluster.runtime.StatePrefetch;
import io.sluice.cluster.runtime.RunningJobs;
import io.sluice.cluster.runtime.ServicePipelineResolver;
import io.sluice.cluster.runtime.ShardedPeers;
import io.sluice.persistence.jars.JobJars;
import io.sluice.persistence.runtime.JobCatalog;
import io.sluice.persistence.runtime.RuntimeSettings;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import io.sluice.persistence.cassandra.CassandraSecurity;
import io.sluice.persistence.cassandra.CqlProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Sluice node: an actor system in the cluster, Cluster Sharding of its entity types, and
 * the HTTP API. {@link #start} checks what it can before starting anything (ports, Cassandra) and
 * fails with a message that says what to do.
 */
public final class SluiceNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SluiceNode.class);

  private final NodeConfig config;
  private final ActorSystem<Void> system;
  private final HttpApi http;
  private final AtomicBoolean up = new AtomicBoolean();
  private final AtomicReference<JournalCheck.Status> journal = new AtomicReference<>(
      new JournalCheck.Status(JournalCheck.Phase.STARTING, System.currentTimeMillis(), null));
  private final long startedAt = System.currentTimeMillis();

  private SluiceNode(NodeConfig config, ActorSystem<Void> system, HttpApi http) {
    this.config = config;
    this.system = system;
    this.http = http;
  }

  /** Starts a node; blocks only for the pre-flight checks. */
  public static SluiceNode start(NodeConfig config) {
    // where Artery will listen: behind NAT or in a container the canonical (advertised) address is not this host's
    checkPortFree(config.bindHost(), config.bindPort(), config.bindPort() == config.port() && config.bindHost()
        .equals(config.host()) ? "pekko.remote.artery.canonical.port" : "pekko.remote.artery.bind.port", config);
    checkPortFree(config.httpHost(), config.httpPort(), "sluice.node.http.port", config);
    ServicePipelineResolver own;
    try {
      // the pipelines of the node's directories load now, so that a bad jar stops the start with its name
      own = new ServicePipelineResolver(SluiceNode.class.getClassLoader(), config.pipelineDirs(), null);
    } catch (IllegalArgumentException e) {
      throw new NodeStartException("cannot load the pipelines of sluice.node.pipeline-dirs in " + config.file()
          + ": " + e.getMessage(), e);
    }
    awaitCassandra(config);
    checkCassandraLogin(config);
    // the sinks of this node's jobs log into Cassandra as its journal does
    CassandraSecurity.install(config.cassandraSecurity());
    ActorSystem<Void> system;
    try {
      // A node process exits when its actor system terminates (shut down, or downed by the split
      // brain resolver), so that a downed node cannot go on as a zombie next to its replacement.
      system = ActorSystem.create(Behaviors.empty(), "sluice", com.typesafe.config.ConfigFactory
          .parseString("pekko.coordinated-shutdown.exit-jvm = on").withFallback(jarCache(config))
          .withFallback(config.seedRole())
          .withFallback(config.transport()).withFallback(config.cassandraSecurity().settings())
          .withFallback(config.config()));
    } catch (RuntimeException e) {
      throw new NodeStartException("the actor system did not start: " + e.getMessage(), e);
    }
    HttpApi http = new HttpApi(system, config.httpHost(), config.httpPort(),
        config.httpToken().map(BearerToken::of).orElse(BearerToken.NONE));
    try {
      // the port now: requests wait until the node serves them, and a taken port stops the start at once
      http.listen();
    } catch (java.io.UncheckedIOException e) {
      throw new NodeStartException("cannot open the HTTP API on " + config.httpHost() + ":" + config.httpPort()
          + " (sluice.node.http.port in " + config.file() + "): " + e.getCause().getMessage(), e);
    }
    SluiceNode node = new SluiceNode(config, system, http);
    node.init(own);
    return node;
  }

  /** The node's jar cache: {@code sluice.jars.cache-dir}, or a directory named after the node in java.io.tmpdir. */
  private static com.typesafe.config.Config jarCache(NodeConfig config) {
    if (!config.config().getString("sluice.jars.cache-dir").isEmpty()) {
      return com.typesafe.config.ConfigFactory.empty();
    }
    java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "sluice-jars-"
        + config.nodeName());
    return com.typesafe.config.ConfigFactory.parseMap(Map.of("sluice.jars.cache-dir", dir.toString()));
  }

  private void installPauseFence() {
    if (!config.config().getString("sluice.node.pause-fence").equals("off")) {
      io.sluice.persistence.runtime.PauseFence.install(config.config().getDuration("sluice.node.pause-fence"), () -> {
        // after a long pause this node may have been replaced: stop before any actor runs on
        Runtime.getRuntime().halt(EXIT_FENCED);
      });
    }
  }

  /**
   * On SIGTERM, Pekko's coordinated shutdown hands this node's shards off before the node leaves
   * the cluster: meanwhile the node is still Up, its regions empty, and balancing would move
   * instances to it. So the node announces its leave first, and waits until it is Leaving and the
   * others had a gossip round to see it (balancing waits while a member is not Up), at most 4 s.
   */
  private void leaveBeforeHandOff(Cluster cluster) {
    org.apache.pekko.actor.CoordinatedShutdown.get(Adapter.toClassic(system)).addTask(
        org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeClusterShutdown(), "sluice-leave-before-hand-off",
        () -> {
          if (cluster.selfMember().status() != org.apache.pekko.cluster.MemberStatus.up()) {
            return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
          }
          cluster.leave(cluster.selfAddress());
          return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + 2_500_000_000L;
            while (cluster.selfMember().status() == org.apache.pekko.cluster.MemberStatus.up()
                && System.nanoTime() < deadline) {
              java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_500_000_000L); // a gossip round (1 s) for the others
            log.info("node {} is {} before handing its instances off", config.nodeName(),
                cluster.selfMember().status());
            return Done.getInstance();
          });
        });
  }

  /** The OpenAPI description of the node's HTTP API (a resource beside this class). */
  static String openApi() throws IOException {
    try (java.io.InputStream in = SluiceNode.class.getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new IOException("openapi.json is missing from the classpath");
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** The content type of the Prometheus text exposition format. */
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  /** The exit status of a node that stopped itself after a long pause. */
  public static final int EXIT_FENCED = 4;

  private void init(ServicePipelineResolver own) {
    installPauseFence();
    NodeMetrics metrics = new NodeMetrics(system, config.nodeName(), up::get, () -> journal.get().ok());
    system.getWhenTerminated().thenRun(metrics::close);
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    cluster.registerOnMemberUp(() -> {
      up.set(true);
      log.info("node {} is Up in the cluster after {} ms", config.nodeName(), System.currentTimeMillis() - startedAt);
    });
    leaveBeforeHandOff(cluster);
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(Canary.TYPE_KEY, ctx -> Canary.create(ctx.getEntityId(), config.nodeName())));
    JobJars jars = JobJars.get(system);
    ServicePipelineResolver pipelines = own.withJars(jars);
    JobCatalog.get(system).setResolver(pipelines);
    RouteRefresh routes = new RouteRefresh();
    routes.start(system);
    ShardedPeers peers = new ShardedPeers(system, config.nodeName(), routes);
    RunningJobs running = new RunningJobs();
    com.typesafe.config.Config b = config.config().getConfig("sluice.balance");
    StatePrefetch prefetch = new StatePrefetch();
    prefetch.start(system);
    OperatorSharding.init(system, peers, RuntimeSettings.from(config.config()), routes, running,
        new OperatorAllocationStrategy.Balance(b.getBoolean("enabled"), b.getDuration("settle"),
            b.getDuration("interval"), b.getDuration("list-max-age"), b.getDuration("recover-timeout")), prefetch);
    ActorRef<JobCoordinator.Command> coordinator = ClusterSingleton.get(system).init(SingletonActor.of(
        JobCoordinator.create(peers, config.config().getDuration("sluice.coordinator.keep-alive"), config.stallAfter(),
            running),
        JobCoordinator.NAME));
    peers.setCoordinator(coordinator);
    new JobsApi(system, coordinator, pipelines, peers, jars, config.chaosMode()).register(http);
    if (config.chaosMode()) {
      log.warn("node {} runs in chaos mode (sluice.node.chaos-mode): POST /jobs/{id}/instances/{operator}/"
          + "{index}/crash makes operator instances fail", config.nodeName());
    }
    log.info("pipelines on this node: {}", pipelines.origins());
    long validFor = 3 * config.journalProbeInterval().toMillis();
    system.systemActorOf(JournalCheck.create(config.nodeName(), config.journalProbeInterval(),
        config.journalProbeTimeout(), status -> {
          journal.set(status);
          boolean failing = status.phase() == JournalCheck.Phase.UNAVAILABLE;
          coordinator.tell(new JobCoordinator.NodeJournal(config.nodeName(), failing ? status.error() : null,
              failing ? status.since() : 0, validFor));
        }), "sluice-journal-check", org.apache.pekko.actor.typed.Props.empty());
    http.route("GET", "/alive", r -> Response.ok(Map.of("status", "alive", "node", config.nodeName())))
        .route("GET", "/ready", r -> readiness())
        .route("GET", "/cluster", r -> Response.ok(clusterState()))
        .route("GET", "/canary/([A-Za-z0-9_.-]+)", r -> canary(r.param(0)))
        .route("GET", "/metrics", r -> Response.text(PROMETHEUS_TEXT, metrics.scrape()))
        .route("GET", "/openapi.json", r -> Response.text("application/json; charset=utf-8", openApi()));
    Dashboard.register(http);
    ChaosReports.register(http, config.chaosReports().orElse(null));
    http.start(); // bound since start(): the requests that waited are served now
    system.getWhenTerminated().thenRun(http::close);
    if (config.httpOpenBeyondLoopback()) {
      log.warn("the HTTP API listens on {} without a token: whoever reaches that address can submit, cancel and"
          + " upload jars; set sluice.node.http.token-file in {}", config.httpHost(), config.file());
    }
    log.info("node {} started: cluster {} , dashboard and HTTP API http://{}:{}/ ({})", config.nodeName(), config.address(),
        config.httpHost(), http.port(), config.httpTokenFile().map(f -> "POST and DELETE need the token of " + f)
            .orElse("no token: POST and DELETE are open to whoever reaches it"));
  }

  /**
   * 200 once the node is an Up member and its journal took a write; 503 before, and again while its
   * journal check fails ({@code status} "unavailable", {@code reason} with the error).
   */
  private Response readiness() {
    JournalCheck.Status j = journal.get();
    List<String> waiting = new ArrayList<>();
    if (!up.get()) {
      waiting.add("cluster membership (Up)");
    }
    if (!j.ok()) {
      waiting.add(j.describe(System.currentTimeMillis()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", waiting.isEmpty() ? "ready" : j.phase() == JournalCheck.Phase.UNAVAILABLE ? "unavailable"
        : "starting");
    body.put("node", config.nodeName());
    body.put("journal", j.phase().name());
    if (waiting.isEmpty()) {
      return Response.ok(body);
    }
    body.put("waitingFor", waiting);
    body.put("reason", String.join("; ", waiting));
    if (j.phase() == JournalCheck.Phase.UNAVAILABLE) {
      body.put("journalUnavailableSince", j.since());
    }
    return new Response(503, body);
  }

  private Map<String, Object> clusterState() {
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    ClusterEvent.CurrentClusterState state = cluster.state();
    List<Map<String, Object>> members = new ArrayList<>();
    for (Member m : state.getMembers()) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("address", m.address().toString());
      mm.put("status", m.status().toString());
      mm.put("roles", new ArrayList<>(m.getRoles()));
      mm.put("reachable", !state.getUnreachable().contains(m));
      members.add(mm);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("self", cluster.selfAddress().toString());
    out.put("node", config.nodeName());
    out.put("leader", Optional.ofNullable(state.getLeader()).map(Object::toString).orElse(null));
    out.put("members", members);
    out.put("timeMillis", System.currentTimeMillis()); // the dashboard's clock for rates: not the browser's
    return out;
  }

  private Response canary(String id) throws Exception {
    CompletionStage<Canary.Pong> pong = ClusterSharding.get(system).entityRefFor(Canary.TYPE_KEY, id)
        .ask(Canary.Ping::new, Duration.ofSeconds(5));
    try {
      Canary.Pong p = pong.toCompletableFuture().get(6, TimeUnit.SECONDS);
      return Response.ok(p);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return Response.error(503, "canary " + id + " did not answer: " + e.getMessage());
    }
  }

  private static void checkPortFree(String host, int port, String key, NodeConfig config) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      if (e instanceof java.net.BindException && String.valueOf(e.getMessage()).contains("in use")) {
        throw new NodeStartException("port " + port + " on " + host + " (" + key + " in " + config.file()
            + ") is already in use: is this node already running? (" + e.getMessage() + ")");
      }
      // not this machine's address (or no address at all): say which setting names it
      String setting = key.startsWith("sluice") ? "sluice.node.http.host" : key.replace(".port", ".hostname");
      throw new NodeStartException("cannot listen on " + host + ":" + port + " (" + setting + " in " + config.file()
          + "): " + e.getMessage() + ". It must be an address of this machine"
          + (setting.startsWith("pekko") ? "; behind NAT or in a container, set pekko.remote.artery.bind.hostname"
              + " (e.g. \"0.0.0.0\") and keep the canonical hostname the address the others reach" : ""));
    }
  }

  private static void awaitCassandra(NodeConfig config) {
    long deadline = System.nanoTime() + config.config().getDuration("sluice.node.cassandra-wait").toNanos();
    Map<String, String> problems = new LinkedHashMap<>();
    javax.net.SocketFactory sockets = config.cassandraSecurity().sockets();
    while (true) {
      String tlsProblem = null;
      for (String cp : config.contactPoints()) {
        InetSocketAddress a = CqlProbe.parse(cp);
        try {
          CqlProbe.probe(a.getHostString(), a.getPort(), Duration.ofSeconds(1), sockets);
          return;
        } catch (javax.net.ssl.SSLException e) {
          // Cassandra answers, but not to this node's TLS settings (or it is just starting): say so if it stays
          tlsProblem = config.cassandraSecurity().tlsProblem(cp, e);
          problems.put(cp, cp + ": " + e.getMessage());
        } catch (IOException e) {
          problems.put(cp, cp + ": " + e.getMessage());
        }
      }
      if (System.nanoTime() > deadline && tlsProblem != null) {
        throw new NodeStartException(tlsProblem + " (settings in " + config.file() + ")");
      }
      if (System.nanoTime() > deadline) {
        throw new NodeStartException("Cassandra is not reachable at " + config.contactPoints()
            + " (sluice.cassandra.contact-points in " + config.file() + "): " + String.join("; ", problems.values())
            + ". Start the dev Cassandra with: bin/sluice cassandra start");
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new NodeStartException("interrupted while waiting for Cassandra");
      }
    }
  }

  /**
   * Fails the start when the node cannot log into Cassandra: Cassandra requires a login the node
   * file does not configure, or refuses the configured one, or the TLS handshake fails. Says which
   * settings to fix; never shows a password. Without login and TLS settings it only asks Cassandra
   * (without a driver session) whether it requires a login.
   */
  private static void checkCassandraLogin(NodeConfig config) {
    CassandraSecurity security = config.cassandraSecurity();
    if (!security.authenticates()) {
      for (String cp : config.contactPoints()) {
        InetSocketAddress a = CqlProbe.parse(cp);
        Optional<String> authenticator;
        try {
          authenticator = CqlProbe.authenticator(a.getHostString(), a.getPort(), Duration.ofSeconds(5),
              security.sockets());
        } catch (IOException e) {
          continue; // another contact point may answer; the session check below or the journal will tell
        }
        if (authenticator.isPresent()) {
          throw new NodeStartException("Cassandra at " + cp + " requires a login (" + authenticator.get() + "): set "
              + CassandraSecurity.USERNAME + " and " + CassandraSecurity.PASSWORD_FILE + " in " + config.file());
        }
        break;
      }
      if (!security.tls()) {
        return;
      }
    }
    long t0 = System.nanoTime();
    Optional<String> problem = security.check(config.contactPoints(), config.localDatacenter(),
        Duration.ofSeconds(10));
    if (problem.isPresent()) {
      throw new NodeStartException(problem.get() + " (settings in " + config.file() + ")");
    }
    log.info("logged into Cassandra at {} as {} in {} ms", config.contactPoints(), security,
        (System.nanoTime() - t0) / 1_000_000);
  }

  public NodeConfig config() {
    return config;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public int httpPort() {
    return http.port();
  }

  public boolean isReady() {
    return up.get() && journal.get().ok();
  }

  /** Completes when the actor system has terminated (shutdown, or this node was downed). */
  public CompletionStage<Done> whenTerminated() {
    return system.getWhenTerminated();
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("node {} did not terminate within 30 s", config.nodeName());
    }
    http.close();
  }
}
