package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.internal.TlsKeys;
import io.sluice.core.connector.Generator;
import io.sluice.persistence.cassandra.CassandraSecurity;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.samples.CassandraTotals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nodes against a Cassandra that requires a login ({@code PasswordAuthenticator}) and offers TLS.
 *
 * <p>Design of this test: one Cassandra of its own (CQL 9242, storage 7200, in
 * samples/target/it-cassandra-auth, started afresh and stopped at the end even when a test fails)
 * with a login; the test makes a role {@code sluice} with a random password, as the superuser
 * cassandra/cassandra. A node whose file names that role and a file with its password must start,
 * become ready (its journal logs in), and run the {@code cassandra-sink} sample (totals upserted
 * through {@code CassandraSink}, which logs in as the node does) to an exact table: read back by
 * the test as the superuser and checked against the generator's definition. A node with a wrong
 * password, and one with no login at all, must refuse to start with an error that names the
 * settings, and no secret may appear in what a node prints, logs or answers. The same Cassandra
 * also takes TLS (optional, next to plain TCP, with a development key pair): a node that trusts its
 * key logs in over TLS and becomes ready; one that trusts another key must not start, and says
 * which trust store failed.
 */
class CassandraAuthIT {
  private static final int CQL_PORT = 9242;
  private static final int STORAGE_PORT = 7200;
  private static final String ROLE = "sluice";
  private static final long KEYS = 40;
  private static final long RECORDS_PER_KEY = 25;

  private static DevCassandra cassandra;
  private static Path home;
  private static Path work;
  private static String password;

  @BeforeAll
  static void startCassandraWithLogin() throws Exception {
    home = DevCassandra.home();
    work = home.resolve("samples/target/it-cassandra-auth-work");
    DevCassandra.Settings base = DevCassandra.Settings.from(ConfigFactory.defaultReferenceUnresolved().resolve(),
        home);
    NodeJobs.deleteTree(work);
    Files.createDirectories(work);
    // Cassandra's key (self-signed, no host names in it) and a trust store of its certificate; another pair
    TlsKeys.generate(work.resolve("cassandra-tls"), "it-cassandra", true);
    TlsKeys.generate(work.resolve("stranger-tls"), "it-stranger", true);
    cassandra = new DevCassandra(base.withDirectory(home.resolve("samples/target/it-cassandra-auth"))
        .withPorts(CQL_PORT, STORAGE_PORT).withAuthenticator(DevCassandra.PASSWORD)
        .withClientTls(new DevCassandra.ClientTls(work.resolve("cassandra-tls").resolve(TlsKeys.KEY_STORE),
            work.resolve("cassandra-tls").resolve(TlsKeys.PASSWORD))));
    if (cassandra.process().isPresent()) {
      cassandra.stop(); // left running by an interrupted run, with the keys of that run
    }
    if (cassandra.servesCql()) {
      throw new IllegalStateException("something else serves CQL on " + cassandra.contactPoint() + ": this test"
          + " needs that port for a Cassandra with a login");
    }
    NodeJobs.deleteTree(cassandra.settings().directory()); // a fresh start: the superuser is cassandra/cassandra
    System.out.println("[cassandra-auth] starting a Cassandra with PasswordAuthenticator and optional TLS on "
        + cassandra.contactPoint() + " ...");
    Duration took = cassandra.start();
    System.out.printf("[cassandra-auth] Cassandra serves CQL after %.1f s%n", took.toMillis() / 1000.0);
    byte[] random = new byte[18];
    new SecureRandom().nextBytes(random);
    password = "pw-" + HexFormat.of().formatHex(random);
    try (CqlSession s = superuser(Duration.ofSeconds(60))) {
      s.execute(SimpleStatement.newInstance("CREATE ROLE " + ROLE + " WITH LOGIN = true AND PASSWORD = '" + password
          + "'").setTimeout(Duration.ofSeconds(30)));
    }
  }

  @AfterAll
  static void stopCassandra() {
    if (cassandra != null) {
      Duration took = cassandra.stop();
      System.out.printf("[cassandra-auth] stopped this test's Cassandra (%.1f s)%n", took.toMillis() / 1000.0);
    }
  }

