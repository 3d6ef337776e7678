package io.sluice.persistence.cassandra;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.DriverOption;
import com.datastax.oss.driver.api.core.config.ProgrammaticDriverConfigLoaderBuilder;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.SocketFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * How a node logs into Cassandra and whether it speaks TLS to it: {@code sluice.cassandra.auth}
 * and {@code sluice.cassandra.tls} of the node file, read and checked once, and applied to every
 * driver session the node opens (the journal's, the snapshot store's, the state store's through
 * {@link MeteredSessionProvider}; each {@code CassandraSink}'s; the samples') as driver settings:
 * {@link FileAuthProvider} and {@link FileSslEngineFactory} with the paths of the files, never
 * their content. No password is ever in a config, a log line or a message.
 *
 * <pre>
 * sluice.cassandra.auth { username = "sluice", password-file = "/etc/sluice/cassandra-password" }
 * sluice.cassandra.tls { enabled = on, trust-store = "/etc/sluice/cassandra-trust.p12",
 *                        password-file = "/etc/sluice/cassandra-trust-password" }
 * </pre>
 *
 * {@link #from} fails with a {@link Problem} that names the setting and the file at fault. A node
 * {@link #install installs} its settings for the sinks of the jobs it runs.
 */
public final class CassandraSecurity {
  public static final String USERNAME = "sluice.cassandra.auth.username";
  public static final String PASSWORD_FILE = "sluice.cassandra.auth.password-file";
  public static final String TLS_ENABLED = "sluice.cassandra.tls.enabled";
  public static final String TRUST_STORE = "sluice.cassandra.tls.trust-store";
  public static final String KEY_STORE = "sluice.cassandra.tls.key-store";
  public static final String TLS_PASSWORD_FILE = "sluice.cassandra.tls.password-file";
  public static final String HOSTNAME_VALIDATION = "sluice.cassandra.tls.hostname-validation";

  /** No authentication, plain TCP: Cassandra's defaults. */
  public static final CassandraSecurity NONE = new CassandraSecurity(null, null, null, null, null, true);

  /** The largest secret file read: a password, not a document. */
  private static final long MAX_SECRET_BYTES = 4096;

  private static volatile CassandraSecurity installed = NONE;

  private final String username;
  private final Path passwordFile;
  private final Path trustStore;
  private final Path keyStore;
  private final Path tlsPasswordFile;
  private final boolean hostnameValidation;

  private CassandraSecurity(String username, Path passwordFile, Path trustStore, Path keyStore, Path tlsPasswordFile,
      boolean hostnameValidation) {
    this.username = username;
    this.passwordFile = passwordFile;
    this.trustStore = trustStore;
    this.keyStore = keyStore;
    this.tlsPasswordFile = tlsPasswordFile;
    this.hostnameValidation = hostnameValidation;
  }

  /** A setting that cannot be used: {@link #setting()} names it; the message says why (never a secret). */
  public static final class Problem extends IllegalArgumentException {
    private final String setting;

    Problem(String setting, String message) {
      super(message);
      this.setting = setting;
    }

    /** The full path of the setting at fault, e.g. {@code sluice.cassandra.auth.password-file}. */
    public String setting() {
      return setting;
    }
  }

  /**
   * Reads and checks {@code sluice.cassandra.auth} and {@code sluice.cassandra.tls} of
   * {@code config}; relative paths are against {@code workDir}. Checks that the password files
   * hold a password and that the TLS password opens the stores.
   *
   * @throws Problem naming the setting and the file at fault
   */
  public static CassandraSecurity from(Config config, Path workDir) {
    String user = config.getString(USERNAME).trim();
    String pwFile = config.getString(PASSWORD_FILE).trim();
    Path password = null;
    if (!user.isEmpty() || !pwFile.isEmpty()) {
      if (user.isEmpty()) {
        throw new Problem(USERNAME, "is empty, but " + PASSWORD_FILE + " is set: name the Cassandra role to log in as");
      }
      if (pwFile.isEmpty()) {
        throw new Problem(PASSWORD_FILE, "is empty, but " + USERNAME + " is '" + user + "': name the file whose one"
            + " line is that role's password");
      }
      password = secretFile(PASSWORD_FILE, pwFile, workDir, "the password of Cassandra role '" + user + "'");
    }
    Path trust = null;
    Path keys = null;
    Path tlsPassword = null;
    boolean enabled;
    try {
      enabled = config.getBoolean(TLS_ENABLED);
    } catch (com.typesafe.config.ConfigException.WrongType e) {
      throw new Problem(TLS_ENABLED, "must be on or off");
    }
    if (enabled) {
      trust = file(TRUST_STORE, config.getString(TRUST_STORE).trim(), workDir, "the certificates that sign"
          + " Cassandra's");
      String k = config.getString(KEY_STORE).trim();
      keys = k.isEmpty() ? null : file(KEY_STORE, k, workDir, "this node's key and certificate");
      tlsPassword = secretFile(TLS_PASSWORD_FILE, config.getString(TLS_PASSWORD_FILE).trim(), workDir,
          "the password of the trust store" + (keys == null ? "" : " and the key store"));
      try {
        FileSslEngineFactory.context(trust, keys, tlsPassword);
      } catch (IllegalStateException e) {
        throw new Problem(e.getMessage().contains(KEY_STORE) ? KEY_STORE : TRUST_STORE, e.getMessage());
      }
    }
    return new CassandraSecurity(user.isEmpty() ? null : user, password, trust, keys, tlsPassword,
        !enabled || config.getBoolean(HOSTNAME_VALIDATION));
  }

  private static Path file(String setting, String given, Path workDir, String what) {
    if (given.isEmpty()) {
      throw new Problem(setting, "is empty, but " + TLS_ENABLED + " is on: name the file of " + what);
    }
    Path f = workDir.resolve(given).normalize();
    if (!Files.isRegularFile(f)) {
      throw new Problem(setting, "names '" + given + "' (" + f + "), which is not a file");
    }
    if (!Files.isReadable(f)) {
      throw new Problem(setting, "names '" + given + "' (" + f + "), which this process cannot read");
    }
    return f;
  }

  private static Path secretFile(String setting, String given, Path workDir, String what) {
    Path f = file(setting, given, workDir, what);
    char[] secret;
    try {
      secret = readSecret(f);
    } catch (IOException e) {
      throw new Problem(setting, "names '" + given + "' (" + f + "), which cannot be read as text: "
          + e.getClass().getSimpleName());
    }
    if (secret.length == 0) {
      throw new Problem(setting, "names '" + given + "' (" + f + "), which is empty: its one line is " + what);
    }
    java.util.Arrays.fill(secret, '\0');
    return f;
  }

  /** The secret in {@code file}: its one line, without surrounding white space. */
  static char[] readSecret(Path file) throws IOException {
    if (Files.size(file) > MAX_SECRET_BYTES) {
      throw new IOException("larger than " + MAX_SECRET_BYTES + " bytes");
    }
    return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
  }

  /** Makes {@code security} the settings {@link #node()} returns in this JVM (a node does, at start). */
  public static void install(CassandraSecurity security) {
    installed = Objects.requireNonNull(security);
  }

  /** The settings of the node running in this JVM, or {@link #NONE}. Sinks use them by default. */
  public static CassandraSecurity node() {
    return installed;
  }

  /** Whether sessions log in ({@code sluice.cassandra.auth.username} is set). */
  public boolean authenticates() {
    return username != null;
  }

  /** Whether sessions speak TLS ({@code sluice.cassandra.tls.enabled}). */
  public boolean tls() {
    return trustStore != null;
  }

  /** The role sessions log in as, if any. */
  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  /**
   * The settings with absolute paths, as {@code sluice.cassandra.auth} and {@code .tls} (for a
   * process whose working directory differs from the one they were read against).
   */
  public Config settings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(USERNAME, username == null ? "" : username);
    m.put(PASSWORD_FILE, passwordFile == null ? "" : passwordFile.toString());
    m.put(TLS_ENABLED, tls());
    m.put(TRUST_STORE, trustStore == null ? "" : trustStore.toString());
    m.put(KEY_STORE, keyStore == null ? "" : keyStore.toString());
    m.put(TLS_PASSWORD_FILE, tlsPasswordFile == null ? "" : tlsPasswordFile.toString());
    m.put(HOSTNAME_VALIDATION, hostnameValidation);
    return ConfigFactory.parseMap(m, "sluice.cassandra security settings");
  }

  /** The driver options these settings come to, in order. */
  private List<Map.Entry<DriverOption, Object>> driverOptions() {
    List<Map.Entry<DriverOption, Object>> o = new ArrayList<>();
    if (username != null) {
      o.add(Map.entry(DefaultDriverOption.AUTH_PROVIDER_CLASS, FileAuthProvider.class.getName()));
      o.add(Map.entry(DefaultDriverOption.AUTH_PROVIDER_USER_NAME, username));
      o.add(Map.entry(FileAuthProvider.PASSWORD_FILE, passwordFile.toString()));
    }
    if (trustStore != null) {
      o.add(Map.entry(DefaultDriverOption.SSL_ENGINE_FACTORY_CLASS, FileSslEngineFactory.class.getName()));
      o.add(Map.entry(DefaultDriverOption.SSL_TRUSTSTORE_PATH, trustStore.toString()));
      if (keyStore != null) {
        o.add(Map.entry(DefaultDriverOption.SSL_KEYSTORE_PATH, keyStore.toString()));
      }
      o.add(Map.entry(FileSslEngineFactory.PASSWORD_FILE, tlsPasswordFile.toString()));
      o.add(Map.entry(DefaultDriverOption.SSL_HOSTNAME_VALIDATION, hostnameValidation));
    }
    return o;
  }

  /**
   * The driver settings (relative to {@code datastax-java-driver}) that make a session log in and
   * speak TLS as configured; empty for {@link #NONE}. Layer it over a driver config.
   */
  public Config driverConfig() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<DriverOption, Object> e : driverOptions()) {
      m.put(e.getKey().getPath(), e.getValue());
    }
    return ConfigFactory.parseMap(m, "sluice.cassandra.auth and sluice.cassandra.tls");
  }

  /**
   * A session builder for the Cassandra at {@code contactPoints} ("host:port") with these settings,
   * on the driver config of this JVM ({@code datastax-java-driver} of the reference and
   * application config). Only {@code contactPoints} are used: none from the config are added.
   */
  public CqlSessionBuilder sessionBuilder(List<String> contactPoints, String localDatacenter) {
    return CqlSession.builder().withConfigLoader(loader(contactPoints, localDatacenter).build());
  }

  /** What {@link #sessionBuilder} configures its session with (a test reads it back). */
  ProgrammaticDriverConfigLoaderBuilder loader(List<String> contactPoints, String localDatacenter) {
    List<String> points = new ArrayList<>();
    for (String cp : contactPoints) {
      java.net.InetSocketAddress a = CqlProbe.parse(cp);
      points.add(a.getHostString() + ":" + a.getPort());
    }
    ProgrammaticDriverConfigLoaderBuilder b = DriverConfigLoader.programmaticBuilder()
        .withStringList(DefaultDriverOption.CONTACT_POINTS, points)
        .withString(DefaultDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, localDatacenter);
    for (Map.Entry<DriverOption, Object> e : driverOptions()) {
      if (e.getValue() instanceof Boolean v) {
        b = b.withBoolean(e.getKey(), v);
      } else {
        b = b.withString(e.getKey(), (String) e.getValue());
      }
    }
    return b;
  }

  /** Sockets for {@link CqlProbe}: TLS ones (with these stores) when TLS is on, else plain ones. */
  public SocketFactory sockets() {
    if (trustStore == null) {
      return SocketFactory.getDefault();
    }
    javax.net.ssl.SSLSocketFactory tlsSockets = FileSslEngineFactory.context(trustStore, keyStore, tlsPasswordFile)
        .getSocketFactory();
    return new SocketFactory() {
      @Override
      public java.net.Socket createSocket() throws IOException {
        SSLSocket s = (SSLSocket) tlsSockets.createSocket();
        if (hostnameValidation) {
          SSLParameters p = s.getSSLParameters();
          p.setEndpointIdentificationAlgorithm("HTTPS");
          s.setSSLParameters(p);
        }
        return s;
      }

      @Override
      public java.net.Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException("connect an unconnected socket");
      }

      @Override
      public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort) {
        throw new UnsupportedOperationException("connect an unconnected socket");
      }

      @Override
      public java.net.Socket createSocket(java.net.InetAddress host, int port) {
        throw new UnsupportedOperationException("connect an unconnected socket");
      }

      @Override
      public java.net.Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress local,
          int localPort) {
        throw new UnsupportedOperationException("connect an unconnected socket");
      }
    };
  }

  /**
   * Opens and closes a session with these settings: empty if it logged in (and shook hands over
   * TLS), else why not, naming the settings at fault and never a secret. For a node's start.
   */
  public Optional<String> check(List<String> contactPoints, String localDatacenter, Duration timeout) {
    ProgrammaticDriverConfigLoaderBuilder b = loader(contactPoints, localDatacenter)
        .withBoolean(DefaultDriverOption.RECONNECT_ON_INIT, false)
        .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, timeout)
        .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
        .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, false)
        .withString(DefaultDriverOption.SESSION_NAME, "sluice-login-check");
    java.util.concurrent.CompletableFuture<CqlSession> session =
        CqlSession.builder().withConfigLoader(b.build()).buildAsync().toCompletableFuture();
    // a session that connects after the wait was given up is closed then, not left open
    session.whenComplete((s, e) -> {
      if (s != null) {
        s.closeAsync();
      }
    });
    try {
      session.get(timeout.toMillis() * 3, TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while logging into Cassandra");
    } catch (TimeoutException e) {
      return Optional.of("Cassandra at " + contactPoints + " did not let a session in within " + timeout.toSeconds() * 3
          + " s");
    } catch (ExecutionException e) {
      return Optional.of(explain(e.getCause(), contactPoints));
    } catch (RuntimeException e) {
      return Optional.of(explain(e instanceof CompletionException ? e.getCause() : e, contactPoints));
    }
  }

  private String explain(Throwable e, List<String> contactPoints) {
    List<Throwable> causes = new ArrayList<>();
    if (e instanceof AllNodesFailedException all) {
      all.getAllErrors().values().forEach(causes::addAll);
    }
    causes.add(e);
    for (Throwable c : causes) {
      for (Throwable t = c; t != null; t = t.getCause()) {
        if (t instanceof AuthenticationException) {
          return authenticates()
              ? "Cassandra at " + contactPoints + " refused the login of role '" + username + "' (" + USERNAME
                  + ") with the password in " + passwordFile + " (" + PASSWORD_FILE + "): " + redact(t.getMessage())
              : "Cassandra at " + contactPoints + " requires a login: set " + USERNAME + " and " + PASSWORD_FILE
                  + " (" + redact(t.getMessage()) + ")";
        }
        if (t instanceof SSLException ssl && tls()) {
          return tlsProblem(contactPoints.toString(), ssl);
        }
      }
    }
    return "cannot open a session to Cassandra at " + contactPoints + ": " + redact(String.valueOf(e.getMessage()));
  }

  /** Why a TLS handshake with {@code where} failed, naming the settings involved (never a secret). */
  public String tlsProblem(String where, SSLException e) {
    return "no TLS connection to Cassandra at " + where + " with the trust store " + trustStore + " (" + TRUST_STORE
        + ")" + (keyStore == null ? "" : ", key store " + keyStore + " (" + KEY_STORE + ")") + ", hostname validation "
        + (hostnameValidation ? "on" : "off") + " (" + HOSTNAME_VALIDATION + "): " + redact(e.getMessage());
  }

  /**
   * {@code text} with the passwords of these settings masked, should they ever appear (Cassandra's
   * messages name the role, not the password).
   */
  public String redact(String text) {
    String out = text;
    for (Path f : new Path[] {passwordFile, tlsPasswordFile}) {
      if (f == null || out == null) {
        continue;
      }
      try {
        String secret = new String(readSecret(f));
        if (!secret.isEmpty()) {
          out = out.replace(secret, "******");
        }
      } catch (IOException e) {
        // unreadable now: nothing to mask that this process could know
      }
    }
    return out;
  }

  /** What a log line may say about these settings: the role and the files, never a secret. */
  @Override
  public String toString() {
    if (username == null && trustStore == null) {
      return "no login, plain TCP";
    }
    return (username == null ? "no login" : "role '" + username + "' (password in " + passwordFile + ")")
        + (trustStore == null ? ", plain TCP" : ", TLS (trust store " + trustStore
            + (keyStore == null ? "" : ", key store " + keyStore) + ", hostname validation "
            + (hostnameValidation ? "on" : "off") + ")");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CassandraSecurity s && Objects.equals(username, s.username)
        && Objects.equals(passwordFile, s.passwordFile) && Objects.equals(trustStore, s.trustStore)
        && Objects.equals(keyStore, s.keyStore) && Objects.equals(tlsPasswordFile, s.tlsPasswordFile)
        && hostnameValidation == s.hostnameValidation;
  }

  @Override
  public int hashCode() {
    return Objects.hash(username, passwordFile, trustStore, keyStore, tlsPasswordFile, hostnameValidation);
  }
}
