package io.sluice.cluster.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.persistence.cassandra.DevCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos tool notices when the dev Cassandra dies without the schedule killing it, and quotes
 * what its logs say.
 *
 * <p>Design of this test: a small JVM carrying the dev Cassandra's marker flag stands in for
 * Cassandra (the watch finds it through the pid file and checks the marker, as for the real one);
 * the test kills it with SIGKILL, with and without telling the watch first, and writes the logs
 * a Cassandra that ran out of memory leaves. Every process it starts, it stops.
 */
class CassandraWatchTest {
  @TempDir
  Path dir;

  private final List<Process> started = new ArrayList<>();

  /** Stands in for the Cassandra JVM: waits until killed. */
  public static final class Sleeper {
    public static void main(String[] args) throws InterruptedException {
      Thread.sleep(120_000);
    }
  }

  @AfterEach
  void stopAll() {
    for (Process p : started) {
      p.destroyForcibly();
    }
  }

  private DevCassandra cassandra() {
    return new DevCassandra(new DevCassandra.Settings(dir, "127.0.0.1", 1, 1, "64M", Duration.ofSeconds(1),
        Duration.ofSeconds(1), Path.of(System.getProperty("java.home")), DevCassandra.home()));
  }

  /** Starts a stand-in and names it in the pid file. */
  private Process startStandIn() throws IOException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dsluice.dev-cassandra=" + dir, "-Xmx16m", "-cp", System.getProperty("java.class.path"), Sleeper.class.getName())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    started.add(p);
    Files.writeString(dir.resolve("cassandra.pid"), p.pid() + "\n");
    return p;
  }

  private static void kill(Process p) throws InterruptedException {
    p.destroyForcibly();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the stand-in did not die");
  }

  @Test
  void whenCassandraDiesUnexpectedly_thenTheWatchSaysSoOnce_withWhatItsLogTells() throws Exception {
    CassandraWatch watch = new CassandraWatch(cassandra());
    assertEquals(Optional.empty(), watch.poll(), "nothing runs yet");
    Process p = startStandIn();
    assertEquals(Optional.empty(), watch.poll(), "first seen");

    Files.createDirectories(dir.resolve("logs"));
    Files.write(dir.resolve("logs/system.log"), List.of(
        "INFO  [main] 2026-11-28 20:00:00,000 CassandraDaemon.java:123 - Startup complete",
        "ERROR [ReadStage-2] 2026-11-28 20:01:00,000 JVMStabilityInspector.java:196 - OutOfMemory error letting the"
            + " JVM handle the error:",
        "java.lang.OutOfMemoryError: Java heap space",
        "\tat java.base/java.nio.HeapByteBuffer.<init>(HeapByteBuffer.java:64)"));
    Files.write(dir.resolve("logs/stdout.log"), List.of("Aborting due to java.lang.OutOfMemoryError: Java heap space"));
    Files.writeString(dir.resolve("hs_err_pid" + p.pid() + ".log"), "# A fatal error has been detected\n");
    kill(p);

    CassandraWatch.Death d = watch.poll().orElseThrow(() -> new AssertionError("the death went unnoticed"));
    assertEquals(p.pid(), d.pid());
    assertEquals("the dev Cassandra (pid " + p.pid() + ") died: Aborting due to java.lang.OutOfMemoryError: Java heap"
        + " space", d.summary());
    assertEquals(List.of("java.lang.OutOfMemoryError: Java heap space",
        "Aborting due to java.lang.OutOfMemoryError: Java heap space"), d.evidence());
    assertTrue(d.files().contains(dir.resolve("hs_err_pid" + p.pid() + ".log")), d.files().toString());
    assertEquals(Optional.empty(), watch.poll(), "said once");
  }

  @Test
  void whenTheScheduleKillsCassandra_thenThatIsNotNews_butTheNextUnexpectedDeathIs() throws Exception {
    CassandraWatch watch = new CassandraWatch(cassandra());
    Process first = startStandIn();
    watch.poll();
    watch.expectKill();
    kill(first);
    Files.deleteIfExists(dir.resolve("cassandra.pid")); // as DevCassandra.kill() does
    assertEquals(Optional.empty(), watch.poll());

    Process second = startStandIn(); // the schedule restarts it
    assertEquals(Optional.empty(), watch.poll());
    kill(second);
    CassandraWatch.Death d = watch.poll().orElseThrow(() -> new AssertionError("the death went unnoticed"));
    assertEquals(second.pid(), d.pid());
    assertEquals("the dev Cassandra (pid " + second.pid() + ") died: its log does not say why", d.summary());
  }

  @Test
  void whenTheRestartReplacesTheKilledProcessBeforeAPoll_thenTheExpectedKillIsStillNotNews() throws Exception {
    CassandraWatch watch = new CassandraWatch(cassandra());
    Process first = startStandIn();
    watch.poll();
    watch.expectKill();
    kill(first);
    Process second = startStandIn();
    assertEquals(Optional.empty(), watch.poll(), "the restarted process replaced the killed one");
    kill(second);
    assertEquals(second.pid(), watch.poll().orElseThrow().pid());
  }

  @Test
  void whenTheLogHasNoErrors_thenItsLastLineIsQuoted() throws IOException {
    Files.createDirectories(dir.resolve("logs"));
    Files.write(dir.resolve("logs/system.log"), List.of("INFO  [main] flushing", "INFO  [main] compacted 3 sstables"));
    CassandraWatch.Death d = CassandraWatch.death(7, dir.resolve("logs/system.log"), dir.resolve("logs/stdout.log"),
        dir, dir.resolve("logs"));
    assertEquals(List.of("no error in its log; its last line: INFO  [main] compacted 3 sstables"), d.evidence());
  }
}
