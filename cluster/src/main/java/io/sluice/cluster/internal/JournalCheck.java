package io.sluice.cluster.internal;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * INTERNAL API: a node's journal health check. It runs the node's {@link NodeProbe} as its child
 * and touches it (one journal write) when the node starts and then every {@code interval}, one
 * touch at a time. The outcome is a {@link Status}: STARTING until the first write succeeded, then
 * OK, or UNAVAILABLE since the first failure of a run of failures, with the error. The node's
 * {@code /ready} and the job coordinator (which shows jobs DEGRADED while their nodes' journals
 * fail) are told through {@code listener}: on every change and every {@code interval}.
 *
 * <p>A failure is a touch without reply within {@code timeout}, or the probe's failed recovery
 * (it restarts with backoff after any journal failure), whichever comes first: the latter carries
 * the journal's own error. A touch that succeeds again ends the failure.
 */
public final class JournalCheck extends AbstractBehavior<JournalCheck.Command> {
  /** Log a failure that goes on again after this long (the change itself is always logged). */
  static final long LOG_AGAIN_MILLIS = 30_000;
  /** The timeout of the touches until one succeeded (at least). */
  static final Duration FIRST_TIMEOUT = Duration.ofSeconds(30);

  /** The phases of a node's journal. */
  public enum Phase { STARTING, OK, UNAVAILABLE }

  /**
   * What the node knows of its journal.
   *
   * @param since wall-clock millis the phase began (for UNAVAILABLE: the first failure of this run)
   * @param error the last error while UNAVAILABLE (or STARTING after a failure), else null
   */
  public record Status(Phase phase, long since, String error) {
    public boolean ok() {
      return phase == Phase.OK;
    }

    /** For people: "journal unavailable for 12 s: <error>". */
    public String describe(long nowMillis) {
      long s = Math.max(0, (nowMillis - since) / 1000);
      return switch (phase) {
        case OK -> "journal OK (for " + s + " s)";
        case STARTING -> "journal not written yet (first persist to Cassandra, " + s + " s)"
            + (error == null ? "" : ": " + error);
        case UNAVAILABLE -> "journal unavailable for " + s + " s: " + error;
      };
    }
  }

  /** Messages of the check (all local). */
  public interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record Touched(long attempt) implements Command, NoSerializationVerificationNeeded {}

  private record TouchFailed(long attempt, Throwable error) implements Command, NoSerializationVerificationNeeded {}

  private record FromProbe(NodeProbe.Notice notice) implements Command, NoSerializationVerificationNeeded {}

  private final String node;
  private final Duration timeout;
  private final Consumer<Status> listener;
  private final ActorRef<NodeProbe.Command> probe;
  private final long startedAt = System.currentTimeMillis();
  private Status status;
  /** The current touch; outcomes of earlier ones (superseded after a probe restart) only count if they succeeded. */
  private long attempt;
  private boolean inFlight;
  private long touchStartedAt;
  private boolean everOk;
  private int probeStarts;
  private String probeError;
  private long probeErrorAt;
  private long loggedAt;

  private JournalCheck(ActorContext<Command> ctx, TimerScheduler<Command> timers, String node, Duration interval,
      Duration timeout, Consumer<Status> listener) {
    super(ctx);
    ctx.setLoggerName(JournalCheck.class);
    this.node = node;
    this.timeout = timeout;
    this.listener = listener;
    this.status = new Status(Phase.STARTING, startedAt, null);
    ActorRef<NodeProbe.Notice> notices = ctx.messageAdapter(NodeProbe.Notice.class, FromProbe::new);
    this.probe = ctx.spawn(NodeProbe.create(node, notices), "probe");
    timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
    listener.accept(status);
    touch();
  }

