package io.sluice.cluster.internal;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Duration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * INTERNAL API: a node-local persistent actor that writes one small event per {@link Touch}. When
 * the write succeeds, the journal works from this node (and is warm: the first persist of a JVM
 * takes seconds). {@link JournalCheck} touches it when the node starts and then periodically.
 *
 * <p>It never dies of a journal failure: a failed write or recovery (Cassandra down, a schema
 * creation that timed out) restarts it with backoff, under the same actor reference, so asks keep
 * reaching it. A touch whose write failed gets no reply (its asker times out); touches that arrive
 * during the backoff are kept and handled after the restart. Its listener hears of every start
 * (a second start means a journal failure stopped the first) and of every failed recovery, with
 * the cause (which a failed write does not give).
 *
 * <p>Its journal stays small: a snapshot every 10 events, and the events behind it deleted.
 */
public final class NodeProbe extends EventSourcedBehavior<NodeProbe.Command, NodeProbe.Event, NodeProbe.State> {
  /** Backoff of the restarts after a journal failure: from 200 ms, doubling, up to 2 s. */
  static final Duration MIN_BACKOFF = Duration.ofMillis(200);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  /** Commands. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({@JsonSubTypes.Type(value = Touch.class, name = "touch")})
  public sealed interface Command extends CborMessage {}

  /** Persists one event and replies when it is written. */
  public record Touch(ActorRef<Done> replyTo) implements Command {}

  /** Events. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({@JsonSubTypes.Type(value = Touched.class, name = "touched")})
  public sealed interface Event extends CborMessage {}

  public record Touched(long atMillis) implements Event {}

  /** How many times the journal was touched (at starts and by the periodic check). */
  public record State(long starts) implements CborMessage {}

  /** What the probe tells its listener (node-local). */
  public sealed interface Notice extends NoSerializationVerificationNeeded {}

  /** The probe recovered from the journal and runs: at its start, and after each restart. */
  public enum Started implements Notice { INSTANCE }

  /** The probe could not recover from the journal (it restarts after a backoff). */
  public record RecoveryFailure(String error) implements Notice {}

  private final ActorRef<Notice> listener;

  private NodeProbe(String node, ActorRef<Notice> listener) {
    super(PersistenceId.of("sluice-node", node),
        // JournalCheck logs the failures (on change, and every 30 s while they go on): no stack trace per restart
        SupervisorStrategy.restartWithBackoff(MIN_BACKOFF, MAX_BACKOFF, 0.2).withResetBackoffAfter(Duration.ofSeconds(10))
            .withLogLevel(org.slf4j.event.Level.DEBUG));
    this.listener = listener;
  }

  /** The probe of node {@code node}; its starts and failed recoveries are told to {@code listener}. */
  public static Behavior<Command> create(String node, ActorRef<Notice> listener) {
    return new NodeProbe(node, listener);
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Touch.class, (s, c) -> Effect().persist(new Touched(System.currentTimeMillis()))
            .thenReply(c.replyTo(), x -> Done.getInstance()))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Touched.class, (s, e) -> new State(s.starts() + 1))
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> listener.tell(Started.INSTANCE))
        .onSignal(RecoveryFailed.class, (s, f) -> listener.tell(new RecoveryFailure(describe(f.getFailure()))))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(10, 1).withDeleteEventsOnSnapshot();
  }

  /** An error in one line: its class's simple name and message, and the root cause's if different. */
  static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String s = oneLine(t);
    return root == t ? s : s + " (caused by " + oneLine(root) + ")";
  }

  private static String oneLine(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.replaceAll("\\s+", " ").trim());
  }
}
