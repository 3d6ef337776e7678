package io.sluice.persistence.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * INTERNAL API: a JVM started by this one (a node of a local cluster, a test's victim process),
 * with its output copied to a log file and kept for {@link #awaitLine}. Killing it
 * ({@link #kill()}: SIGKILL) and freezing it ({@link #freeze()}: SIGSTOP) are what chaos tests do;
 * {@link #close()} always leaves no process behind.
 */
public final class ChildJvm implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final List<String> lines = new ArrayList<>();
  private final Thread pump;

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.pump = new Thread(this::pumpOutput, "child-jvm-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@code java <jvmArgs> -cp <classpath> <mainClass> <args>} with the JDK running this JVM,
   * output (stdout and stderr) appended to {@code log}.
   */
  public static ChildJvm start(String name, String classpath, List<String> jvmArgs, String mainClass,
      List<String> args, Path log, Path workingDirectory) {
    return start(name, List.of(), classpath, jvmArgs, mainClass, args, log, workingDirectory);
  }

  /**
   * As {@link #start(String, String, List, String, List, Path, Path)}, with {@code launcher} before
   * the java command: a command that runs its arguments in its place (it must exec them, not fork,
   * so that {@link #pid()}, {@link #kill()} and {@link #freeze()} reach the JVM), such as
   * {@code ip netns exec <namespace>}.
   */
  public static ChildJvm start(String name, List<String> launcher, String classpath, List<String> jvmArgs,
      String mainClass, List<String> args, Path log, Path workingDirectory) {
    List<String> cmd = new ArrayList<>(launcher);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.addAll(args);
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      Process p = new ProcessBuilder(cmd).directory(workingDirectory.toFile()).redirectErrorStream(true).start();
      return new ChildJvm(name, p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
    }
  }

  private void pumpOutput() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      String line;
      while ((line = r.readLine()) != null) {
        w.write(line);
        w.write('\n');
        w.flush();
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process died or was killed: its output ends here
    } finally {
      synchronized (lines) {
        lines.notifyAll();
      }
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /**
   * Waits until a line of output matches, the process exits, or the timeout passes. Returns the
   * first matching line (searching all output so far).
   */
  public Optional<String> awaitLine(Predicate<String> match, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    synchronized (lines) {
      while (true) {
        for (; seen < lines.size(); seen++) {
          if (match.test(lines.get(seen))) {
            return Optional.of(lines.get(seen));
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || !process.isAlive() && !pump.isAlive()) {
          return Optional.empty();
        }
        try {
          lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Optional.empty();
        }
      }
    }
  }

  /** The last {@code n} lines of output (for failure messages). */
  public String tail(int n) {
    synchronized (lines) {
      return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
  }

  /** SIGKILL, and wait until it is gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM (graceful), waiting up to {@code timeout}, then SIGKILL. Returns the exit code. */
  public int stop(Duration timeout) {
    process.destroy();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
      }
      return process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
      return -1;
    }
  }

  /** SIGSTOP: the process freezes (no thread runs) until {@link #resume()}. */
  public void freeze() {
    signal("STOP");
  }

  /** SIGCONT. */
  public void resume() {
    signal("CONT");
  }

  private void signal(String sig) {
    try {
      Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
      if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
        throw new IllegalStateException("kill -" + sig + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for the process to exit; returns its exit code, or empty on timeout. */
  public Optional<Integer> awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? Optional.of(process.exitValue())
          : Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Kills the process if it still runs (resuming it first if frozen). */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        resume();
      } catch (RuntimeException ignored) {
        // it may have just died
      }
      kill();
    }
  }
}