  /**
   * The check of node {@code node}: a touch every {@code interval}, failed after {@code timeout}
   * without reply; {@code listener} hears the status on every change and every interval (from the
   * actor's thread: it must not block).
   */
  public static Behavior<Command> create(String node, Duration interval, Duration timeout, Consumer<Status> listener) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JournalCheck(ctx, timers, node, interval, timeout,
        listener)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, () -> {
          listener.accept(status);
          touch();
          return this;
        })
        .onMessage(Touched.class, t -> {
          if (t.attempt() == attempt) {
            inFlight = false;
          }
          succeeded();
          return this;
        })
        .onMessage(TouchFailed.class, f -> {
          if (f.attempt() != attempt) {
            return this; // superseded: a newer touch is on its way
          }
          inFlight = false;
          if (probeError != null && probeErrorAt >= touchStartedAt) {
            failed(probeError);
          } else if (status.phase() == Phase.UNAVAILABLE) {
            failed(status.error()); // still failing; the last error says more than a timeout
          } else {
            failed(f.error() instanceof TimeoutException
                ? "no journal write acknowledged within " + (System.currentTimeMillis() - touchStartedAt) / 1000 + " s"
                : NodeProbe.describe(f.error()));
          }
          return this;
        })
        .onMessage(FromProbe.class, p -> {
          if (p.notice() instanceof NodeProbe.RecoveryFailure r) {
            probeError = r.error();
            probeErrorAt = System.currentTimeMillis();
            failed(r.error());
          } else if (++probeStarts > 1) {
            // A journal failure stopped the probe (a write, if its recovery did not fail): the touch
            // it was writing gets no reply. Say so now rather than at the timeout, and touch again.
            if (status.phase() != Phase.UNAVAILABLE) {
              failed("a journal write failed, and the probe restarted");
            }
            inFlight = false;
            touch();
          }
          return this;
        })
        .build();
  }

  private void touch() {
    if (inFlight) {
      return;
    }
    inFlight = true;
    long a = ++attempt;
    touchStartedAt = System.currentTimeMillis();
    // the first write of a node may create the keyspace and tables: seconds, more under load
    Duration t = everOk || timeout.compareTo(FIRST_TIMEOUT) > 0 ? timeout : FIRST_TIMEOUT;
    getContext().ask(Done.class, probe, t, NodeProbe.Touch::new,
        (done, err) -> err == null ? new Touched(a) : new TouchFailed(a, err));
  }

  private void succeeded() {
    if (status.phase() == Phase.OK) {
      return;
    }
    long now = System.currentTimeMillis();
    if (!everOk) {
      getContext().getLog().info("journal ready on node {} after {} ms", node, now - startedAt);
    } else {
      getContext().getLog().info("journal available again on node {} after {} s", node, (now - status.since()) / 1000);
    }
    everOk = true;
    change(new Status(Phase.OK, now, null));
  }

  private void failed(String error) {
    long now = System.currentTimeMillis();
    if (status.phase() == Phase.OK) {
      getContext().getLog().warn("journal unavailable on node {}: {}", node, error);
      loggedAt = now;
      change(new Status(Phase.UNAVAILABLE, now, error));
      return;
    }
    if (now - loggedAt >= LOG_AGAIN_MILLIS) {
      loggedAt = now;
      if (everOk) {
        getContext().getLog().warn("journal still unavailable on node {} after {} s: {}", node,
            (now - status.since()) / 1000, error);
      } else {
        getContext().getLog().warn("journal not ready yet on node {} after {} s: {}", node, (now - startedAt) / 1000,
            error);
      }
    }
    if (status.phase() == Phase.UNAVAILABLE) {
      String shown = errorToShow(status.error(), error);
      if (!shown.equals(status.error())) {
        change(new Status(Phase.UNAVAILABLE, status.since(), shown));
      }
    } else {
      change(new Status(Phase.UNAVAILABLE, now, error)); // STARTING, and the first write failed
    }
  }

  /**
   * The error to show while failures go on: the latest, unless it only says that the journal's
   * circuit breaker fails calls fast (which it does after failures) and the one shown says more.
   */
  static String errorToShow(String shown, String latest) {
    return shown != null && isBreaker(latest) && !isBreaker(shown) ? shown : latest;
  }

  private static boolean isBreaker(String error) {
    return error.contains("CircuitBreakerOpenException");
  }

  private void change(Status s) {
    status = s;
    listener.accept(s);
  }
}
