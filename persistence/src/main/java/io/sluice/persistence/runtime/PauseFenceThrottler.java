package io.sluice.persistence.runtime;

import com.datastax.oss.driver.api.core.RequestThrottlingException;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.session.throttling.RequestThrottler;
import com.datastax.oss.driver.api.core.session.throttling.Throttled;

/**
 * INTERNAL API: the Cassandra driver's request throttler of every session a node opens through
 * its {@code datastax-java-driver} settings (the journal, the snapshot store, state chunks and
 * savepoints). It lets a request through only while the {@link PauseFence} permits writes.
 *
 * <p>The fence is also checked where an operator instance persists, but a write then passes the
 * journal actor's mailbox and the journal plugin before it reaches the driver: milliseconds on a
 * loaded machine. A process frozen in that window used to send the write when it resumed, before
 * its watchdog halted it, and so wrote next to the incarnation that had replaced it (FrozenNodeIT
 * caught it once in about thirty runs). Checked here, the driver registers the request a few
 * microseconds before its bytes reach the socket; a request registered after the process resumed
 * sees the stale watchdog tick and is refused.
 */
public final class PauseFenceThrottler implements RequestThrottler {
  /** The driver instantiates throttlers by reflection with this constructor. */
  public PauseFenceThrottler(DriverContext context) {
  }

  @Override
  public void register(Throttled request) {
    if (PauseFence.permitsWrites()) {
      request.onThrottleReady(false);
    } else {
      request.onThrottleFailure(new RequestThrottlingException(
          "refused by the pause fence: this process was paused long enough to have been replaced"));
    }
  }

  @Override
  public void signalSuccess(Throttled request) {
  }

  @Override
  public void signalError(Throttled request, Throwable error) {
  }

  @Override
  public void signalTimeout(Throttled request) {
  }

  @Override
  public void close() {
  }
}
