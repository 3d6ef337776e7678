package io.sluice.persistence.process;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * INTERNAL API: the JVM of a dev server (the dev Cassandra, the dev Kafka broker) that runs
 * detached from the process that started it and is found again through its directory:
 *
 * <ul>
 *   <li>{@code <directory>/<id>.pid} names the process; {@link #process()} trusts it only while that
 *       process lives (zombies count as dead) and its command line carries {@link #marker()};
 *   <li>{@code <directory>/<id>.classpath} caches the server's classpath, resolved with Maven from a
 *       pom of the repository on first use ({@link #classpath});
 *   <li>{@link #stop} sends SIGTERM, then SIGKILL after a timeout; {@link #kill} SIGKILL at once.
 * </ul>
 *
 * What the server is (its command line, its config files, when it is ready) is its launcher's
 * business. {@code name} appears in messages ("cannot start Kafka: ..."). Not for use outside Sluice.
 */
public final class DetachedJvm {
  private final String name;
  private final String id;
  private final Path directory;

  /**
   * @param name the server in messages, e.g. "Cassandra"
   * @param id names its files and its marker, e.g. "cassandra"
   * @param directory where its pid file and classpath cache live (its launcher's data directory)
   */
  public DetachedJvm(String name, String id, Path directory) {
    this.name = name;
    this.id = id;
    this.directory = directory;
  }

  public Path pidFile() {
    return directory.resolve(id + ".pid");
  }

  /**
   * The JVM flag that marks the server's command line as ours. It must come first, before the long
   * classpath: the JDK reads only the first 4 KiB of a command line.
   */
  public String marker() {
    return "-Dsluice.dev-" + id + "=" + directory;
  }

  /** The running process named in the pid file, if it is really our server. */
  public Optional<ProcessHandle> process() {
    Path pf = pidFile();
    if (!Files.isRegularFile(pf)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pf).trim());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid).filter(DetachedJvm::alive).filter(this::isOurs);
  }

  private boolean isOurs(ProcessHandle p) {
    // Guards against pid reuse: the command line must carry our marker.
    Optional<String> cmd = p.info().commandLine();
    return cmd.isEmpty() || cmd.get().contains(marker());
  }

  /**
   * Starts {@code command} in the directory, with no input and its output appended to
   * {@code stdout}, and writes its pid file. To survive a Ctrl-C in the terminal that started it,
   * {@code command} should begin with {@code setsid}.
   */
  public ProcessHandle launch(List<String> command, Path stdout) {
    ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("MALLOC_ARENA_MAX", "4");
    Process process;
    try {
      process = pb.start();
      Files.writeString(pidFile(), process.pid() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
    }
    return process.toHandle();
  }

  /**
   * Waits until {@code p} exits or {@code timeout} passes, whichever is first: the pause of a loop
   * that polls a starting server.
   *
   * @throws IllegalStateException if this thread is interrupted
   */
  public void pause(ProcessHandle p, Duration timeout) {
    try {
      p.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // still running (onExit does not fail): poll again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name, e);
    }
  }

  /** Stops the server named in the pid file: SIGTERM, then SIGKILL after {@code timeout}. */
  public Duration stop(Duration timeout) {
    long t0 = System.nanoTime();
    Optional<ProcessHandle> p = process();
    if (p.isEmpty()) {
      deletePidFile();
      return Duration.ZERO;
    }
    p.get().destroy();
    if (!awaitDeath(p.get(), timeout)) {
      p.get().destroyForcibly();
      awaitDeath(p.get(), Duration.ofSeconds(30));
    }
    deletePidFile();
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** SIGKILL, at once (chaos tests). Returns false if it was not running. */
  public boolean kill() {
    Optional<ProcessHandle> p = process();
    if (p.isEmpty()) {
      return false;
    }
    p.get().destroyForcibly();
    awaitDeath(p.get(), Duration.ofSeconds(30));
    deletePidFile();
    return true;
  }

  private static boolean awaitDeath(ProcessHandle p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (alive(p)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        p.onExit().get(50, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // poll again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !alive(p);
      }
    }
    return true;
  }

  private void deletePidFile() {
    try {
      Files.deleteIfExists(pidFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The cached classpath of the server, resolved on first use with {@code mvn
   * dependency:build-classpath} from {@code pom} (and again when a jar of the cache is gone).
   *
   * @param what what is being resolved, for the one line on stderr, e.g. "the Cassandra 5.0 classpath"
   * @param artifact what Maven could not resolve, for the failure, e.g. "cassandra-all"
   * @throws IllegalStateException if {@code pom} is missing or Maven fails (with its last lines)
   * @throws UncheckedIOException if Maven cannot be run
   */
  public String classpath(Path pom, String what, String artifact) {
    Path cache = directory.resolve(id + ".classpath");
    try {
      if (Files.isRegularFile(cache) && Files.size(cache) > 0) {
        String cp = Files.readString(cache).trim();
        if (allExist(cp)) {
          return cp;
        }
      }
      Files.createDirectories(directory);
      if (!Files.isRegularFile(pom)) {
        throw new IllegalStateException("cannot find " + pom + ": run from the Sluice repository or set -Dsluice.home");
      }
      System.err.println("sluice: resolving " + what + " with Maven (first use only)...");
      Path log = directory.resolve("classpath-resolution.log");
      Process mvn = new ProcessBuilder("mvn", "-B", "-q", "-f", pom.toString(), "dependency:build-classpath",
          "-Dmdep.outputFile=" + cache, "-Dmdep.includeScope=runtime")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!mvn.waitFor(15, TimeUnit.MINUTES) || mvn.exitValue() != 0) {
        mvn.destroyForcibly();
        throw new IllegalStateException("Maven could not resolve " + artifact + " (see " + log + "):\n"
            + tail(log, 20));
      }
      return Files.readString(cache).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve the " + name + " classpath: " + e.getMessage()
          + " (is Maven's `mvn` on the PATH?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while resolving the " + name + " classpath", e);
    }
  }

  private static boolean allExist(String cp) {
    for (String p : cp.split(File.pathSeparator)) {
      if (!Files.exists(Path.of(p))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Alive and not a zombie: a detached server whose launcher exited is reparented to init, which
   * may reap it only seconds after it died.
   */
  public static boolean alive(ProcessHandle p) {
    if (!p.isAlive()) {
      return false;
    }
    Path status = Path.of("/proc", Long.toString(p.pid()), "status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("State:")) {
          return !line.contains("Z");
        }
      }
    } catch (IOException e) {
      return p.isAlive(); // no /proc (macOS): trust the JDK
    }
    return true;
  }

  /** True if an executable {@code program} is in a directory of the PATH. */
  public static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  /** The last {@code lines} lines of {@code file}, indented, for a failure message; never throws. */
  public static String tail(Path file, int lines) {
    try {
      if (!Files.exists(file)) {
        return "  (" + file + " does not exist)";
      }
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return "  " + String.join("\n  ", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "  (cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /**
   * The repository root: {@code -Dsluice.home}, else the first ancestor of the working directory
   * that has {@code probe} (e.g. "conf/kafka/pom.xml"), else the working directory.
   */
  public static Path home(String probe) {
    String h = System.getProperty("sluice.home");
    if (h != null && !h.isEmpty()) {
      return Path.of(h).toAbsolutePath();
    }
    Path p = Path.of("").toAbsolutePath();
    for (Path q = p; q != null; q = q.getParent()) {
      if (Files.isRegularFile(q.resolve(probe))) {
        return q;
      }
    }
    return p;
  }
}
