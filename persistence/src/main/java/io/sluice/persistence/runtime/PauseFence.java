package io.sluice.persistence.runtime;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INTERNAL API: stops a node from writing after its process was paused (SIGSTOP, a VM freeze, a
 * very long collection) for longer than {@code threshold}: long enough that the cluster may have
 * downed it and restarted its operator instances elsewhere. Without it, a resumed node runs its
 * old incarnations again before it learns it was removed, and one persistence id has two writers.
 *
 * <p>A watchdog thread ticks every 50 ms. {@link #permitsWrites()} holds only while the last tick
 * is younger than the threshold: after a long pause either the watchdog sees the gap first and
 * fences the node for good (then halts it), or an instance about to persist sees a stale tick and
 * refuses. The threshold must stay below the time the cluster needs to down a silent node
 * (failure detection plus the split brain resolver's stable-after).
 *
 * <p>Instances check it before they persist, and {@link PauseFenceThrottler} checks it again for
 * every request the Cassandra driver is about to send. It cannot recall a request the driver had
 * registered when the process froze; such a write lands when the process resumes. That window is
 * the time from the driver's registration to the socket (microseconds).
 */
public final class PauseFence {
  private static final Logger log = LoggerFactory.getLogger(PauseFence.class);
  private static volatile PauseFence installed;

  private final long thresholdNanos;
  private final Runnable onFence;
  private volatile long lastTick = System.nanoTime();
  private volatile boolean fenced;

  private PauseFence(Duration threshold, Runnable onFence) {
    this.thresholdNanos = threshold.toNanos();
    this.onFence = onFence;
  }

  /** Starts the JVM's fence (once); {@code onFence} runs when a pause is detected (e.g. halt). */
  public static synchronized PauseFence install(Duration threshold, Runnable onFence) {
    if (installed == null) {
      PauseFence f = new PauseFence(threshold, onFence);
      Thread t = new Thread(f::watch, "sluice-pause-fence");
      t.setDaemon(true);
      t.setPriority(Thread.MAX_PRIORITY);
      t.start();
      installed = f;
    }
    return installed;
  }

  /** True unless a fence is installed and the process was (or may just have been) paused too long. */
  public static boolean permitsWrites() {
    PauseFence f = installed;
    return f == null || !f.fenced && System.nanoTime() - f.lastTick < f.thresholdNanos;
  }

  private void watch() {
    while (!fenced) {
      long now = System.nanoTime();
      long gap = now - lastTick;
      if (gap >= thresholdNanos) {
        fenced = true;
        log.error("this process was paused for {} ms (more than the pause fence of {} ms): the cluster may have"
            + " moved its operator instances; refusing every write and stopping the node", gap / 1_000_000,
            thresholdNanos / 1_000_000);
        onFence.run();
        return;
      }
      lastTick = now;
      LockSupport.parkNanos(50_000_000L);
    }
  }
}
