package io.sluice.cluster.chaos;

import io.sluice.persistence.cassandra.DevCassandra;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Notices when the dev Cassandra's process dies without the chaos schedule killing it (an
 * OutOfMemoryError, a kill from outside), and says why as far as its logs tell. Only a Cassandra
 * started by Sluice (with its pid file) can be watched; a foreign one is not. Not thread-safe: one
 * caller polls, and tells it beforehand of each kill it makes itself.
 */
public final class CassandraWatch {
  /** Lines of a log that tell why a JVM died. */
  private static final Pattern TELLING = Pattern.compile(
      "OutOfMemoryError|Aborting due to|fatal error|\\bERROR\\b|Exception|Killed|Terminating due to");
  /** How far back the logs are read. */
  static final int TAIL_LINES = 300;
  /** At most this many telling lines are quoted. */
  static final int MAX_QUOTED = 4;

  /** One unexpected death: the process, what its logs tell, and where to read more. */
  public record Death(long pid, List<String> evidence, List<Path> files) {
    public Death {
      evidence = List.copyOf(evidence);
      files = List.copyOf(files);
    }

    /** "the dev Cassandra (pid N) died: <the most telling line>". */
    public String summary() {
      return "the dev Cassandra (pid " + pid + ") died: "
          + (evidence.isEmpty() ? "its log does not say why" : evidence.get(evidence.size() - 1));
    }
  }

  private final DevCassandra cassandra;
  private long pid = -1;
  private boolean killExpected;

  public CassandraWatch(DevCassandra cassandra) {
    this.cassandra = cassandra;
  }

  /** The caller is about to kill Cassandra itself: that death is not news. */
  public void expectKill() {
    killExpected = true;
  }

  /**
   * Looks at the process now: the death of the process seen alive before, if that was not expected
   * (once per death). A new process (a restart) is watched from then on.
   */
  public Optional<Death> poll() {
    long now = cassandra.process().map(ProcessHandle::pid).orElse(-1L);
    if (now == pid) {
      return Optional.empty();
    }
    long old = pid;
    pid = now;
    if (old < 0) {
      return Optional.empty(); // first seen, or seen again after a restart
    }
    if (killExpected) {
      killExpected = false;
      return Optional.empty();
    }
    Path logs = cassandra.logFile().getParent();
    return Optional.of(death(old, cassandra.logFile(), logs.resolve("stdout.log"),
        cassandra.settings().directory(), logs));
  }

  /**
   * What the logs of the Cassandra that was process {@code pid} tell: the last telling lines of
   * its system log and its console output (the JVM's own "Aborting due to
   * java.lang.OutOfMemoryError" goes there), else the system log's last line; and its crash report
   * and heap dump if it left them.
   */
  static Death death(long pid, Path systemLog, Path stdout, Path workDir, Path logDir) {
    List<String> evidence = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (Path log : List.of(systemLog, stdout)) {
      List<String> tail = tail(log, TAIL_LINES);
      if (!tail.isEmpty()) {
        files.add(log);
      }
      for (String line : tail) {
        if (TELLING.matcher(line).find() && !line.startsWith("\tat ") && !line.startsWith("at ")) {
          evidence.add(line.strip());
        }
      }
    }
    // OutOfMemoryError first, whatever the order of the files
    List<String> oom = evidence.stream().filter(l -> l.contains("OutOfMemoryError")).toList();
    List<String> quoted = new ArrayList<>(oom.isEmpty() ? evidence : oom);
    if (quoted.isEmpty()) {
      List<String> last = tail(systemLog, 1);
      quoted.addAll(last.isEmpty() ? List.of() : List.of("no error in its log; its last line: " + last.get(0).strip()));
    }
    if (quoted.size() > MAX_QUOTED) {
      quoted = quoted.subList(quoted.size() - MAX_QUOTED, quoted.size());
    }
    for (Path f : List.of(workDir.resolve("hs_err_pid" + pid + ".log"), logDir.resolve("java_pid" + pid + ".hprof"))) {
      if (Files.exists(f)) {
        files.add(f);
      }
    }
    return new Death(pid, quoted, files);
  }

  private static List<String> tail(Path file, int lines) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return all.subList(Math.max(0, all.size() - lines), all.size()).stream().filter(l -> !l.isBlank()).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      return List.of();
    }
  }
}
