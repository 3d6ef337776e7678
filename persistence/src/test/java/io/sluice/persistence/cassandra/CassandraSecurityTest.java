package io.sluice.persistence.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.auth.PlainTextAuthProviderBase;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.session.ProgrammaticArguments;
import com.datastax.oss.driver.internal.core.context.DefaultDriverContext;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's Cassandra login and TLS settings become the driver settings that make the driver
 * itself build {@link FileAuthProvider} and {@link FileSslEngineFactory}, with the files' paths and
 * never a password; every unusable setting is a {@link CassandraSecurity.Problem} naming it.
 */
class CassandraSecurityTest {
  private static final String PASSWORD = "s3cret-Pa55word";
  private static final String STORE_PASSWORD = "st0re-Pa55word";

  @TempDir
  Path dir;

  private static Config config(Map<String, Object> settings) {
    return ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  /** A PKCS12 store with a self-signed key pair for "localhost", made with the JDK's keytool. */
  private Path keyStore() throws Exception {
    Path store = dir.resolve("cassandra.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    ProcessBuilder b = new ProcessBuilder(keytool, "-genkeypair", "-alias", "cassandra", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity",
        "2", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass:env", "PW")
        .redirectErrorStream(true).redirectOutput(dir.resolve("keytool.out").toFile());
    b.environment().put("PW", STORE_PASSWORD); // not on the command line
    Process p = b.start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool did not finish");
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("keytool.out")));
    return store;
  }

  @Test
  void byDefault_noLoginAndNoTls_andNoDriverSettings() {
    CassandraSecurity s = CassandraSecurity.from(config(Map.of()), dir);
    assertEquals(CassandraSecurity.NONE, s);
    assertFalse(s.authenticates());
    assertFalse(s.tls());
    assertTrue(s.driverConfig().isEmpty());
    assertEquals("no login, plain TCP", s.toString());
  }

  @Test
  void aLogin_becomesTheDriversAuthProvider_withThePathNotThePassword() throws Exception {
    Path pw = write("cassandra-password", PASSWORD + "\n");
    CassandraSecurity s = CassandraSecurity.from(config(Map.of(CassandraSecurity.USERNAME, "sluice",
        CassandraSecurity.PASSWORD_FILE, "cassandra-password")), dir);
    Config driver = s.driverConfig();
    assertEquals(FileAuthProvider.class.getName(), driver.getString("advanced.auth-provider.class"));
    assertEquals("sluice", driver.getString("advanced.auth-provider.username"));
    assertEquals(pw.toString(), driver.getString("advanced.auth-provider.password-file"));
    assertFalse(driver.hasPath("advanced.ssl-engine-factory"));
    for (String shown : List.of(driver.root().render(), s.settings().root().render(), s.toString())) {
      assertFalse(shown.contains(PASSWORD), shown);
    }
    assertEquals("role 'sluice' (password in " + pw + "), plain TCP", s.toString());

    // the driver builds our provider from these settings, and it sends the file's line
    try (DriverConfigLoader loader = s.loader(List.of("127.0.0.1:9242"), "dc1").build()) {
      DefaultDriverContext context = new DefaultDriverContext(loader, ProgrammaticArguments.builder().build());
      DriverExecutionProfile p = context.getConfig().getDefaultProfile();
      assertEquals(List.of("127.0.0.1:9242"), p.getStringList(DefaultDriverOption.CONTACT_POINTS));
      assertEquals("dc1", p.getString(DefaultDriverOption.LOAD_BALANCING_LOCAL_DATACENTER));
      FileAuthProvider auth = assertInstanceOf(FileAuthProvider.class, context.getAuthProvider().orElseThrow());
      assertTrue(context.getSslEngineFactory().isEmpty());
      PlainTextAuthProviderBase.Credentials c = auth.getCredentials(null, "PasswordAuthenticator");
      assertEquals("sluice", new String(c.getUsername()));
      assertEquals(PASSWORD, new String(c.getPassword()));
      // a changed password is read for the next connection
      write("cassandra-password", "another-one");
      assertEquals("another-one", new String(auth.getCredentials(null, "PasswordAuthenticator").getPassword()));
    }
  }

