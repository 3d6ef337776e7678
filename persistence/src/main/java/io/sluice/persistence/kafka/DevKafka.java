package io.sluice.persistence.kafka;

import io.sluice.persistence.process.DetachedJvm;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Starts, stops and inspects the dev Kafka broker: Apache Kafka 4.4 from the
 * {@code org.apache.kafka:kafka_2.13} Maven artifact, one KRaft node that is broker and controller,
 * in its own detached JVM (it survives the process that started it), with data, logs, config and a
 * pid file under one directory. Not for production.
 *
 * <ul>
 *   <li>{@link #start()} returns once the broker is ready: an admin client can describe the
 *       cluster, the group coordinator answers and a transactional producer can initialise its
 *       transactions. It is a no-op when the broker already runs (or another broker answers on the
 *       port), and fails with the errors in the broker's log and its last lines when the broker
 *       exits or does not come up in time.
 *   <li>{@link #stop()} ends exactly the process named in the pid file (SIGTERM, then SIGKILL).
 *   <li>{@link #kill()} sends SIGKILL at once (chaos tests).
 * </ul>
 *
 * The broker's classpath is resolved once with Maven from {@code conf/kafka/pom.xml} and cached;
 * it is never mixed with a node's classpath (nodes use kafka-clients only). The storage is
 * formatted on the first start, with a fresh cluster id. Topics are never created automatically.
 *
 * <pre>{@code
 * DevKafka kafka = new DevKafka(DevKafkaSettings.from(config, DevKafka.home()));
 * Duration took = kafka.start();   // clients may use kafka.bootstrapServers() now
 * kafka.stop();
 * }</pre>
 */
public final class DevKafka {
  private static final String READY_ID = "__sluice_ready";

  /** What {@link #status()} found. */
  public record Status(State state, long pid, boolean answers) {
    /** The process state. */
    public enum State { RUNNING, STOPPED, FOREIGN }

    @Override
    public String toString() {
      switch (state) {
        case RUNNING:
          return "running (pid " + pid + ")" + (answers ? ", answering Kafka requests" : ", not answering yet");
        case FOREIGN:
          return "running, but not started by sluice (no live process in its pid file), answering Kafka requests";
        default:
          return "stopped";
      }
    }
  }

  private final DevKafkaSettings settings;
  private final DetachedJvm jvm;

  public DevKafka(DevKafkaSettings settings) {
    this.settings = settings;
    this.jvm = new DetachedJvm("Kafka", "kafka", settings.directory());
  }

  public DevKafkaSettings settings() {
    return settings;
  }

  public Path pidFile() {
    return jvm.pidFile();
  }

  /** The broker's own log (Log4j, INFO). */
  public Path logFile() {
    return logs().resolve("server.log");
  }

  private Path stdoutFile() {
    return logs().resolve("stdout.log");
  }

  private Path logs() {
    return settings.directory().resolve("logs");
  }

  private Path conf() {
    return settings.directory().resolve("conf");
  }

  /** Partitions and the metadata log. */
  private Path dataDir() {
    return settings.directory().resolve("data");
  }

  /** "host:port" for a client's {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return settings.bootstrapServers();
  }

  /** True if a Kafka broker answers requests on the client port (see {@link #problem}). */
  public boolean answers() {
    return problem(settings.host(), settings.port(), Duration.ofSeconds(1)).isEmpty();
  }

  /**
   * Asks {@code host:port} for its API versions with one raw request: quick, silent (a client
   * library would log its whole configuration and every failed connection), and an answer shows
   * that a Kafka broker handles requests there, not just that something listens.
   *
   * @return empty if a Kafka broker answered within {@code timeout}, else what went wrong
   */
  public static Optional<String> problem(String host, int port, Duration timeout) {
    int millis = (int) Math.max(1, timeout.toMillis());
    int correlationId = 0x51ce;
    byte[] clientId = "sluice-probe".getBytes(StandardCharsets.UTF_8);
    // ApiVersions v0: size, api key 18, version 0, correlation id, client id; no body
    ByteBuffer request = ByteBuffer.allocate(4 + 2 + 2 + 4 + 2 + clientId.length);
    request.putInt(request.capacity() - 4).putShort((short) 18).putShort((short) 0).putInt(correlationId)
        .putShort((short) clientId.length).put(clientId);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), millis);
      s.setSoTimeout(millis);
      OutputStream out = s.getOutputStream();
      out.write(request.array());
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      int size = in.readInt();
      int correlation = in.readInt();
      short error = in.readShort();
      if (size < 6 || correlation != correlationId) {
        return Optional.of(host + ":" + port + " did not answer an ApiVersions request: is it a Kafka listener?");
      }
      // 35 = UNSUPPORTED_VERSION: a broker that no longer speaks v0 still answers (in v0's format)
      if (error != 0 && error != 35) {
        return Optional.of(host + ":" + port + " answered ApiVersions with error code " + error);
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(host + ":" + port + ": " + e.getMessage());
    }
  }

  /** The running process named in the pid file, if it is really our broker. */
  public Optional<ProcessHandle> process() {
    return jvm.process();
  }

  public Status status() {
    Optional<ProcessHandle> p = process();
    boolean answers = answers();
    if (p.isPresent()) {
      return new Status(Status.State.RUNNING, p.get().pid(), answers);
    }
    return new Status(answers ? Status.State.FOREIGN : Status.State.STOPPED, -1, answers);
  }

  /**
   * Starts the broker unless it runs; returns once it is ready, with how long that took
   * ({@link Duration#ZERO} when another broker already answers on the port: it is used as it is).
   *
   * @throws IllegalStateException with the errors in the broker's log and its last lines if the
   *     broker exits or does not come up within the start timeout, or if the storage cannot be
   *     formatted or the classpath resolved
   */
  public Duration start() {
    long t0 = System.nanoTime();
    Optional<ProcessHandle> running = process();
    if (running.isPresent()) {
      awaitReady(running.get(), t0, size(logFile()));
      return Duration.ofNanos(System.nanoTime() - t0);
    }
    if (answers()) {
      return Duration.ZERO; // someone else's broker on our port: use it
    }
    String classpath = classpath();
    // the start timeout counts from here: Maven's first resolution may download for minutes
    long launched = System.nanoTime();
    long logStart = size(logFile());
    awaitReady(launch(classpath, launched), launched, logStart);
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** Waits until the broker is ready; {@code logStart} is where this start's lines of its log begin. */
  private void awaitReady(ProcessHandle p, long t0, long logStart) {
    long deadline = t0 + settings.startTimeout().toNanos();
    String lastProblem = "no answer yet";
    while (true) {
      Optional<String> problem = problem(settings.host(), settings.port(), Duration.ofMillis(500));
      if (problem.isEmpty()) {
        problem = clientsProblem(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000_000L)));
        if (problem.isEmpty()) {
          return;
        }
      }
      lastProblem = problem.get();
      if (!DetachedJvm.alive(p)) {
        String stdout = size(stdoutFile()) == 0 ? ""
            : "\nLast lines of " + stdoutFile() + ":\n" + DetachedJvm.tail(stdoutFile(), 15);
        throw new IllegalStateException("Kafka (pid " + p.pid() + ") exited during start-up." + errors(logStart)
            + "\nLast lines of " + logFile() + ":\n" + DetachedJvm.tail(logFile(), 10) + stdout);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Kafka (pid " + p.pid() + ") was not ready on " + bootstrapServers()
            + " within " + settings.startTimeout().toSeconds() + " s (" + lastProblem + ")." + errors(logStart)
            + "\nLast lines of " + logFile() + ":\n" + DetachedJvm.tail(logFile(), 10));
      }
      jvm.pause(p, Duration.ofMillis(200));
    }
  }

  private Properties adminConfig() {
    Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    admin.put(AdminClientConfig.CLIENT_ID_CONFIG, READY_ID);
    admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    return admin;
  }

  /**
   * Empty once the broker serves what Sluice needs: cluster metadata, the group coordinator and
   * the transaction coordinator (the first use of each coordinator creates its internal topic).
   */
  private Optional<String> clientsProblem(Duration timeout) {
    int ms = (int) Math.min(timeout.toMillis(), 30_000);
    try (Admin admin = Admin.create(adminConfig())) {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).clusterId().get(ms, TimeUnit.MILLISECONDS);
      admin.listConsumerGroupOffsets(READY_ID, new ListConsumerGroupOffsetsOptions().timeoutMs(ms)).all()
          .get(ms, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      return Optional.of("admin client: " + describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Kafka", e);
    }
    Properties producer = new Properties();
    producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    producer.put(ProducerConfig.CLIENT_ID_CONFIG, READY_ID);
    producer.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, READY_ID);
    producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, ms);
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producer)) {
      p.initTransactions();
    } catch (RuntimeException e) {
      return Optional.of("transactional producer: " + describe(e));
    }
    return Optional.empty();
  }

  private static String describe(Throwable e) {
    Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return c.getClass().getSimpleName() + ": " + c.getMessage();
  }

  private ProcessHandle launch(String classpath, long t0) {
    Path dir = settings.directory();
    Path serverProperties = conf().resolve("server.properties");
    Path log4j = conf().resolve("log4j2.properties");
    try {
      Files.createDirectories(conf());
      Files.createDirectories(logs());
      Files.createDirectories(dataDir());
      Files.createDirectories(dir.resolve("tmp"));
      Path template = settings.home().resolve("conf/kafka/server.properties");
      String props = Files.readString(template).replace("@HOST@", settings.host())
          .replace("@PORT@", Integer.toString(settings.port()))
          .replace("@CONTROLLER_PORT@", Integer.toString(settings.controllerPort()))
          .replace("@LOG_DIRS@", dataDir().toString());
      Files.writeString(serverProperties, props);
      Files.copy(settings.home().resolve("conf/kafka/log4j2.properties"), log4j, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir + ": " + e.getMessage(), e);
    }
    formatOnce(classpath, serverProperties, t0);
    List<String> cmd = new ArrayList<>();
    if (DetachedJvm.onPath("setsid")) {
      cmd.add("setsid"); // its own session: a Ctrl-C in the terminal that started it does not reach it
    }
    cmd.addAll(java(classpath));
    cmd.add("kafka.Kafka");
    cmd.add(serverProperties.toString());
    return jvm.launch(cmd, stdoutFile());
  }

  /** {@code java <flags> -cp <classpath>}, for the broker and for its storage tool. */
  private List<String> java(String classpath) {
    Path dir = settings.directory();
    return new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        jvm.marker(),
        "-Xmx" + settings.heap(),
        "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent", "-XX:+PerfDisableSharedMem",
        "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=" + logs(), "-XX:+ExitOnOutOfMemoryError",
        "-Djava.io.tmpdir=" + dir.resolve("tmp"), "-Djava.awt.headless=true",
        "-Dkafka.logs.dir=" + logs(),
        "-Dlog4j2.configurationFile=" + conf().resolve("log4j2.properties"),
        "-cp", classpath));
  }

  /**
   * Formats the storage on the first start (a new cluster id; the node is the only voter of its
   * metadata quorum). A formatted directory has meta.properties and is left as it is.
   */
  private void formatOnce(String classpath, Path serverProperties, long t0) {
    if (Files.isRegularFile(dataDir().resolve("meta.properties"))) {
      return;
    }
    Path log = logs().resolve("format.log");
    List<String> cmd = java(classpath);
    // what `kafka-storage.sh random-uuid` prints
    cmd.addAll(List.of("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
        "-c", serverProperties.toString(), "--standalone"));
    try {
      Process p = new ProcessBuilder(cmd).directory(settings.directory().toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      long left = settings.startTimeout().toNanos() - (System.nanoTime() - t0);
      if (!p.waitFor(Math.max(left, 1), TimeUnit.NANOSECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("formatting the Kafka storage in " + dataDir() + " took longer than "
            + settings.startTimeout().toSeconds() + " s. Last lines of " + log + ":\n" + DetachedJvm.tail(log, 20));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("cannot format the Kafka storage in " + dataDir() + " (exit status "
            + p.exitValue() + "). Last lines of " + log + ":\n" + DetachedJvm.tail(log, 20));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot format the Kafka storage: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while formatting the Kafka storage", e);
    }
  }

  /** The cached classpath of the broker, resolved with Maven on first use. */
  String classpath() {
    return jvm.classpath(settings.home().resolve("conf/kafka/pom.xml"), "the Kafka 4.4 broker's classpath",
        "the Kafka broker");
  }

  /** Stops the broker named in the pid file: SIGTERM, then SIGKILL after the stop timeout. */
  public Duration stop() {
    return jvm.stop(settings.stopTimeout());
  }

  /** SIGKILL, at once (chaos tests). Returns false if it was not running. */
  public boolean kill() {
    return jvm.kill();
  }

  /**
   * The ERROR and FATAL entries the broker logged since {@code from} (a byte offset), each with its
   * exception's message and causes but without stack frames; empty if there are none. The last
   * lines of a broker that failed to start are its orderly shutdown, not the reason.
   */
  private String errors(long from) {
    List<String> found = new ArrayList<>();
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(logFile().toFile(), "r")) {
      f.seek(Math.min(from, f.length()));
      byte[] bytes = new byte[(int) Math.min(f.length() - f.getFilePointer(), 64L << 20)];
      f.readFully(bytes);
      boolean inError = false;
      for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("[")) {
          inError = line.contains("] ERROR ") || line.contains("] FATAL ");
          if (inError) {
            found.add(line);
          }
        } else if (inError && !line.startsWith("\tat ") && !line.startsWith("\t...")) {
          found.add(line);
        }
      }
    } catch (IOException e) {
      return "";
    }
    if (found.size() > 12) {
      found = new ArrayList<>(found.subList(0, 12)); // the first errors name the cause
      found.add("...");
    }
    return found.isEmpty() ? "" : " Errors in " + logFile() + ":\n  " + String.join("\n  ", found);
  }

  private static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** The repository root: {@code -Dsluice.home}, else the first ancestor of the working directory with conf/kafka. */
  public static Path home() {
    return DetachedJvm.home("conf/kafka/pom.xml");
  }
}