  /**
   * A session as the superuser, with the driver's own plain-text login (not Sluice's); retried
   * until Cassandra has created the superuser, at most {@code timeout}.
   */
  private static CqlSession superuser(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        // only this port: a builder's own contact point is added to the config's (the dev Cassandra's
        // 9042), and a session to both clusters read this test's keyspace from the wrong one
        return CassandraSecurity.NONE.sessionBuilder(List.of("127.0.0.1:" + CQL_PORT), "datacenter1")
            .withAuthCredentials("cassandra", "cassandra").build();
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cannot log in as cassandra/cassandra within " + timeout.toSeconds()
              + " s", e);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(500_000_000L);
      }
    }
  }

  /** A file readable by its owner only, holding {@code secret} on one line. */
  private static Path secretFile(String name, String secret) throws IOException {
    Path f = work.resolve(name);
    Files.deleteIfExists(f);
    Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, secret + "\n");
    return f;
  }

  /** A node file that includes conf/node-{@code n}.conf and points it at this test's Cassandra. */
  private static Path nodeFile(String name, int n, String keyspace, List<String> extra) throws IOException {
    List<String> lines = new ArrayList<>(List.of(
        "include file(\"" + home.resolve("conf/node-" + n + ".conf") + "\")",
        "sluice.cassandra.contact-points = [\"127.0.0.1:" + CQL_PORT + "\"]",
        "sluice.cassandra.keyspace = \"" + keyspace + "\"",
        "sluice.cassandra.schema-autocreate = on"));
    lines.addAll(extra);
    return Files.write(work.resolve(name), lines);
  }

  private static String keyspace(String what) {
    return "it_cauth_" + what + "_" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 25), 36);
  }

  /** Everything a node wrote: its output and its log. */
  private static String written(Path logDir, String node) throws IOException {
    StringBuilder all = new StringBuilder();
    for (String f : List.of(node + ".out", node + ".log")) {
      Path p = logDir.resolve(f);
      if (Files.exists(p)) {
        all.append(Files.readString(p));
      }
    }
    return all.toString();
  }

  @Test
  void aNodeWithTheRolesPasswordFile_startsAndWritesExactTotalsThroughCassandraSink() throws IOException {
    Path pw = secretFile("cassandra-password", password);
    Path node = nodeFile("node-1.conf", 1, keyspace("journal"), List.of(
        // the only seed: node 1 founds its cluster at once instead of waiting for node 2 (seed-node-timeout)
        "pekko.cluster.seed-nodes = [\"pekko://sluice@127.0.0.1:25521\"]",
        "sluice.cassandra.auth.username = " + ROLE,
        "sluice.cassandra.auth.password-file = \"" + pw + "\""));
    Path logs = home.resolve("target/it-logs/cassandra-auth-good");
    String samples = keyspace("out");
    Map<String, String> params = new LinkedHashMap<>();
    params.put("keys", Long.toString(KEYS));
    params.put("records-per-key", Long.toString(RECORDS_PER_KEY));
    params.put("contact-point", "127.0.0.1:" + CQL_PORT);
    params.put("keyspace", samples);
    params.put("table", "totals");
    try (LocalCluster cluster = new LocalCluster(home, List.of(node), List.of(), logs)) {
      long t0 = System.nanoTime();
      cluster.start(0);
      assertTrue(cluster.awaitReady(0, Duration.ofSeconds(180)), "the node did not become ready:\n"
          + cluster.tail(0, 40));
      System.out.printf("[cassandra-auth] node ready (logged in as '%s') after %.1f s%n", ROLE,
          (System.nanoTime() - t0) / 1e9);
      String job = NodeJobs.submit(cluster, CassandraTotals.NAME, params);
      JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofSeconds(180));
      assertEquals("FINISHED", end.path("status").asText(), end.toString());

      // what the node shows and writes names no secret
      List<String> shown = new ArrayList<>(List.of(end.toString(), written(logs, "node-1")));
      cluster.getText(0, "/cluster").ifPresent(shown::add);
      cluster.getText(0, "/ready").ifPresent(shown::add);
      cluster.getText(0, "/jobs").ifPresent(shown::add);
      for (String s : shown) {
        assertFalse(s.contains(password), "the password shows in " + s);
      }
      assertTrue(written(logs, "node-1").contains("logged into Cassandra"), cluster.tail(0, 40));
    }

    // the table, read by the test as the superuser, against the generator's definition
    Map<Long, List<long[]>> rows = new TreeMap<>();
    try (CqlSession s = superuser(Duration.ofSeconds(30))) {
      for (Row r : s.execute(SimpleStatement.newInstance("SELECT key, seq, value, total FROM " + samples
          + ".totals").setPageSize(5000).setTimeout(Duration.ofSeconds(60)))) {
        rows.computeIfAbsent(r.getLong(0), k -> new ArrayList<>()).add(new long[] {r.getLong(1), r.getLong(2),
            r.getLong(3)});
      }
    }
    assertEquals(KEYS, rows.size(), "keys in the table");
    long count = 0;
    for (long key = 0; key < KEYS; key++) {
      List<long[]> got = rows.get(key);
      assertEquals(RECORDS_PER_KEY, got == null ? 0 : got.size(), "rows of key " + key);
      got.sort((a, b) -> Long.compare(a[0], b[0]));
      long total = 0;
      for (int i = 0; i < got.size(); i++) {
        long seq = i + 1;
        long value = Generator.value(key, seq);
        total += value;
        assertEquals(List.of(seq, value, total), List.of(got.get(i)[0], got.get(i)[1], got.get(i)[2]),
            "key " + key + ", row " + seq);
        count++;
      }
    }
    assertEquals(KEYS * RECORDS_PER_KEY, count);
    System.out.printf("[cassandra-auth] %d rows in %s.totals, every running total right%n", count, samples);
  }

  @Test
  void aNodeWithAWrongPassword_orNoLogin_refusesToStart_namingTheSettings_withoutThePassword() throws IOException {
    String wrong = "wrong-" + password.substring(3, 15);
    Path wrongFile = secretFile("wrong-password", wrong);
    Path bad = nodeFile("node-2.conf", 2, keyspace("refused"), List.of(
        "sluice.cassandra.auth.username = " + ROLE,
        "sluice.cassandra.auth.password-file = \"" + wrongFile + "\""));
    Path none = nodeFile("node-3.conf", 3, keyspace("nologin"), List.of());
    Path logs = home.resolve("target/it-logs/cassandra-auth-refused");
    try (LocalCluster cluster = new LocalCluster(home, List.of(bad, none), List.of(), logs)) {
      long t0 = System.nanoTime();
      cluster.start(0);
      cluster.start(1);
      for (int i = 0; i < 2; i++) {
        Optional<Integer> exit = cluster.node(i).process().orElseThrow().awaitExit(Duration.ofSeconds(120));
        assertTrue(exit.isPresent(), "node " + (i + 2) + " did not stop:\n" + cluster.tail(i, 40));
        assertNotEquals(0, exit.get(), cluster.tail(i, 40));
      }
      System.out.printf("[cassandra-auth] both nodes refused to start after %.1f s%n", (System.nanoTime() - t0) / 1e9);

      String refused = written(logs, "node-2");
      System.out.println("[cassandra-auth] node-2 (wrong password): " + cluster.tail(0, 1));
      assertTrue(refused.contains("refused the login of role '" + ROLE + "' (sluice.cassandra.auth.username) with the"
          + " password in " + wrongFile + " (sluice.cassandra.auth.password-file)"), refused);
      assertFalse(refused.contains(wrong), "the wrong password shows:\n" + refused);
      assertFalse(refused.contains(password), "the role's password shows:\n" + refused);

      String noLogin = written(logs, "node-3");
      System.out.println("[cassandra-auth] node-3 (no login): " + cluster.tail(1, 1));
      assertTrue(noLogin.contains("Cassandra at 127.0.0.1:" + CQL_PORT + " requires a login"
          + " (org.apache.cassandra.auth.PasswordAuthenticator): set sluice.cassandra.auth.username and"
          + " sluice.cassandra.auth.password-file in " + none), noLogin);
    }
  }

  /** Settings of a node that logs in as the role and speaks TLS trusting the keys in {@code keys}. */
  private static List<String> loginOverTls(Path pw, Path keys) {
    return List.of(
        "sluice.cassandra.auth.username = " + ROLE,
        "sluice.cassandra.auth.password-file = \"" + pw + "\"",
        "sluice.cassandra.tls.enabled = on",
        "sluice.cassandra.tls.trust-store = \"" + keys.resolve(TlsKeys.TRUST_STORE) + "\"",
        "sluice.cassandra.tls.password-file = \"" + keys.resolve(TlsKeys.PASSWORD) + "\"",
        // the development certificate names no host
        "sluice.cassandra.tls.hostname-validation = off");
  }

  /*
   * Cassandra takes TLS and plain TCP on one port here (optional: true), so a node that reaches it
   * over TLS proves little alone: the node that trusts another key must fail its handshake.
   */
  @Test
  void aNodeOverTlsTrustingCassandrasKey_becomesReady_andOneTrustingAnotherKey_refusesToStart() throws IOException {
    Path pw = secretFile("cassandra-password-tls", password);
    String tlsPassword = Files.readString(work.resolve("cassandra-tls").resolve(TlsKeys.PASSWORD)).strip();
    List<String> good = new ArrayList<>(List.of("pekko.cluster.seed-nodes = [\"pekko://sluice@127.0.0.1:25521\"]"));
    good.addAll(loginOverTls(pw, work.resolve("cassandra-tls")));
    Path node = nodeFile("node-1-tls.conf", 1, keyspace("tls"), good);
    Path stranger = nodeFile("node-2-tls.conf", 2, keyspace("tlsrefused"), loginOverTls(pw,
        work.resolve("stranger-tls")));
    Path logs = home.resolve("target/it-logs/cassandra-auth-tls");
    try (LocalCluster cluster = new LocalCluster(home, List.of(node, stranger), List.of(), logs)) {
      long t0 = System.nanoTime();
      cluster.start(0);
      cluster.start(1);
      assertTrue(cluster.awaitReady(0, Duration.ofSeconds(180)), "the node over TLS did not become ready:\n"
          + cluster.tail(0, 40));
      System.out.printf("[cassandra-auth] node over TLS ready after %.1f s%n", (System.nanoTime() - t0) / 1e9);
      Optional<Integer> exit = cluster.node(1).process().orElseThrow().awaitExit(Duration.ofSeconds(120));
      assertTrue(exit.isPresent(), "the node trusting another key did not stop:\n" + cluster.tail(1, 40));
      assertNotEquals(0, exit.get(), cluster.tail(1, 40));

      String ready = written(logs, "node-1-tls");
      assertTrue(ready.contains("as role '" + ROLE + "' (password in " + pw + "), TLS (trust store "
          + work.resolve("cassandra-tls").resolve(TlsKeys.TRUST_STORE)), ready);
      String refused = written(logs, "node-2-tls");
      System.out.println("[cassandra-auth] node trusting another key: " + cluster.tail(1, 1));
      assertTrue(refused.contains("no TLS connection to Cassandra at 127.0.0.1:" + CQL_PORT + " with the trust store "
          + work.resolve("stranger-tls").resolve(TlsKeys.TRUST_STORE) + " (sluice.cassandra.tls.trust-store)"), refused);
      List<String> shown = new ArrayList<>(List.of(ready, refused));
      cluster.getText(0, "/cluster").ifPresent(shown::add);
      cluster.getText(0, "/ready").ifPresent(shown::add);
      for (String s : shown) {
        assertFalse(s.contains(password), "the role's password shows in " + s);
        assertFalse(s.contains(tlsPassword), "the stores' password shows in " + s);
      }
    }
  }
}
