package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.persistence.cassandra.DevCassandra;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a node config can be wrong says which file, line and setting, and the node does not start. */
class NodeConfigTest {
  @TempDir
  Path dir;

  @BeforeEach
  void copyBase() throws IOException {
    Files.copy(DevCassandra.home().resolve("conf/base.conf"), dir.resolve("base.conf"));
  }

  private Path write(String name, String... lines) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, List.of(lines));
    return f;
  }

  private static final String[] GOOD = {
      "include \"base.conf\"",
      "pekko.remote.artery.canonical.port = 25529",
      "sluice.node.http.port = 8559"};

  @Test
  void theShippedNodeFilesAreValid() {
    Path home = DevCassandra.home();
    for (int i = 1; i <= 3; i++) {
      NodeConfig c = NodeConfig.load(home.resolve("conf/node-" + i + ".conf"));
      assertEquals("node-" + i, c.nodeName());
      assertEquals(25520 + i, c.port());
      assertEquals(8550 + i, c.httpPort());
      assertEquals("sluice", c.keyspace());
      assertEquals("pekko://sluice@127.0.0.1:" + (25520 + i), c.address());
    }
  }

  /*
   * Pekko's seed-node-timeout is both the first seed's wait before it founds a cluster and every
   * other node's wait before it asks the seeds again: only the first seed keeps the long one.
   */
  @Test
  void onlyTheFirstSeedWaitsLongBeforeFoundingACluster_theOthersAskAgainAfterTheJoinRetry() throws IOException {
    Path home = DevCassandra.home();
    NodeConfig first = NodeConfig.load(home.resolve("conf/node-1.conf"));
    assertEquals(com.typesafe.config.ConfigFactory.empty(), first.seedRole());
    assertEquals(java.time.Duration.ofSeconds(20), first.config().getDuration("pekko.cluster.seed-node-timeout"));
    for (int i = 2; i <= 3; i++) {
      NodeConfig other = NodeConfig.load(home.resolve("conf/node-" + i + ".conf"));
      assertEquals(java.time.Duration.ofSeconds(2),
          other.seedRole().withFallback(other.config()).getDuration("pekko.cluster.seed-node-timeout"));
    }
    Path v6 = write("v6.conf", "include \"base.conf\"", "pekko.remote.artery.canonical.hostname = \"::1\"",
        "pekko.remote.artery.canonical.port = 25529", "sluice.node.http.port = 8559",
        "pekko.cluster.seed-nodes = [\"pekko://sluice@[::1]:25529\", \"pekko://sluice@[::1]:25530\"]",
        "sluice.node.join-retry = 500ms");
    assertEquals(com.typesafe.config.ConfigFactory.empty(), NodeConfig.load(v6).seedRole());
    Path joiner = write("joiner.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.join-retry = 500ms");
    assertEquals(java.time.Duration.ofMillis(500),
        NodeConfig.load(joiner).seedRole().getDuration("pekko.cluster.seed-node-timeout"));
    Path bad = write("bad.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.join-retry = 0s");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(bad));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("sluice.node.join-retry"), e.getMessage());
  }

  @Test
  void journalCompressionIsChecked() throws IOException {
    NodeConfig.load(write("none.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.journal.compression = none"));
    Path bad = write("bad.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.journal.compression = zip");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(bad));
    assertEquals(bad + ": line 4: setting 'sluice.journal.compression' must be lz4, deflate or none, was 'zip'",
        e.getMessage());
  }

  @Test
  void pipelineDirectoriesMustExist() throws IOException {
    assertEquals(List.of(), NodeConfig.load(write("node.conf", GOOD)).pipelineDirs());
    Path jars = Files.createDirectories(dir.resolve("jars"));
    Path ok = write("ok.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.pipeline-dirs = [\"" + jars + "\"]");
    assertEquals(List.of(jars), NodeConfig.load(ok).pipelineDirs());
    Path bad = write("bad.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.pipeline-dirs = [\"" + dir.resolve("nope")
        + "\"]");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(bad));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("sluice.node.pipeline-dirs")
        && e.getMessage().contains("is not a directory"), e.getMessage());
  }

  @Test
  void theHealthSettingsHaveDefaults_andABadOneNamesFileLineAndSetting() throws IOException {
    NodeConfig c = NodeConfig.load(write("node.conf", GOOD));
    assertEquals(java.time.Duration.ofSeconds(2), c.journalProbeInterval());
    assertEquals(java.time.Duration.ofSeconds(10), c.journalProbeTimeout());
    assertEquals(java.time.Duration.ofSeconds(60), c.stallAfter());

    Path zero = write("zero.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.journal-probe-interval = 0s");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(zero));
    assertEquals(zero + ": line 4: setting 'sluice.node.journal-probe-interval' must be a positive duration, was"
        + " \"0s\"", e.getMessage());
    Path word = write("word.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.coordinator.stall-after = soon");
    e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(word));
    assertEquals(word + ": line 4: setting 'sluice.coordinator.stall-after' must be a duration such as 2s or 500ms,"
        + " was the string \"soon\"", e.getMessage());
  }

  @Test
  void whenTheFileIsMissing_thenTheErrorNamesIt() {
    Path missing = dir.resolve("node-9.conf");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(missing));
    assertEquals("config file " + missing + " does not exist (working directory "
        + Path.of("").toAbsolutePath() + ")", e.getMessage());
  }

  @Test
  void whenHoconDoesNotParse_thenTheErrorNamesFileAndLine() throws IOException {
    Path f = write("bad.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.cluster {", "  roles = [\"a\"");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 6: cannot parse HOCON: List should have had new element after a comma, instead had"
        + " token: end of file (if you want the comma or end of file to be part of a string value, then double-quote"
        + " it)", e.getMessage());
  }

  @Test
  void whenAnIncludedFileDoesNotParse_thenTheErrorNamesThatFile() throws IOException {
    Path base = dir.resolve("base.conf");
    Files.writeString(base, "pekko.cluster = { roles = [ }\n");
    Path f = write("node.conf", GOOD);
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(true, e.getMessage().startsWith(base + ": line 1: cannot parse HOCON: "), e.getMessage());
  }

  @Test
  void whenARequiredSettingIsMissing_thenTheErrorNamesItsPath() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1]);
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": missing required setting 'sluice.node.http.port' (each node file sets it: see"
        + " conf/node-1.conf)", e.getMessage());
  }

  @Test
  void whenThePortIsAString_thenTheErrorNamesPathAndLine() throws IOException {
    Path f = write("node.conf", GOOD[0], "pekko.remote.artery.canonical.port = \"abc\"", GOOD[2]);
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 2: setting 'pekko.remote.artery.canonical.port' must be a port number, was the"
        + " string 'abc'", e.getMessage());
  }

  @Test
  void whenThePortIsOutOfRange_thenTheErrorSaysSo() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], "sluice.node.http.port = 70000");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 3: setting 'sluice.node.http.port' must be a port in [1, 65535], was 70000",
        e.getMessage());
  }

  @Test
  void whenAListIsAString_thenTheErrorNamesTheWrongType() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.cluster.roles = \"worker\"");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'pekko.cluster.roles' must be a list of strings, was the string \"worker\"",
        e.getMessage());
  }

  @Test
  void whenASeedNodeIsNotASluiceAddress_thenTheErrorExplainsTheForm() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.cluster.seed-nodes = [\"127.0.0.1:25521\"]");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'pekko.cluster.seed-nodes' '127.0.0.1:25521' must be an address of the form"
        + " pekko://sluice@host:port (every node's actor system is named 'sluice')", e.getMessage());
  }

  @Test
  void whenASeedHasNoPortOrAWildcardHost_thenTheErrorNamesIt() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.cluster.seed-nodes = [\"pekko://sluice@10.0.0.11\"]");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'pekko.cluster.seed-nodes' 'pekko://sluice@10.0.0.11' must be an address of"
        + " the form pekko://sluice@host:port (every node's actor system is named 'sluice')", e.getMessage());
    Path g = write("any.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.cluster.seed-nodes = [\"pekko://sluice@0.0.0.0:25521\"]");
    e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(g));
    assertEquals(g + ": line 4: setting 'pekko.cluster.seed-nodes' 'pekko://sluice@0.0.0.0:25521' must name a seed's"
        + " canonical hostname and port as the seed sets them (pekko.remote.artery.canonical.*), with a port in"
        + " [1, 65535]", e.getMessage());
    // names, IPv4 and bracketed IPv6 addresses are seeds
    Path ok = write("ok.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.cluster.seed-nodes = [\"pekko://sluice@sluice-1.example"
        + ".internal:25520\", \"pekko://sluice@10.0.0.12:25520\", \"pekko://sluice@[fd00::13]:25520\"]");
    assertEquals(3, NodeConfig.load(ok).seedNodes().size());
  }

  @Test
  void theCanonicalHostnameMustBeReachable_andTheNodeListensOnTheBindAddressWhenSet() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.remote.artery.canonical.hostname = \"0.0.0.0\"");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'pekko.remote.artery.canonical.hostname' is the address the other nodes"
        + " connect to, so it must be this host's name or address as they reach it, was '0.0.0.0' (to listen on"
        + " every interface, set pekko.remote.artery.bind.hostname = \"0.0.0.0\")", e.getMessage());

    NodeConfig same = NodeConfig.load(write("same.conf", GOOD));
    assertEquals("127.0.0.1", same.bindHost());
    assertEquals(25529, same.bindPort());
    NodeConfig nat = NodeConfig.load(write("nat.conf", GOOD[0], GOOD[1], GOOD[2],
        "pekko.remote.artery.canonical.hostname = \"sluice-3.example.internal\"",
        "pekko.remote.artery.bind.hostname = \"0.0.0.0\"", "pekko.remote.artery.bind.port = 2552"));
    assertEquals("pekko://sluice@sluice-3.example.internal:25529", nat.address());
    assertEquals("0.0.0.0", nat.bindHost());
    assertEquals(2552, nat.bindPort());
    NodeConfig own = NodeConfig.load(write("own.conf", GOOD[0], GOOD[1], GOOD[2],
        "pekko.remote.artery.canonical.hostname = \"<getHostAddress>\""));
    assertEquals(java.net.InetAddress.getLocalHost().getHostAddress(), own.host());
  }

  @Test
  void whenTheCanonicalHostnameIsNotOfThisMachine_thenTheNodeListensOnTheBindAddress() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: without a bind address the node cannot listen
    Path f = write("nat.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.remote.artery.canonical.hostname = \"192.0.2.1\"");
    NodeStartException e = assertThrows(NodeStartException.class, () -> SluiceNode.start(NodeConfig.load(f)));
    assertEquals(true, e.getMessage().startsWith("cannot listen on 192.0.2.1:25529"
        + " (pekko.remote.artery.canonical.hostname in " + f + "): "), e.getMessage());
    assertEquals(true, e.getMessage().contains("set pekko.remote.artery.bind.hostname"), e.getMessage());
    // with one, the port check passes and the start goes on to Cassandra (closed here)
    Path g = write("bound.conf", GOOD[0], GOOD[1], GOOD[2], "pekko.remote.artery.canonical.hostname = \"192.0.2.1\"",
        "pekko.remote.artery.bind.hostname = \"127.0.0.1\"", "sluice.node.cassandra-wait = 1s",
        "sluice.cassandra.contact-points = [\"127.0.0.1:" + closed + "\"]");
    e = assertThrows(NodeStartException.class, () -> SluiceNode.start(NodeConfig.load(g)));
    assertEquals(true, e.getMessage().startsWith("Cassandra is not reachable at [127.0.0.1:" + closed + "]"),
        e.getMessage());
  }

  @Test
  void whenAContactPointHasNoPortOrTheDataCenterIsEmpty_thenTheErrorNamesIt() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.cassandra.contact-points = [\"cassandra-1.example.internal\"]");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'sluice.cassandra.contact-points' contact point 'cassandra-1.example.internal'"
        + " must be host:port, e.g. 'cassandra-1.example.internal:9042'", e.getMessage());
    Path g = write("dc.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.cassandra.local-datacenter = \"\"");
    e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(g));
    assertEquals(g + ": line 4: setting 'sluice.cassandra.local-datacenter' must name the Cassandra data center of"
        + " the contact points (nodetool status shows it; a single-node Cassandra's is \"datacenter1\")",
        e.getMessage());
  }

  @Test
  void anHttpApiBeyondLoopbackWithoutATokenIsFlagged() throws IOException {
    assertEquals(false, NodeConfig.load(write("local.conf", GOOD)).httpOpenBeyondLoopback());
    assertEquals(true, NodeConfig.load(write("open.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.node.http.host = \"0.0.0.0\"")).httpOpenBeyondLoopback());
    Path token = Files.writeString(dir.resolve("api-token"), TOKEN);
    assertEquals(false, NodeConfig.load(write("tokened.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.node.http.host = \"0.0.0.0\"", "sluice.node.http.token-file = \"" + token + "\""))
        .httpOpenBeyondLoopback());
  }

  @Test
  void whenTheKeyspaceIsNotAnIdentifier_thenTheErrorNamesIt() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.cassandra.keyspace = \"my-keyspace\"");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'sluice.cassandra.keyspace' must be a Cassandra identifier (a letter, then"
        + " letters, digits or '_', at most 48), was 'my-keyspace'", e.getMessage());
  }

  @Test
  void whenAContactPointHasNoValidPort_thenTheErrorNamesIt() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.cassandra.contact-points = [\"127.0.0.1:nine\"]");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'sluice.cassandra.contact-points' contact point '127.0.0.1:nine' must be"
        + " host:port", e.getMessage());
  }

  @Test
  void whenASubstitutionIsUnresolved_thenTheErrorNamesIt() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.cassandra.keyspace = ${nowhere}");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: unresolved substitution: Could not resolve substitution to a value: ${nowhere}",
        e.getMessage());
  }

  @Test
  void whenThePortIsInUse_thenTheNodeDoesNotStartAndNamesThePortSetting() throws IOException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      Path f = write("node.conf", GOOD[0], "pekko.remote.artery.canonical.port = " + port, GOOD[2]);
      NodeStartException e = assertThrows(NodeStartException.class, () -> SluiceNode.start(NodeConfig.load(f)));
      assertEquals(true, e.getMessage().startsWith("port " + port + " on 127.0.0.1 (pekko.remote.artery.canonical.port"
          + " in " + f + ") is already in use: is this node already running?"), e.getMessage());
    }
  }

  @Test
  void whenCassandraIsUnreachable_thenTheErrorNamesTheContactPointsAndTheFix() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.cassandra.contact-points = [\"127.0.0.1:" + closed + "\"]", "sluice.node.cassandra-wait = 1s");
    NodeStartException e = assertThrows(NodeStartException.class, () -> SluiceNode.start(NodeConfig.load(f)));
    assertEquals(true, e.getMessage().startsWith("Cassandra is not reachable at [127.0.0.1:" + closed
        + "] (sluice.cassandra.contact-points in " + f + "): 127.0.0.1:" + closed + ": Connection refused"),
        e.getMessage());
    assertEquals(true, e.getMessage().endsWith(". Start the dev Cassandra with: bin/sluice cassandra start"),
        e.getMessage());
  }
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @Test
  void theApiTokenAndChaosModeAreOffByDefault() throws IOException {
    NodeConfig c = NodeConfig.load(write("node.conf", GOOD));
    assertEquals(java.util.Optional.empty(), c.httpTokenFile());
    assertEquals(java.util.Optional.empty(), c.httpToken());
    assertEquals(false, c.chaosMode());
    assertEquals("127.0.0.1", c.httpHost());
  }

  @Test
  void aTokenFileIsReadOnce_withoutItsLineBreak_andChaosModeParses() throws IOException {
    Path token = dir.resolve("api-token");
    Files.writeString(token, TOKEN + "\n");
    NodeConfig c = NodeConfig.load(write("node.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.node.http.token-file = \"" + token + "\"", "sluice.node.chaos-mode = on"));
    assertEquals(java.util.Optional.of(token), c.httpTokenFile());
    assertEquals(java.util.Optional.of(TOKEN), c.httpToken());
    assertEquals(true, c.chaosMode());
    // what the node hands to its actor system names the file, never the token
    org.junit.jupiter.api.Assertions.assertFalse(c.config().root().render().contains(TOKEN));
  }

  @Test
  void aRelativeTokenFileIsAgainstTheNodesWorkingDirectory() throws IOException {
    Path home = Files.createDirectories(dir.resolve("home"));
    Files.writeString(home.resolve("api-token"), TOKEN);
    NodeConfig c = NodeConfig.load(write("node.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.node.http.token-file = api-token"), com.typesafe.config.ConfigFactory.empty(), home);
    assertEquals(java.util.Optional.of(TOKEN), c.httpToken());
  }

  @Test
  void aTokenFileThatIsMissing_empty_orNotOneLine_isAnErrorNamingTheFileAndTheSetting() throws IOException {
    Path missing = dir.resolve("no-such-token");
    Path f = write("missing.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.http.token-file = \"" + missing + "\"");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'sluice.node.http.token-file' names the file '" + missing + "' (" + missing
        + "), which does not exist: write the token into it (one line, e.g. openssl rand -hex 32 > " + missing
        + "), or set it to \"\" for no token", e.getMessage());

    Path empty = Files.writeString(dir.resolve("empty-token"), " \n");
    Path g = write("empty.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.http.token-file = \"" + empty + "\"");
    e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(g));
    assertEquals(g + ": line 4: setting 'sluice.node.http.token-file' names the file '" + empty + "' (" + empty
        + "), which is empty: the token is its one line (e.g. openssl rand -hex 32 > " + empty + ")", e.getMessage());

    String twoLines = "first-line-of-the-file\nsecond-line-of-the-file";
    Path spaced = Files.writeString(dir.resolve("two-lines"), twoLines);
    Path h = write("lines.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.http.token-file = \"" + spaced + "\"");
    e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(h));
    assertEquals(true, e.getMessage().contains("'sluice.node.http.token-file' names the file '" + spaced + "'")
        && e.getMessage().contains("must hold one line of printable ASCII"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertFalse(e.getMessage().contains("line-of-the-file"), e.getMessage());

    Path shortToken = Files.writeString(dir.resolve("short"), "secret");
    Path k = write("short.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.http.token-file = \"" + shortToken + "\"");
    e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(k));
    assertEquals(true, e.getMessage().contains("whose token has 6 characters: it needs at least 16"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @Test
  void chaosModeMustBeOnOrOff() throws IOException {
    Path f = write("node.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.chaos-mode = sometimes");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 4: setting 'sluice.node.chaos-mode' must be on or off, was the string \"sometimes\"",
        e.getMessage());
  }

  private Path tlsNode(String name, Path keys) throws IOException {
    return write(name, GOOD[0], GOOD[1], GOOD[2], "sluice.node.tls.enabled = on",
        "sluice.node.tls.key-store = \"" + keys.resolve("node.p12") + "\"",
        "sluice.node.tls.trust-store = \"" + keys.resolve("trust.p12") + "\"",
        "sluice.node.tls.password-file = \"" + keys.resolve("password") + "\"");
  }

  @Test
  void tlsOnMakesArteryTlsWithMutualAuthentication_andTheConfigNamesThePasswordFileNotThePassword()
      throws Exception {
    assertEquals(com.typesafe.config.ConfigFactory.empty(), NodeConfig.load(write("plain.conf", GOOD)).transport());
    Path keys = dir.resolve("tls");
    io.sluice.cluster.internal.TlsKeys.generate(keys, "test-cluster", false);
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(keys.resolve("password"))));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(keys.resolve("node.p12"))), "the private key is readable by others");
    com.typesafe.config.Config t = NodeConfig.load(tlsNode("tls.conf", keys)).transport();
    assertEquals("tls-tcp", t.getString("pekko.remote.artery.transport"));
    assertEquals(true, t.getBoolean("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication"));
    assertEquals("TLSv1.3", t.getString("pekko.remote.artery.ssl.config-ssl-engine.protocol"));
    assertEquals(keys.resolve("node.p12").toString(), t.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store"));
    String password = Files.readString(keys.resolve("password")).strip();
    assertEquals(false, t.root().render().contains(password), "the password is in the actor system's config");
    // a second pair refuses to overwrite the first: nodes using it would stop trusting each other
    IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
        () -> io.sluice.cluster.internal.TlsKeys.generate(keys, "test-cluster", false));
    assertEquals(true, again.getMessage().contains("--replace"), again.getMessage());
  }

  @Test
  void tlsSettingsThatCannotWorkNameTheFileAndTheSettingAndNeverThePassword() throws Exception {
    Path keys = dir.resolve("tls");
    io.sluice.cluster.internal.TlsKeys.generate(keys, "test-cluster", false);
    Path f = write("empty.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.node.tls.enabled = on");
    assertEquals(f + ": line 4: setting 'sluice.node.tls.enabled' is on, so 'sluice.node.tls.key-store' must name a"
        + " file (bin/sluice tls-keys DIR makes a development key pair)",
        assertThrows(ConfigProblem.class, () -> NodeConfig.load(f)).getMessage());
    Files.delete(keys.resolve("trust.p12"));
    Path g = tlsNode("missing.conf", keys);
    assertEquals(g + ": line 6: setting 'sluice.node.tls.trust-store' names '" + keys.resolve("trust.p12") + "' ("
        + keys.resolve("trust.p12") + "), which is not a file",
        assertThrows(ConfigProblem.class, () -> NodeConfig.load(g)).getMessage());
    Files.delete(keys.resolve("node.p12"));
    Files.delete(keys.resolve("password"));
    io.sluice.cluster.internal.TlsKeys.generate(keys, "test-cluster", false);
    Files.writeString(keys.resolve("password"), "not-the-password\n");
    Path h = tlsNode("wrong.conf", keys);
    String wrong = assertThrows(ConfigProblem.class, () -> NodeConfig.load(h)).getMessage();
    assertEquals(h + ": line 5: setting 'sluice.node.tls.key-store' names " + keys.resolve("node.p12")
        + ", which the password in the password file does not open as a PKCS12 store (IOException)", wrong);
    assertEquals(false, wrong.contains("not-the-password"));
  }

  @Test
  void aCassandraLoginIsReadFromTheNodeFile_andAMissingPasswordFileNamesTheSettingTheFileAndTheLine()
      throws IOException {
    String password = "pa55-for-cassandra";
    Path pw = Files.writeString(dir.resolve("cassandra-password"), password + "\n");
    NodeConfig c = NodeConfig.load(write("node.conf", GOOD[0], GOOD[1], GOOD[2],
        "sluice.cassandra.auth.username = sluice", "sluice.cassandra.auth.password-file = \"" + pw + "\""));
    assertEquals(java.util.Optional.of("sluice"), c.cassandraSecurity().username());
    assertEquals(false, c.config().root().render().contains(password));
    assertEquals(false, c.cassandraSecurity().settings().root().render().contains(password));
    assertEquals("datacenter1", c.localDatacenter());
    assertEquals(false, NodeConfig.load(write("plain.conf", GOOD)).cassandraSecurity().authenticates());

    Path missing = dir.resolve("no-password");
    Path f = write("missing.conf", GOOD[0], GOOD[1], GOOD[2], "sluice.cassandra.auth.username = sluice",
        "sluice.cassandra.auth.password-file = \"" + missing + "\"");
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> NodeConfig.load(f));
    assertEquals(f + ": line 5: setting 'sluice.cassandra.auth.password-file' names '" + missing + "' (" + missing
        + "), which is not a file", e.getMessage());
  }
}
