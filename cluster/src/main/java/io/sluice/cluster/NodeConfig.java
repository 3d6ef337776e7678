package io.sluice.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.sluice.cluster.internal.NodeTls;
import io.sluice.persistence.cassandra.CassandraSecurity;
import io.sluice.persistence.cassandra.CqlProbe;
import io.sluice.persistence.runtime.ProtocolSerializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A node's settings, read once from its config file ({@code conf/node-1.conf}, which includes
 * {@code base.conf}) on top of the modules' {@code reference.conf}. Every problem is reported as a
 * {@link ConfigProblem} naming the file and the setting:
 *
 * <ul>
 *   <li>a missing file, or HOCON that does not parse (file and line);
 *   <li>a required setting missing from the node file, or of the wrong type (its full path);
 *   <li>a value out of range (ports, keyspace names, contact points);
 *   <li>a secret file that is missing, unreadable or empty (its setting and path, never its content).
 * </ul>
 */
public final class NodeConfig {
  /** Settings every node file (with its includes) must set itself: they differ per node. */
  static final List<String> REQUIRED_IN_NODE_FILE = List.of(
      "pekko.remote.artery.canonical.hostname",
      "pekko.remote.artery.canonical.port",
      "pekko.cluster.seed-nodes",
      "sluice.node.http.port");

