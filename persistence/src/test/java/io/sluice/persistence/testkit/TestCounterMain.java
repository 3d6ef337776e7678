package io.sluice.persistence.testkit;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Run in a child JVM by {@code PersistenceRecoveryIT}: persists {@code n} additions to the
 * {@link TestCounter} {@code id}, prints {@code PERSISTED <count> <sum>}, then waits to be killed.
 */
public final class TestCounterMain {
  private TestCounterMain() {}

  public static void main(String[] args) throws Exception {
    String id = args[0];
    int n = Integer.parseInt(args[1]);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "victim", ConfigFactory.load());
    ActorRef<TestCounter.Command> counter = system.systemActorOf(TestCounter.create(id), "counter",
        org.apache.pekko.actor.typed.Props.empty());
    TestCounter.State last = null;
    for (int i = 1; i <= n; i++) {
      final long amount = i;
      last = AskPattern.<TestCounter.Command, TestCounter.State>ask(counter, r -> new TestCounter.Add(amount, r),
          Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get();
    }
    System.out.println("PERSISTED " + last.count() + " " + last.sum());
    System.out.flush();
    Thread.currentThread().join(); // until SIGKILL
  }
}
