package io.sluice.cluster.internal;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * INTERNAL API: a node-local persistent actor that writes one event when the node starts. When
 * that write succeeds, the journal works from this node (and is warm: the first persist of a JVM
 * takes seconds), so the node reports itself ready.
 */
public final class NodeProbe extends EventSourcedBehavior<NodeProbe.Command, NodeProbe.Event, NodeProbe.State> {
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

  /** How many times the node started. */
  public record State(long starts) implements CborMessage {}

  private NodeProbe(String node) {
    super(PersistenceId.of("sluice-node", node));
  }

  public static Behavior<Command> create(String node) {
    return new NodeProbe(node);
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
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(10, 1).withDeleteEventsOnSnapshot();
  }
}