  private static final Pattern KEYSPACE = Pattern.compile("[a-zA-Z][a-zA-Z0-9_]{0,47}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  /** A seed: the actor system 'sluice' at a host (a name, an IPv4 address or a bracketed IPv6 one) and a port. */
  private static final Pattern SEED = Pattern.compile("pekko://sluice@(\\[[0-9A-Fa-f:.]+\\]|[^\\s:/@\\[\\]]+):([0-9]{1,5})");
  /** Addresses that mean "every interface": a node can listen on them but nobody can connect to them. */
  private static final java.util.Set<String> WILDCARD = java.util.Set.of("0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0");

  private final Path file;
  private final Config config;
  private final String nodeName;
  private final String host;
  private final int port;
  private final String bindHost;
  private final int bindPort;
  private final String httpHost;
  private final int httpPort;
  private final List<String> seedNodes;
  private final List<String> roles;
  private final List<String> contactPoints;
  private final String keyspace;
  private final String localDatacenter;
  /** The node's Cassandra login and TLS (absolute paths). */
  private final CassandraSecurity cassandraSecurity;
  private final java.time.Duration journalProbeInterval;
  private final java.time.Duration journalProbeTimeout;
  private final java.time.Duration joinRetry;
  private final java.time.Duration stallAfter;
  private final List<Path> pipelineDirs;
  private final Path httpTokenFile;
  /** Where the node's TLS material is (absolute paths); null: plain TCP. */
  private final NodeTls.Files tls;
  private final String httpToken;
  private final boolean chaosMode;
  /** Where the chaos tool's reports are (absolute); null: the dashboard shows none. */
  private final Path chaosReports;

  private NodeConfig(Path file, Config config, Path workDir) {
    this.file = file;
    this.config = config;
    String name = string("sluice.node.name");
    if (name.isEmpty()) {
      String f = file.getFileName().toString();
      name = f.endsWith(".conf") ? f.substring(0, f.length() - 5) : f;
    }
    if (!NAME.matcher(name).matches()) {
      throw problem("sluice.node.name", "must be a name of letters, digits, '_', '.' or '-', was '" + name + "'");
    }
    this.nodeName = name;
    this.host = special(string("pekko.remote.artery.canonical.hostname"));
    if (host.isEmpty() || WILDCARD.contains(host)) {
      throw problem("pekko.remote.artery.canonical.hostname", "is the address the other nodes connect to, so it"
          + " must be this host's name or address as they reach it, was '" + host + "' (to listen on every"
          + " interface, set pekko.remote.artery.bind.hostname = \"0.0.0.0\")");
    }
    this.port = port("pekko.remote.artery.canonical.port");
    // Artery listens on bind.hostname:bind.port; "" (the default) means the canonical one
    String bh = special(string("pekko.remote.artery.bind.hostname"));
    this.bindHost = bh.isEmpty() ? host : bh;
    this.bindPort = string("pekko.remote.artery.bind.port").isEmpty() ? port : port("pekko.remote.artery.bind.port");
    this.httpHost = string("sluice.node.http.host");
    this.httpPort = port("sluice.node.http.port");
    this.seedNodes = stringList("pekko.cluster.seed-nodes");
    if (seedNodes.isEmpty()) {
      throw problem("pekko.cluster.seed-nodes", "must name at least one seed node, e.g. "
          + "[\"pekko://sluice@127.0.0.1:25521\"]");
    }
    for (String s : seedNodes) {
      java.util.regex.Matcher m = SEED.matcher(s);
      if (!m.matches()) {
        throw problem("pekko.cluster.seed-nodes", "'" + s + "' must be an address of the form pekko://sluice@host:port"
            + " (every node's actor system is named 'sluice')");
      }
      int p = Integer.parseInt(m.group(2));
      if (p < 1 || p > 65535 || WILDCARD.contains(m.group(1))) {
        throw problem("pekko.cluster.seed-nodes", "'" + s + "' must name a seed's canonical hostname and port as the"
            + " seed sets them (pekko.remote.artery.canonical.*), with a port in [1, 65535]");
      }
    }
    this.roles = stringList("pekko.cluster.roles");
    this.contactPoints = stringList("sluice.cassandra.contact-points");
    if (contactPoints.isEmpty()) {
      throw problem("sluice.cassandra.contact-points", "must list at least one host:port");
    }
    for (String cp : contactPoints) {
      try {
        if (CqlProbe.parse(cp).getHostString().isEmpty() || !cp.contains(":")) {
          // the driver ignores a contact point without a port (it logs a warning and goes on without it)
          throw new IllegalArgumentException("contact point '" + cp + "' must be host:port, e.g. '" + cp + ":9042'");
        }
      } catch (IllegalArgumentException e) {
        throw problem("sluice.cassandra.contact-points", e.getMessage());
      }
    }
    this.keyspace = string("sluice.cassandra.keyspace");
    if (!KEYSPACE.matcher(keyspace).matches()) {
      throw problem("sluice.cassandra.keyspace", "must be a Cassandra identifier (a letter, then letters, digits"
          + " or '_', at most 48), was '" + keyspace + "'");
    }
    this.localDatacenter = string("sluice.cassandra.local-datacenter");
    if (localDatacenter.isBlank()) {
      throw problem("sluice.cassandra.local-datacenter", "must name the Cassandra data center of the contact points"
          + " (nodetool status shows it; a single-node Cassandra's is \"datacenter1\")");
    }
    try {
      this.cassandraSecurity = CassandraSecurity.from(config, workDir);
    } catch (CassandraSecurity.Problem e) {
      throw problem(e.setting(), e.getMessage());
    } catch (ConfigException.WrongType e) {
      throw new ConfigProblem(describe(file, e), e);
    }
    this.journalProbeInterval = positiveDuration("sluice.node.journal-probe-interval");
    this.journalProbeTimeout = positiveDuration("sluice.node.journal-probe-timeout");
    this.stallAfter = positiveDuration("sluice.coordinator.stall-after");
    this.joinRetry = positiveDuration("sluice.node.join-retry");
    String compression = config.getString("sluice.journal.compression");
    if (!ProtocolSerializer.compressionKnown(compression)) {
      throw problem("sluice.journal.compression", "must be lz4, deflate or none, was '" + compression + "'");
    }
    List<Path> dirs = new java.util.ArrayList<>();
    for (String d : stringList("sluice.node.pipeline-dirs")) {
      Path p = workDir.resolve(d).normalize();
      if (!Files.isDirectory(p)) {
        throw problem("sluice.node.pipeline-dirs", "'" + d + "' is not a directory (" + p + ")");
      }
      dirs.add(p);
    }
    this.pipelineDirs = List.copyOf(dirs);
    String tokenFile = string(TOKEN_FILE);
    this.httpTokenFile = tokenFile.isEmpty() ? null : workDir.resolve(tokenFile).normalize();
    this.httpToken = httpTokenFile == null ? null : readToken(tokenFile, httpTokenFile);
    this.chaosMode = bool("sluice.node.chaos-mode");
    String reports = string("sluice.node.http.chaos-reports");
    this.chaosReports = reports.isEmpty() ? null : workDir.resolve(reports).toAbsolutePath().normalize();
    this.tls = bool("sluice.node.tls.enabled") ? tls(workDir) : null;
  }

  /** Validates the TLS settings: the files exist, the password opens both stores, the key store holds a key. */
  private NodeTls.Files tls(Path workDir) {
    String[] keys = {"sluice.node.tls.key-store", "sluice.node.tls.trust-store", "sluice.node.tls.password-file"};
    Path[] files = new Path[3];
    for (int i = 0; i < 3; i++) {
      String given = string(keys[i]);
      if (given.isEmpty()) {
        throw problem("sluice.node.tls.enabled", "is on, so '" + keys[i] + "' must name a file (bin/sluice"
            + " tls-keys DIR makes a development key pair)");
      }
      files[i] = workDir.resolve(given).normalize();
      if (!Files.isRegularFile(files[i])) {
        throw problem(keys[i], "names '" + given + "' (" + files[i] + "), which is not a file");
      }
    }
    NodeTls.Files f = new NodeTls.Files(files[0], files[1], files[2]);
    try {
      f.check();
    } catch (NodeTls.TlsProblem e) {
      throw problem(keys[e.which()], e.getMessage());
    }
    return f;
  }

  /**
   * Pekko settings that depend on this node's place among the seeds: on every node but the first
   * seed, {@code pekko.cluster.seed-node-timeout} is {@code sluice.node.join-retry}, how soon it asks
   * the seeds again after none let it join. The first seed keeps its own, which is how long it
   * waits before it founds a new cluster (reference.conf says why the two differ).
   */
  public Config seedRole() {
    java.util.regex.Matcher first = SEED.matcher(seedNodes.get(0));
    if (first.matches() && Integer.parseInt(first.group(2)) == port
        && unbracketed(first.group(1)).equalsIgnoreCase(unbracketed(host))) {
      return ConfigFactory.empty();
    }
    return ConfigFactory.parseMap(java.util.Map.of("pekko.cluster.seed-node-timeout", joinRetry.toMillis() + "ms"),
        "sluice.node.join-retry");
  }

  private static String unbracketed(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /**
   * What the node's actor system needs on top of {@link #config()} for its transport: Artery over
   * TLS with Sluice's engine provider when {@code sluice.node.tls.enabled}, else nothing. Holds
   * the files' paths, never the password.
   */
  public Config transport() {
    return tls == null ? ConfigFactory.empty() : tls.transport();
  }

  /**
   * A hostname setting as Artery reads it: {@code <getHostAddress>} and {@code <getHostName>} mean
   * this machine's address and name.
   */
  private static String special(String hostname) {
    try {
      return switch (hostname) {
        case "<getHostAddress>" -> java.net.InetAddress.getLocalHost().getHostAddress();
        case "<getHostName>" -> java.net.InetAddress.getLocalHost().getHostName();
        default -> hostname;
      };
    } catch (java.net.UnknownHostException e) {
      throw new ConfigProblem("cannot find this machine's own address for " + hostname + ": " + e.getMessage());
    }
  }

  static final String TOKEN_FILE = "sluice.node.http.token-file";

  /** The shortest token taken: a guessable token protects nothing. */
  static final int MIN_TOKEN_LENGTH = 16;

  /**
   * The token in {@code file}: its only line, without the line break. No message says anything
   * about the content but its length.
   */
  private String readToken(String given, Path file) {
    String where = "'" + given + "' (" + file + ")";
    if (!Files.isRegularFile(file)) {
      throw problem(TOKEN_FILE, "names the file " + where + ", which does not exist: write the token into it (one"
          + " line, e.g. openssl rand -hex 32 > " + given + "), or set it to \"\" for no token");
    }
    String token;
    try {
      if (Files.size(file) > 4096) {
        throw problem(TOKEN_FILE, "names the file " + where + ", which is larger than 4 KiB: is it the token file?");
      }
      token = Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII).strip();
    } catch (java.io.IOException e) { // MalformedInputException too: not ASCII
      throw problem(TOKEN_FILE, "names the file " + where + ", which cannot be read as ASCII text: " + e.getClass()
          .getSimpleName());
    }
    if (token.isEmpty()) {
      throw problem(TOKEN_FILE, "names the file " + where + ", which is empty: the token is its one line (e.g."
          + " openssl rand -hex 32 > " + given + ")");
    }
    if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw problem(TOKEN_FILE, "names the file " + where + ", which must hold one line of printable ASCII without"
          + " spaces (the token, as it goes into the header 'Authorization: Bearer <token>')");
    }
    if (token.length() < MIN_TOKEN_LENGTH) {
      throw problem(TOKEN_FILE, "names the file " + where + ", whose token has " + token.length() + " characters:"
          + " it needs at least " + MIN_TOKEN_LENGTH + " (e.g. openssl rand -hex 32 > " + given + ")");
    }
    return token;
  }

