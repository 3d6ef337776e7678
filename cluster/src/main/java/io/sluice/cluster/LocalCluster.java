package io.sluice.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.persistence.process.ChildJvm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A cluster of node JVMs on this machine, each started from its config file with
 * {@code sluice node <file>}: what the demo, the chaos tool and the multi-process tests run.
 * Nodes can be killed (SIGKILL), frozen (SIGSTOP), resumed and restarted. {@link #close()} kills
 * every node it started.
 *
 * <p>{@link #inNamespaces} starts each node in its own network namespace, on its own address
 * ({@link NodeNetwork}), so that the links between nodes can be cut ({@link NetworkFaults}).
 */
public final class LocalCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A node of the cluster: its config and, while it runs, its process. */
  public static final class Node {
    final int index;
    final NodeConfig config;
    ChildJvm process;
    int starts;

    Node(int index, NodeConfig config) {
      this.index = index;
      this.config = config;
    }

    public String name() {
      return config.nodeName();
    }

    public String address() {
      return config.address();
    }

    /** The node's config, as the node reads it. */
    public NodeConfig config() {
      return config;
    }

    public int httpPort() {
      return config.httpPort();
    }

    public boolean isRunning() {
      return process != null && process.isAlive();
    }

    public Optional<ChildJvm> process() {
      return Optional.ofNullable(process);
    }
  }

  private final Path home;
  private final List<Node> nodes = new ArrayList<>();
  private final List<String> jvmFlags;
  private final Path logDir;
  private final String classpath;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** The nodes' network when they run in namespaces, else null. */
  private final NodeNetwork network;

  /**
   * @param configs the nodes' config files
   * @param jvmFlags extra flags for every node JVM (e.g. {@code -Dsluice.cassandra.keyspace=...})
   * @param logDir where each node's output goes ({@code <name>.out}) and its log ({@code <name>.log})
   */
  public LocalCluster(Path home, List<Path> configs, List<String> jvmFlags, Path logDir) {
    this(home, load(home, configs, jvmFlags), jvmFlags, logDir, null);
  }

  private LocalCluster(Path home, List<NodeConfig> configs, List<String> jvmFlags, Path logDir, NodeNetwork network) {
    this.home = home;
    this.jvmFlags = List.copyOf(jvmFlags);
    this.logDir = logDir;
    this.classpath = System.getProperty("java.class.path");
    this.network = network;
    for (NodeConfig c : configs) {
      nodes.add(new Node(nodes.size(), c));
    }
  }

  private static List<NodeConfig> load(Path home, List<Path> configs, List<String> jvmFlags) {
    com.typesafe.config.Config overrides = overrides(jvmFlags);
    List<NodeConfig> loaded = new ArrayList<>();
    for (Path c : configs) {
      loaded.add(NodeConfig.load(c.isAbsolute() ? c : home.resolve(c), overrides, home));
    }
    return loaded;
  }

  /**
   * A cluster whose nodes run each in its own network namespace ({@link NodeNetwork}, created
   * here and removed by {@link #close()}): node {@code i} binds and advertises the address
   * {@link NodeNetwork#address}, for Artery and its HTTP API; the seeds are the seed nodes' new
   * addresses; the Cassandra contact points are relayed from the bridge address. Each node gets a
   * generated file {@code <logDir>/netns/<name>.conf} that includes its own file and sets just
   * that. Every seed must be a node of this cluster.
   *
   * @throws IllegalStateException when the network cannot be made (not root, no {@code ip}, ...)
   */
  public static LocalCluster inNamespaces(Path home, List<Path> configs, List<String> jvmFlags, Path logDir,
      NodeNetwork.Settings settings) {
    List<NodeConfig> own = load(home, configs, jvmFlags);
    NodeNetwork network = NodeNetwork.create(settings, own.size());
    try {
      java.util.Map<String, String> relayed = new java.util.HashMap<>(); // contact point -> its relay
      Path dir = logDir.resolve("netns");
      java.nio.file.Files.createDirectories(dir);
      com.typesafe.config.Config overrides = overrides(jvmFlags);
      List<NodeConfig> moved = new ArrayList<>();
      for (int i = 0; i < own.size(); i++) {
        List<String> contactPoints = new ArrayList<>();
        for (String cp : own.get(i).contactPoints()) {
          contactPoints.add(relayed.computeIfAbsent(cp, network::relay));
        }
        Path file = dir.resolve(own.get(i).nodeName() + ".conf");
        java.nio.file.Files.writeString(file, namespaceNodeFile(own, i, network, contactPoints));
        moved.add(NodeConfig.load(file, overrides, home));
      }
      return new LocalCluster(home, moved, jvmFlags, logDir, network);
    } catch (IOException | RuntimeException e) {
      network.close();
      throw e instanceof IOException io ? new java.io.UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /**
   * The generated node file of node {@code i} in {@code network}: its own file, then its address
   * (Artery's canonical hostname, the HTTP host), the seeds by their new addresses and the
   * relayed contact points.
   */
  static String namespaceNodeFile(List<NodeConfig> own, int i, NodeNetwork network, List<String> contactPoints) {
    NodeConfig c = own.get(i);
    List<String> seeds = new ArrayList<>();
    for (String seed : c.seedNodes()) {
      int k = 0;
      while (k < own.size() && !own.get(k).address().equals(seed)) {
        k++;
      }
      if (k == own.size()) {
        throw new IllegalArgumentException(c.file() + ": the seed " + seed + " is not a node of this cluster; with"
            + " nodes in namespaces every seed must be one of them (their addresses change)");
      }
      seeds.add("pekko://sluice@" + network.address(k) + ":" + own.get(k).port());
    }
    String address = quote(network.address(i));
    return "# Generated for " + c.nodeName() + " in network namespace " + network.namespace(i) + "\n"
        + "include file(" + quote(c.file().toAbsolutePath().toString()) + ")\n"
        + "pekko.remote.artery.canonical.hostname = " + address + "\n"
        + "pekko.cluster.seed-nodes = " + list(seeds) + "\n"
        + "sluice.node.http.host = " + address + "\n"
        + "sluice.cassandra.contact-points = " + list(contactPoints) + "\n";
  }

  private static String quote(String s) {
    return com.typesafe.config.ConfigUtil.quoteString(s);
  }

  private static String list(List<String> values) {
    return values.stream().map(LocalCluster::quote).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
  }

  /** The nodes' network, when they run in namespaces ({@link #inNamespaces}). */
  public Optional<NodeNetwork> network() {
    return Optional.ofNullable(network);
  }

  /**
   * The {@code -Dsluice.*} and {@code -Dpekko.*} flags as a config: a node takes them over its file
   * ({@code sluice node}), so this cluster reads each node's config as the node will (its HTTP
   * token, for one).
   */
  static com.typesafe.config.Config overrides(List<String> jvmFlags) {
    java.util.Properties props = new java.util.Properties();
    for (String f : jvmFlags) {
      int eq = f.indexOf('=');
      if (eq > 2 && (f.startsWith("-Dsluice.") || f.startsWith("-Dpekko."))) {
        props.setProperty(f.substring(2, eq), f.substring(eq + 1));
      }
    }
    return com.typesafe.config.ConfigFactory.parseProperties(props);
  }

  public List<Node> nodes() {
    return nodes;
  }

  public Node node(int i) {
    return nodes.get(i);
  }

  /** Starts node {@code i} (again, if it ran before). */
  public Node start(int i) {
    Node n = nodes.get(i);
    if (n.isRunning()) {
      throw new IllegalStateException(n.name() + " is already running");
    }
    List<String> flags = new ArrayList<>(List.of(
        "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
        "-Dsluice.home=" + home,
        "-Dsluice.node.name=" + n.name(),
        "-Dsluice.log.dir=" + logDir.toAbsolutePath(),
        "-Dlogback.configurationFile=" + home.resolve("conf/logback.xml")));
    flags.addAll(jvmFlags);
    n.starts++;
    n.process = ChildJvm.start(n.name(), network == null ? List.of() : network.launcher(i), classpath, flags, Main.class.getName(),
        List.of("node", n.config.file().toString()), logDir.resolve(n.name() + ".out"), home);
    return n;
  }

  /** SIGKILL node {@code i}; returns the time of the kill (System.nanoTime). */
  public long kill(int i) {
    Node n = nodes.get(i);
    long t = System.nanoTime();
    if (n.process != null) {
      n.process.kill();
    }
    return t;
  }

  /**
   * SIGTERM node {@code i} (a graceful leave: it hands its instances over and exits), SIGKILL if it
   * has not exited within {@code timeout}; returns its exit code (137 if it had to be killed).
   */
  public int stop(int i, Duration timeout) {
    Node n = nodes.get(i);
    return n.process == null ? 0 : n.process.stop(timeout);
  }

  public void freeze(int i) {
    nodes.get(i).process.freeze();
  }

  public void resume(int i) {
    nodes.get(i).process.resume();
  }

  /** GET {@code path} on node {@code i}; empty if it does not answer (any status is an answer). */
  public Optional<JsonNode> get(int i, String path) {
    return request(i, to(i, path).GET());
  }

  /** GET a text body (such as {@code /metrics}) from node {@code i}: empty if it did not answer 200. */
  public Optional<String> getText(int i, String path) {
    try {
      HttpResponse<String> r = http.send(to(i, path).GET().timeout(Duration.ofSeconds(10))
          .build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * The sum of a metric's samples (all label sets) in a node's {@code /metrics} scrape: for
   * counters and gauges the benchmark reads, not a parser of the whole format.
   */
  public static double metric(String scrape, String name) {
    double sum = 0;
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** POST a JSON body to node {@code i}. */
  public Optional<JsonNode> post(int i, String path, Object body) {
    return post(i, path, body, Duration.ofSeconds(10));
  }

  /** POST a JSON body to node {@code i}, waiting up to {@code timeout} for the answer (savepoints drain first). */
  public Optional<JsonNode> post(int i, String path, Object body, Duration timeout) {
    try {
      return request(i, to(i, path).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))), timeout);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** DELETE {@code path} on node {@code i}. */
  public Optional<JsonNode> delete(int i, String path) {
    return request(i, to(i, path).DELETE());
  }

  /**
   * Uploads the jar {@code file} to node {@code i} (POST /jars, named after the file); the answer
   * with its {@code httpStatus}.
   */
  public JsonNode upload(int i, Path file) {
    try {
      return request(i, to(i, "/jars?name=" + file.getFileName())
          .header("Content-Type", "application/java-archive")
          .POST(HttpRequest.BodyPublishers.ofByteArray(java.nio.file.Files.readAllBytes(file))))
          .orElseThrow(() -> new IllegalStateException("node " + (i + 1) + " does not answer"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A request to node {@code i}, with the node's token (sluice.node.http.token-file) if it has one. */
  private HttpRequest.Builder to(int i, String path) {
    Node n = nodes.get(i);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + n.config.httpHost() + ":" + n.httpPort()
        + path));
    n.config.httpToken().ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  private Optional<JsonNode> request(int i, HttpRequest.Builder b) {
    return request(i, b, Duration.ofSeconds(10));
  }

  private Optional<JsonNode> request(int i, HttpRequest.Builder b, Duration timeout) {
    try {
      HttpResponse<byte[]> r = http.send(b.timeout(timeout).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      JsonNode body = r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
      if (body.isObject()) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("httpStatus", r.statusCode());
      }
      return Optional.of(body);
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Waits until node {@code i} answers /ready with 200. */
  public boolean awaitReady(int i, Duration timeout) {
    return await(timeout, () -> get(i, "/ready").map(j -> j.path("httpStatus").asInt() == 200).orElse(false));
  }

  /** Waits until node {@code via} sees exactly the given node indexes as Up members, and nothing else. */
  public boolean awaitMembersUp(int via, List<Integer> expected, Duration timeout) {
    return await(timeout, () -> membersUp(via, expected));
  }

  /** True if node {@code via} sees every node of this cluster as an Up, reachable member, and nothing else. */
  public boolean allMembersUp(int via) {
    return membersUp(via, indexes());
  }

  /** The indexes of all nodes, 0 to n-1. */
  public List<Integer> indexes() {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      all.add(i);
    }
    return all;
  }

  /**
   * Starts every node and waits until each is ready (180 s) and the first sees all of them as Up
   * members (60 s); returns the seconds until all were ready. Throws {@link IllegalStateException}
   * saying what did not happen in time.
   */
  public double startAll() {
    long t0 = System.nanoTime();
    for (int i = 0; i < nodes.size(); i++) {
      start(i);
    }
    for (int i = 0; i < nodes.size(); i++) {
      if (!awaitReady(i, Duration.ofSeconds(180))) {
        throw new IllegalStateException(nodes.get(i).name() + " did not become ready:\n" + tail(i, 40));
      }
    }
    double ready = (System.nanoTime() - t0) / 1e9;
    if (!awaitMembersUp(0, indexes(), Duration.ofSeconds(60))) {
      throw new IllegalStateException("the cluster did not form");
    }
    return ready;
  }

  private boolean membersUp(int via, List<Integer> expected) {
    List<String> want = expected.stream().map(k -> nodes.get(k).address()).sorted().toList();
    return get(via, "/cluster").map(j -> {
      List<String> up = new ArrayList<>();
      for (JsonNode m : j.path("members")) {
        if (!"Up".equals(m.path("status").asText()) || !m.path("reachable").asBoolean()) {
          return false;
        }
        up.add(m.path("address").asText());
      }
      return up.stream().sorted().toList().equals(want);
    }).orElse(false);
  }

  /** Polls {@code condition} every 100 ms until it holds or the timeout passes. */
  public static boolean await(Duration timeout, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
    }
  }

  /** Polls GET {@code path} on node {@code via} until the answer matches. */
  public Optional<JsonNode> awaitAnswer(int via, String path, Predicate<JsonNode> match, Duration timeout) {
    JsonNode[] last = new JsonNode[1];
    boolean ok = await(timeout, () -> get(via, path).filter(match).map(j -> {
      last[0] = j;
      return true;
    }).orElse(false));
    return ok ? Optional.of(last[0]) : Optional.empty();
  }

  /** The last lines of node {@code i}'s output (for failure messages). */
  public String tail(int i, int lines) {
    Node n = nodes.get(i);
    return n.process == null ? "(never started)" : n.process.tail(lines);
  }

  /** Kills every node it started, then removes the nodes' network if they ran in namespaces. */
  @Override
  public void close() {
    try {
      for (Node n : nodes) {
        if (n.process != null) {
          n.process.close();
        }
      }
    } finally {
      if (network != null) {
        network.close();
      }
    }
  }
}
