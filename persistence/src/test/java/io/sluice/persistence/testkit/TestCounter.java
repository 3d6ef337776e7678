package io.sluice.persistence.testkit;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A test entity: adds numbers, snapshots every 10 events, and reports how many events its last
 * recovery replayed (so a test can tell a snapshot was used).
 */
public final class TestCounter extends EventSourcedBehavior<TestCounter.Command, TestCounter.Added, TestCounter.State> {
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({@JsonSubTypes.Type(value = Add.class, name = "add"), @JsonSubTypes.Type(value = Get.class, name = "get")})
  public sealed interface Command extends TestCbor {}

  public record Add(long amount, ActorRef<State> replyTo) implements Command {}

  public record Get(ActorRef<Report> replyTo) implements Command {}

  public record Added(long amount) implements TestCbor {}

  public record State(long count, long sum) implements TestCbor {}

  public record Report(long count, long sum, long eventsReplayed) implements TestCbor {}

  private long replayed;
  private boolean recovering = true;

  /**
   * Spawns counter {@code id} in {@code kit} and adds 1 to {@code n} one after the other, each
   * awaited (so persisted); returns its persistence id. Its snapshots are saved after the replies:
   * await them in the snapshot table.
   */
  public static String addUpTo(org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit kit, String id, int n) {
    ActorRef<Command> counter = kit.spawn(create(id));
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<State> probe = kit.createTestProbe();
    for (int i = 1; i <= n; i++) {
      counter.tell(new Add(i, probe.getRef()));
      probe.expectMessageClass(State.class, java.time.Duration.ofSeconds(60));
    }
    return "test-counter|" + id;
  }

  private TestCounter(String id) {
    super(PersistenceId.ofUniqueId("test-counter|" + id));
  }

  public static Behavior<Command> create(String id) {
    return Behaviors.setup(ctx -> new TestCounter(id));
  }

  @Override
  public State emptyState() {
    return new State(0, 0);
  }

  @Override
  public CommandHandler<Command, Added, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Add.class, (s, c) -> Effect().persist(new Added(c.amount())).thenReply(c.replyTo(), x -> x))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Report(s.count(), s.sum(), replayed)))
        .build();
  }

  @Override
  public EventHandler<State, Added> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (s, e) -> {
      if (recovering) {
        replayed++;
      }
      return new State(s.count() + 1, s.sum() + e.amount());
    }).build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), s -> recovering = false).build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(10, 2);
  }
}