  /** The directories whose jars the node loads pipelines from. */
  public List<Path> pipelineDirs() {
    return pipelineDirs;
  }

  /** Loads and validates {@code file}. */
  public static NodeConfig load(Path file) {
    return load(file, ConfigFactory.empty());
  }

  /** Loads {@code file} with {@code overrides} on top (tests, command-line flags). */
  public static NodeConfig load(Path file, Config overrides) {
    return load(file, overrides, Path.of("").toAbsolutePath());
  }

  /**
   * As {@link #load(Path, Config)} for a node that will run in {@code workDir}: relative paths in
   * the settings are against it ({@link LocalCluster} starts its nodes in the Sluice home).
   */
  static NodeConfig load(Path file, Config overrides, Path workDir) {
    if (!Files.exists(file)) {
      throw new ConfigProblem("config file " + file + " does not exist (working directory "
          + Path.of("").toAbsolutePath() + ")");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ConfigProblem("config file " + file + " is not a readable file");
    }
    Config own;
    try {
      own = overrides.withFallback(ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false)));
    } catch (ConfigException e) {
      throw new ConfigProblem(describe(file, e), e);
    }
    for (String key : REQUIRED_IN_NODE_FILE) {
      if (!own.hasPath(key)) {
        throw new ConfigProblem(file + ": missing required setting '" + key + "' (each node file sets it: see"
            + " conf/node-1.conf)");
      }
    }
    Config full;
    try {
      full = own.withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    } catch (ConfigException e) {
      throw new ConfigProblem(describe(file, e), e);
    }
    return new NodeConfig(file, full, workDir.toAbsolutePath());
  }

  static String describe(Path file, ConfigException e) {
    ConfigOrigin o = e.origin();
    String where = o == null ? file.toString() : locate(file, o);
    String msg = e.getMessage();
    // Typesafe Config prefixes its messages with the origin; keep only the problem itself.
    if (o != null && msg.startsWith(o.description())) {
      msg = msg.substring(o.description().length()).replaceFirst("^:\\s*", "");
    }
    if (e instanceof ConfigException.UnresolvedSubstitution) { // a subclass of Parse: test it first
      return where + ": unresolved substitution: " + msg;
    }
    if (e instanceof ConfigException.Parse) {
      return where + ": cannot parse HOCON: " + msg;
    }
    return where + ": " + msg;
  }

  private static String locate(Path file, ConfigOrigin o) {
    String name = o.filename() != null ? o.filename() : file.toString();
    return o.lineNumber() > 0 ? name + ": line " + o.lineNumber() : name;
  }

  private ConfigProblem problem(String key, String what) {
    String where = file.toString();
    if (config.hasPathOrNull(key)) {
      ConfigValue v = config.getValue(key);
      if (v.origin() != null && v.origin().filename() != null) {
        where = locate(file, v.origin());
      }
    }
    return new ConfigProblem(where + ": setting '" + key + "' " + what);
  }

  private ConfigValue value(String key) {
    if (!config.hasPath(key)) {
      throw new ConfigProblem(file + ": missing required setting '" + key + "'");
    }
    return config.getValue(key);
  }

  private String string(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.STRING && v.valueType() != ConfigValueType.NUMBER) {
      throw problem(key, "must be a string, was " + typeName(v));
    }
    return String.valueOf(v.unwrapped());
  }

  private int port(String key) {
    ConfigValue v = value(key);
    int p;
    if (v.valueType() == ConfigValueType.NUMBER) {
      Number n = (Number) v.unwrapped();
      if (n.doubleValue() != Math.rint(n.doubleValue())) {
        throw problem(key, "must be a whole number, was " + n);
      }
      p = n.intValue();
    } else if (v.valueType() == ConfigValueType.STRING) {
      try {
        p = Integer.parseInt(((String) v.unwrapped()).trim());
      } catch (NumberFormatException e) {
        throw problem(key, "must be a port number, was the string '" + v.unwrapped() + "'");
      }
    } else {
      throw problem(key, "must be a port number, was " + typeName(v));
    }
    if (p < 1 || p > 65535) {
      throw problem(key, "must be a port in [1, 65535], was " + p);
    }
    return p;
  }

  private List<String> stringList(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.LIST) {
      throw problem(key, "must be a list of strings, was " + typeName(v));
    }
    try {
      return List.copyOf(config.getStringList(key));
    } catch (ConfigException.WrongType e) {
      throw problem(key, "must be a list of strings: " + e.getMessage().replaceFirst("^.*?: ", ""));
    }
  }

  private boolean bool(String key) {
    value(key);
    try {
      return config.getBoolean(key);
    } catch (ConfigException.WrongType e) {
      throw problem(key, "must be on or off, was " + typeName(config.getValue(key)));
    }
  }

  private java.time.Duration positiveDuration(String key) {
    value(key);
    java.time.Duration d;
    try {
      d = config.getDuration(key);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw problem(key, "must be a duration such as 2s or 500ms, was " + typeName(config.getValue(key)));
    }
    if (d.isNegative() || d.isZero()) {
      throw problem(key, "must be a positive duration, was " + config.getValue(key).render());
    }
    return d;
  }

  private static String typeName(ConfigValue v) {
    String t = v.valueType().name().toLowerCase();
    return v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST ? "a " + t
        : "the " + t + " " + v.render();
  }

  public Path file() {
    return file;
  }

  /** The full, resolved configuration for the actor system. */
  public Config config() {
    return config;
  }

  public String nodeName() {
    return nodeName;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /**
   * The interface Artery listens on: {@code pekko.remote.artery.bind.hostname}, or the canonical
   * hostname when that is "" (the default). They differ behind NAT and in containers.
   */
  public String bindHost() {
    return bindHost;
  }

  /** The port Artery listens on: {@code pekko.remote.artery.bind.port}, or the canonical port when "". */
  public int bindPort() {
    return bindPort;
  }

  /** Whether the HTTP API listens on more than the loopback interface while POST and DELETE need no token. */
  public boolean httpOpenBeyondLoopback() {
    if (httpToken != null) {
      return false;
    }
    try {
      return !java.net.InetAddress.getByName(httpHost).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return true; // the node will fail to bind it anyway
    }
  }

  public String httpHost() {
    return httpHost;
  }

  public int httpPort() {
    return httpPort;
  }

  public List<String> seedNodes() {
    return seedNodes;
  }

  public List<String> roles() {
    return roles;
  }

  public List<String> contactPoints() {
    return contactPoints;
  }

  public String keyspace() {
    return keyspace;
  }

  /** The data center the driver treats as local ({@code sluice.cassandra.local-datacenter}). */
  public String localDatacenter() {
    return localDatacenter;
  }

  /**
   * How the node logs into Cassandra and whether over TLS ({@code sluice.cassandra.auth} and
   * {@code sluice.cassandra.tls}), checked: the files exist and hold a password.
   */
  public CassandraSecurity cassandraSecurity() {
    return cassandraSecurity;
  }

  /** How often the node writes to its journal to check it ({@code sluice.node.journal-probe-interval}). */
  public java.time.Duration journalProbeInterval() {
    return journalProbeInterval;
  }

  /** How long a check's write may take before the journal counts as failing. */
  public java.time.Duration journalProbeTimeout() {
    return journalProbeTimeout;
  }

  /** How long a running job may make no progress before it shows DEGRADED ({@code sluice.coordinator.stall-after}). */
  public java.time.Duration stallAfter() {
    return stallAfter;
  }

  /** The file of the token that mutating HTTP requests must carry ({@code sluice.node.http.token-file}), if set. */
  public java.util.Optional<Path> httpTokenFile() {
    return java.util.Optional.ofNullable(httpTokenFile);
  }

  /** The token itself, read once when the config was loaded; never log it. */
  java.util.Optional<String> httpToken() {
    return java.util.Optional.ofNullable(httpToken);
  }

  /**
   * Whether the node runs in chaos mode ({@code sluice.node.chaos-mode}): only then does it serve
   * {@code POST /jobs/{id}/instances/{operator}/{index}/crash}.
   */
  public boolean chaosMode() {
    return chaosMode;
  }

  /**
   * The directory of the chaos tool's reports that {@code GET /chaos} lists and serves
   * ({@code sluice.node.http.chaos-reports}); empty when set to "".
   */
  public java.util.Optional<Path> chaosReports() {
    return java.util.Optional.ofNullable(chaosReports);
  }

  /** "pekko://sluice@host:port" of this node. */
  public String address() {
    return "pekko://sluice@" + host + ":" + port;
  }
}