  @Test
  void tls_becomesTheDriversEngineFactory_withThePathsNotThePassword() throws Exception {
    Path store = keyStore();
    Path pw = write("store-password", STORE_PASSWORD);
    CassandraSecurity s = CassandraSecurity.from(config(Map.of(CassandraSecurity.TLS_ENABLED, true,
        CassandraSecurity.TRUST_STORE, store.toString(), CassandraSecurity.KEY_STORE, store.toString(),
        CassandraSecurity.TLS_PASSWORD_FILE, pw.toString())), dir);
    assertTrue(s.tls());
    Config driver = s.driverConfig();
    assertEquals(FileSslEngineFactory.class.getName(), driver.getString("advanced.ssl-engine-factory.class"));
    assertEquals(store.toString(), driver.getString("advanced.ssl-engine-factory.truststore-path"));
    assertEquals(store.toString(), driver.getString("advanced.ssl-engine-factory.keystore-path"));
    assertEquals(pw.toString(), driver.getString("advanced.ssl-engine-factory.password-file"));
    assertTrue(driver.getBoolean("advanced.ssl-engine-factory.hostname-validation"));
    assertFalse(driver.hasPath("advanced.auth-provider"));
    assertFalse(driver.root().render().contains(STORE_PASSWORD));
    assertFalse(s.toString().contains(STORE_PASSWORD));

    try (DriverConfigLoader loader = s.loader(List.of("localhost:9242"), "datacenter1").build()) {
      DefaultDriverContext context = new DefaultDriverContext(loader, ProgrammaticArguments.builder().build());
      FileSslEngineFactory f = assertInstanceOf(FileSslEngineFactory.class,
          context.getSslEngineFactory().orElseThrow());
      assertTrue(context.getAuthProvider().isEmpty());
      SSLEngine e = f.newSslEngine(new com.datastax.oss.driver.internal.core.metadata.DefaultEndPoint(
          new InetSocketAddress("localhost", 9242)));
      assertTrue(e.getUseClientMode());
      assertEquals("HTTPS", e.getSSLParameters().getEndpointIdentificationAlgorithm());
      assertEquals("localhost", e.getPeerHost());
    }
    CassandraSecurity noValidation = CassandraSecurity.from(config(Map.of(CassandraSecurity.TLS_ENABLED, true,
        CassandraSecurity.TRUST_STORE, store.toString(), CassandraSecurity.TLS_PASSWORD_FILE, pw.toString(),
        CassandraSecurity.HOSTNAME_VALIDATION, false)), dir);
    assertFalse(noValidation.driverConfig().getBoolean("advanced.ssl-engine-factory.hostname-validation"));
    assertFalse(noValidation.driverConfig().hasPath("advanced.ssl-engine-factory.keystore-path"));
  }

  private CassandraSecurity.Problem problem(Map<String, Object> settings) {
    return assertThrows(CassandraSecurity.Problem.class, () -> CassandraSecurity.from(config(settings), dir));
  }

  @Test
  void aMissingOrEmptyPasswordFile_orHalfALogin_isAProblemNamingTheSettingAndTheFile() throws IOException {
    Path missing = dir.resolve("no-such-file");
    CassandraSecurity.Problem p = problem(Map.of(CassandraSecurity.USERNAME, "sluice",
        CassandraSecurity.PASSWORD_FILE, "no-such-file"));
    assertEquals(CassandraSecurity.PASSWORD_FILE, p.setting());
    assertEquals("names 'no-such-file' (" + missing + "), which is not a file", p.getMessage());

    write("blank", " \n");
    p = problem(Map.of(CassandraSecurity.USERNAME, "sluice", CassandraSecurity.PASSWORD_FILE, "blank"));
    assertEquals(CassandraSecurity.PASSWORD_FILE, p.setting());
    assertEquals("names 'blank' (" + dir.resolve("blank") + "), which is empty: its one line is the password of"
        + " Cassandra role 'sluice'", p.getMessage());

    p = problem(Map.of(CassandraSecurity.USERNAME, "sluice"));
    assertEquals(CassandraSecurity.PASSWORD_FILE, p.setting());
    write("pw", PASSWORD);
    p = problem(Map.of(CassandraSecurity.PASSWORD_FILE, "pw"));
    assertEquals(CassandraSecurity.USERNAME, p.setting());
  }

  @Test
  void tlsWithoutATrustStore_orWithAWrongPassword_isAProblemNamingTheSetting_neverThePassword() throws Exception {
    CassandraSecurity.Problem p = problem(Map.of(CassandraSecurity.TLS_ENABLED, true));
    assertEquals(CassandraSecurity.TRUST_STORE, p.setting());
    Path store = keyStore();
    p = problem(Map.of(CassandraSecurity.TLS_ENABLED, true, CassandraSecurity.TRUST_STORE, store.toString()));
    assertEquals(CassandraSecurity.TLS_PASSWORD_FILE, p.setting());
    write("wrong", "not-" + STORE_PASSWORD);
    p = problem(Map.of(CassandraSecurity.TLS_ENABLED, true, CassandraSecurity.TRUST_STORE, store.toString(),
        CassandraSecurity.TLS_PASSWORD_FILE, "wrong"));
    assertEquals(CassandraSecurity.TRUST_STORE, p.setting());
    assertTrue(p.getMessage().contains(store.toString()), p.getMessage());
    assertFalse(p.getMessage().contains(STORE_PASSWORD), p.getMessage());
  }
}
