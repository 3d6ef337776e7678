package io.sluice.persistence.cassandra;

import com.typesafe.config.Config;
import io.sluice.persistence.process.DetachedJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts, stops and inspects the dev Cassandra: Apache Cassandra 5.0 from the
 * {@code org.apache.cassandra:cassandra-all} Maven artifact, in its own detached JVM (it survives
 * the process that started it), with data, logs, config and a pid file under one directory.
 *
 * <ul>
 *   <li>{@link #start()} returns once CQL answers; it is a no-op when Cassandra already runs, and
 *       fails with the log's last lines when Cassandra does not come up.
 *   <li>{@link #stop()} ends exactly the process named in the pid file (SIGTERM, then SIGKILL).
 *   <li>{@link #kill()} sends SIGKILL at once (chaos tests).
 * </ul>
 *
 * The classpath of cassandra-all is resolved once with Maven from {@code conf/cassandra/pom.xml}
 * and cached; it is never mixed with a node's classpath.
 */
public final class DevCassandra {
  /** Settings, from {@code sluice.cassandra.dev} (see reference.conf). */
  public record Settings(Path directory, String host, int cqlPort, int storagePort, String heap,
      Duration startTimeout, Duration stopTimeout, Path javaHome, Path home, String authenticator,
      ClientTls clientTls) {
    /** Settings with Cassandra's {@code AllowAllAuthenticator}: every client is in. */
    public Settings(Path directory, String host, int cqlPort, int storagePort, String heap, Duration startTimeout,
        Duration stopTimeout, Path javaHome, Path home) {
      this(directory, host, cqlPort, storagePort, heap, startTimeout, stopTimeout, javaHome, home,
          ALLOW_ALL, null);
    }

    public static Settings from(Config config, Path home) {
      Config c = config.getConfig("sluice.cassandra.dev");
      Path dir = Path.of(c.getString("directory"));
      String jh = c.getString("java-home");
      return new Settings(dir.isAbsolute() ? dir : home.resolve(dir), c.getString("host"), c.getInt("cql-port"),
          c.getInt("storage-port"), c.getString("heap"), c.getDuration("start-timeout"), c.getDuration("stop-timeout"),
          jh.isEmpty() ? Path.of(System.getProperty("java.home")) : Path.of(jh), home, c.getString("authenticator"),
          null);
    }

    public Settings withDirectory(Path directory) {
      return new Settings(directory, host, cqlPort, storagePort, heap, startTimeout, stopTimeout, javaHome, home,
          authenticator, clientTls);
    }

    /** The same on other ports: CQL {@code cqlPort}, storage {@code storagePort}. */
    public Settings withPorts(int cqlPort, int storagePort) {
      return new Settings(directory, host, cqlPort, storagePort, heap, startTimeout, stopTimeout, javaHome, home,
          authenticator, clientTls);
    }

    /** The same with TLS for clients next to plain TCP (null: plain TCP only). */
    public Settings withClientTls(ClientTls clientTls) {
      return new Settings(directory, host, cqlPort, storagePort, heap, startTimeout, stopTimeout, javaHome, home,
          authenticator, clientTls);
    }

    /**
     * The same with Cassandra's {@code authenticator}: {@link #ALLOW_ALL} or {@link #PASSWORD}
     * (a login; Cassandra creates the superuser cassandra, password cassandra, when it first starts).
     */
    public Settings withAuthenticator(String authenticator) {
      return new Settings(directory, host, cqlPort, storagePort, heap, startTimeout, stopTimeout, javaHome, home,
          authenticator, clientTls);
    }
  }

  /**
   * TLS for clients next to plain TCP on the CQL port ({@code client_encryption_options} with
   * {@code optional: true}): Cassandra shows the key of {@code keyStore}, a PKCS12 store opened with
   * the password in {@code passwordFile}. No client certificates are required.
   */
  public record ClientTls(Path keyStore, Path passwordFile) {}

  /** Cassandra's authenticator that lets every client in. */
  public static final String ALLOW_ALL = "AllowAllAuthenticator";
  /** Cassandra's authenticator of roles with passwords. */
  public static final String PASSWORD = "PasswordAuthenticator";

  /** What {@link #status()} found. */
  public record Status(State state, long pid, boolean servesCql) {
    /** The process state. */
    public enum State { RUNNING, STOPPED, FOREIGN }

    @Override
    public String toString() {
      switch (state) {
        case RUNNING:
          return "running (pid " + pid + ")" + (servesCql ? ", serving CQL" : ", not serving CQL yet");
        case FOREIGN:
          return "a Cassandra not started by sluice serves CQL";
        default:
          return "stopped";
      }
    }
  }

  private final Settings settings;
  private final DetachedJvm jvm;

  public DevCassandra(Settings settings) {
    this.settings = settings;
    this.jvm = new DetachedJvm("Cassandra", "cassandra", settings.directory());
  }

  public Settings settings() {
    return settings;
  }

  public Path pidFile() {
    return jvm.pidFile();
  }

  public Path logFile() {
    return settings.directory().resolve("logs").resolve("system.log");
  }

  public String contactPoint() {
    return settings.host() + ":" + settings.cqlPort();
  }

  public boolean servesCql() {
    return CqlProbe.serves(settings.host(), settings.cqlPort(), Duration.ofSeconds(1));
  }

  /** The running process named in the pid file, if it is really our Cassandra. */
  public Optional<ProcessHandle> process() {
    return jvm.process();
  }

  public Status status() {
    Optional<ProcessHandle> p = process();
    boolean cql = servesCql();
    if (p.isPresent()) {
      return new Status(Status.State.RUNNING, p.get().pid(), cql);
    }
    return new Status(cql ? Status.State.FOREIGN : Status.State.STOPPED, -1, cql);
  }

  /**
   * Starts Cassandra unless it runs; returns once CQL answers, with how long that took.
   *
   * @throws IllegalStateException with the log's last lines if it does not come up in time
   */
  public Duration start() {
    long t0 = System.nanoTime();
    Optional<ProcessHandle> running = process();
    if (running.isEmpty()) {
      if (servesCql()) {
        return Duration.ZERO; // someone else's Cassandra on our port: use it
      }
      running = Optional.of(launch());
    }
    awaitCql(running.get(), t0);
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  private void awaitCql(ProcessHandle p, long t0) {
    long deadline = t0 + settings.startTimeout().toNanos();
    while (!CqlProbe.serves(settings.host(), settings.cqlPort(), Duration.ofMillis(500))) {
      if (!DetachedJvm.alive(p)) {
        throw new IllegalStateException("Cassandra (pid " + p.pid() + ") exited during start-up. Last lines of "
            + logFile() + ":\n" + DetachedJvm.tail(logFile(), 30) + "\nLast lines of " + stdoutFile() + ":\n"
            + DetachedJvm.tail(stdoutFile(), 15));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Cassandra (pid " + p.pid() + ") did not serve CQL on " + contactPoint()
            + " within " + settings.startTimeout().toSeconds() + " s. Last lines of " + logFile() + ":\n"
            + DetachedJvm.tail(logFile(), 30));
      }
      jvm.pause(p, Duration.ofMillis(200));
    }
  }

  private Path stdoutFile() {
    return settings.directory().resolve("logs").resolve("stdout.log");
  }

  private ProcessHandle launch() {
    Path dir = settings.directory();
    Path conf = dir.resolve("conf");
    Path logs = dir.resolve("logs");
    try {
      Files.createDirectories(conf);
      Files.createDirectories(logs);
      Files.createDirectories(dir.resolve("data"));
      Files.createDirectories(dir.resolve("tmp"));
      Path template = settings.home().resolve("conf/cassandra/cassandra.yaml");
      String yaml = Files.readString(template).replace("@HOST@", settings.host())
          .replace("@CQL_PORT@", Integer.toString(settings.cqlPort()))
          .replace("@STORAGE_PORT@", Integer.toString(settings.storagePort()))
          .replace("@AUTHENTICATOR@", settings.authenticator());
      ClientTls tls = settings.clientTls();
      if (tls != null) {
        // a dev server's config in its own directory: the store's password has to be in it
        String pw = Files.readString(tls.passwordFile()).strip();
        yaml += "\nclient_encryption_options:\n  enabled: true\n  optional: true\n  keystore: " + tls.keyStore()
            + "\n  keystore_password: \"" + pw + "\"\n  store_type: PKCS12\n  require_client_auth: false\n";
      }
      Files.writeString(conf.resolve("cassandra.yaml"), yaml);
      Files.copy(settings.home().resolve("conf/cassandra/logback.xml"), conf.resolve("logback.xml"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir + ": " + e.getMessage(), e);
    }
    String classpath = classpath();
    List<String> cmd = new ArrayList<>();
    cmd.add("setsid");
    if (isRoot() && DetachedJvm.onPath("setpriv")) {
      // As root, Cassandra mlocks its whole heap (there is no switch). Without the IPC_LOCK
      // capability the call fails, Cassandra logs one warning and goes on: ~0.4 GB RSS instead of
      // heap + 0.4 GB, and a faster start.
      cmd.addAll(List.of("setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock"));
    }
    cmd.add(settings.javaHome().resolve("bin/java").toString());
    cmd.addAll(jvmFlags(classpath));
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add("org.apache.cassandra.service.CassandraDaemon");
    return jvm.launch(cmd, stdoutFile());
  }

  private List<String> jvmFlags(String classpath) {
    Path dir = settings.directory();
    List<String> f = new ArrayList<>(List.of(
        jvm.marker(),
        "-Xms" + settings.heap(), "-Xmx" + settings.heap(), "-Xss256k",
        "-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1", "-XX:G1HeapRegionSize=16m",
        "-XX:G1RSetUpdatingPauseTimePercent=5", "-XX:MaxGCPauseMillis=300", "-XX:InitiatingHeapOccupancyPercent=70",
        "-XX:+UseThreadPriorities", "-XX:+PerfDisableSharedMem", "-XX:+UseTLAB", "-XX:+ResizeTLAB",
        "-XX:+CrashOnOutOfMemoryError", "-XX:+HeapDumpOnOutOfMemoryError",
        "-XX:HeapDumpPath=" + dir.resolve("logs"), "-Djava.io.tmpdir=" + dir.resolve("tmp"),
        "-Djava.net.preferIPv4Stack=true", "-Djdk.attach.allowAttachSelf=true"));
    for (String jar : classpath.split(java.io.File.pathSeparator)) {
      if (jar.matches(".*/jamm-[0-9.]+\\.jar")) {
        f.add("-javaagent:" + jar); // object sizes for memtable accounting
      }
    }
    for (String e : List.of("java.base/jdk.internal.misc", "java.management.rmi/com.sun.jmx.remote.internal.rmi",
        "java.rmi/sun.rmi.registry", "java.rmi/sun.rmi.server", "java.sql/java.sql", "java.base/java.lang.ref",
        "jdk.unsupported/sun.misc", "jdk.compiler/com.sun.tools.javac.file", "jdk.attach/sun.tools.attach")) {
      f.add("--add-exports");
      f.add(e + "=ALL-UNNAMED");
    }
    for (String o : List.of("java.base/java.lang.module", "java.base/jdk.internal.loader", "java.base/jdk.internal.ref",
        "java.base/jdk.internal.reflect", "java.base/jdk.internal.math", "java.base/jdk.internal.module",
        "java.base/jdk.internal.util.jar", "jdk.management/com.sun.management.internal", "java.base/sun.nio.ch",
        "java.base/java.io", "java.base/java.lang.reflect", "jdk.compiler/com.sun.tools.javac", "java.base/java.lang",
        "java.base/java.util", "java.base/java.nio")) {
      f.add("--add-opens");
      f.add(o + "=ALL-UNNAMED");
    }
    f.addAll(List.of(
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dio.netty.allocator.useCacheForAllThreads=true",
        "-Dio.netty.allocator.maxOrder=11",
        "-Dcassandra.config=" + dir.resolve("conf/cassandra.yaml").toUri(),
        "-Dcassandra.storagedir=" + dir.resolve("data"),
        "-Dcassandra.logdir=" + dir.resolve("logs"),
        "-Dlogback.configurationFile=" + dir.resolve("conf/logback.xml"),
        "-Dcassandra-foreground=yes",
        // a single dev node: never wait for gossip to settle (8 s when not on loopback)
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        // skip a start-up calibration loop (~1 s); 180 is what it measures on x86-64
        "-Dcassandra.memtable.row_overhead_size=180",
        // with PasswordAuthenticator: create the default superuser at once, not 10 s after start-up
        "-Dcassandra.superuser_setup_delay_ms=0",
        // a single node has no peers to tell about its shutdown: stop in ~0.5 s instead of ~4.5 s
        "-Dcassandra.shutdown_announce_in_ms=0",
        "-Dcassandra.test.messagingService.nonGracefulShutdown=true"));
    return f;
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** The cached classpath of cassandra-all, resolved with Maven on first use. */
  String classpath() {
    return jvm.classpath(settings.home().resolve("conf/cassandra/pom.xml"), "the Cassandra 5.0 classpath",
        "cassandra-all");
  }

  /** Stops the Cassandra named in the pid file: SIGTERM, then SIGKILL after the stop timeout. */
  public Duration stop() {
    return jvm.stop(settings.stopTimeout());
  }

  /** SIGKILL, at once (chaos tests). Returns false if it was not running. */
  public boolean kill() {
    return jvm.kill();
  }

  /** The repository root: {@code -Dsluice.home}, else the first ancestor of the working directory with conf/cassandra. */
  public static Path home() {
    return DetachedJvm.home("conf/cassandra/pom.xml");
  }
}
