package io.sluice.cluster.internal;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * INTERNAL API: a tiny sharded, event-sourced entity that counts the pings it received and says
 * on which node it runs. It proves, end to end, that sharding places entities, that persistence
 * works against Cassandra, and that an entity of a dead node comes back on a survivor with its
 * state: {@code GET /canary/<id>} on any node pings it.
 */
public final class Canary extends EventSourcedBehavior<Canary.Command, Canary.Event, Canary.State> {
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-canary");

  /** Commands. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({@JsonSubTypes.Type(value = Ping.class, name = "ping")})
  public sealed interface Command extends CborMessage {}

  /** Counts one ping and replies with the count, after it is persisted. */
  public record Ping(ActorRef<Pong> replyTo) implements Command {}

  /** The reply: which entity, on which node, how many pings so far (this one included), since when. */
  public record Pong(String id, String node, long pings, long incarnationStartedMillis) implements CborMessage {}

  /** Events. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({@JsonSubTypes.Type(value = Pinged.class, name = "pinged")})
  public sealed interface Event extends CborMessage {}

  /** A ping was counted. */
  public record Pinged(long atMillis) implements Event {}

  /** State: the number of pings. */
  public record State(long pings) implements CborMessage {}

  private final String entityId;
  private final String node;
  private final long startedAt = System.currentTimeMillis();

  private Canary(String entityId, String node) {
    super(PersistenceId.of(TYPE_KEY.name(), entityId));
    this.entityId = entityId;
    this.node = node;
  }

  public static Behavior<Command> create(String entityId, String node) {
    return Behaviors.setup(ctx -> new Canary(entityId, node));
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Ping.class, (state, ping) -> Effect().persist(new Pinged(System.currentTimeMillis()))
            .thenReply(ping.replyTo(), s -> new Pong(entityId, node, s.pings(), startedAt)))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Pinged.class, (state, e) -> new State(state.pings() + 1))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }
}
