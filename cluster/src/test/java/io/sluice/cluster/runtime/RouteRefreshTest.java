package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Await;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Route refresh requests: kept per node, turned into rebalances of exactly the shards named, and
 * only while every member is reachable.
 */
class RouteRefreshTest {
  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("routes", ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.actor.serialize-messages = on
        """).withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static IndexedSeq<String> seq(String... shards) {
    return CollectionConverters.asScala(List.of(shards)).toIndexedSeq();
  }

  private static Set<String> rebalance(OperatorAllocationStrategy strategy, Map<ActorRef, IndexedSeq<String>> current,
      Set<String> inProgress) throws Exception {
    return Await.result(strategy.rebalance(current, inProgress), scala.concurrent.duration.Duration.create(5,
        TimeUnit.SECONDS));
  }

  @Test
  void whenARouteIsReportedStale_thenExactlyItsAllocatedShardsAreRebalancedOnce() throws Exception {
    AtomicLong clock = new AtomicLong();
    RouteRefresh refresh = new RouteRefresh(clock::get);
    AtomicBoolean reachable = new AtomicBoolean(true);
    OperatorAllocationStrategy strategy = new OperatorAllocationStrategy(refresh, reachable::get, () -> true, new RunningJobs(),
        OperatorAllocationStrategy.Balance.OFF);
    Map<ActorRef, IndexedSeq<String>> current = new HashMap<>();
    current.put(Adapter.toClassic(kit.createTestProbe().ref()), seq("j/src/0", "j/sum/0"));
    current.put(Adapter.toClassic(kit.createTestProbe().ref()), seq("j/src/1", "j/sum/1"));

    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "nothing was reported: nothing moves");

    refresh.add(new RouteRefresh.Request(List.of("j/src/1", "j/sum/0", "gone/x/0"), "node-2"));
    reachable.set(false);
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "a member is unreachable: wait");
    reachable.set(true);
    assertEquals(Set.of("j/src/1"), rebalance(strategy, current, Set.of("j/sum/0")),
        "a shard already moving waits, and so does one that is not placed");
    assertEquals(Set.of("j/sum/0"), rebalance(strategy, current, Set.of()));
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "each request is acted on once");

    current.put(Adapter.toClassic(kit.createTestProbe().ref()), seq("gone/x/0"));
    assertEquals(Set.of("gone/x/0"), rebalance(strategy, current, Set.of()), "once placed, it moves");
    assertTrue(refresh.isEmpty());
  }

  @Test
  void balancingWaitsForTheNodesToSettle_movesOneInstanceAtATime_andTrustsOnlyAFreshViewOfTheJobs() throws Exception {
    AtomicLong nanos = new AtomicLong();
    long s = 1_000_000_000L;
    RunningJobs jobs = new RunningJobs(nanos::get);
    AtomicBoolean reachable = new AtomicBoolean(true);
    AtomicBoolean allUp = new AtomicBoolean(true);
    OperatorAllocationStrategy strategy = new OperatorAllocationStrategy(new RouteRefresh(nanos::get), reachable::get,
        allUp::get, jobs, new OperatorAllocationStrategy.Balance(true, java.time.Duration.ofSeconds(10),
            java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(60)),
        nanos::get);
    Map<ActorRef, IndexedSeq<String>> current = new HashMap<>();
    current.put(Adapter.toClassic(kit.createTestProbe().ref()), seq("j/op/0", "j/op/1", "j/op/2", "j/op/3", "old/op/0"));
    current.put(Adapter.toClassic(kit.createTestProbe().ref()), seq());
    Map<String, Long> incarnations = new HashMap<>(Map.of("j/op/3", 1L, "j/op/2", 1L));
    Runnable publish = () -> jobs.publish(Set.of("old"), incarnations);
    publish.run();
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "the nodes just changed");
    nanos.set(9 * s);
    publish.run();
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "not settled yet");
    nanos.set(10 * s);
    publish.run();
    assertEquals(Set.of("j/op/3"), rebalance(strategy, current, Set.of()), "settled: one instance moves");
    nanos.set(16 * s);
    publish.run();
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "the moved one has not reported from its new node");
    incarnations.put("j/op/3", 2L); // it did now (in the test, the shard stays where it was)
    publish.run();
    assertEquals(Set.of(), rebalance(strategy, current, Set.of("j/op/1")), "nor while a hand-off is in progress");
    reachable.set(false);
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "nor while a node is unreachable");
    reachable.set(true);
    allUp.set(false);
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "nor while a node joins or leaves");
    allUp.set(true);
    assertEquals(Set.of("j/op/2"), rebalance(strategy, current, Set.of()), "j/op/3 moved already: another goes");
    nanos.set(18 * s);
    incarnations.put("j/op/2", 2L);
    publish.run();
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "the next one waits its interval");
    nanos.set(24 * s);
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "the view of the jobs is 6 s old: stale");
    publish.run();
    current.put(Adapter.toClassic(kit.createTestProbe().ref()), seq());
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "a node joined: settle again");
    nanos.set(34 * s);
    publish.run();
    assertEquals(Set.of("j/op/1"), rebalance(strategy, current, Set.of()), "the one never moved");
    nanos.set(93 * s);
    publish.run();
    assertEquals(Set.of(), rebalance(strategy, current, Set.of()), "still no report from its new node");
    nanos.set(95 * s);
    publish.run();
    assertEquals(Set.of("j/op/0"), rebalance(strategy, current, Set.of()), "after 60 s without one, balancing goes on");
  }

  @Test
  void whenAShardWasJustMoved_thenReportsOfItsSilenceFromBeforeTheMoveAreDropped() {
    AtomicLong clock = new AtomicLong();
    RouteRefresh refresh = new RouteRefresh(clock::get);
    refresh.add(new RouteRefresh.Request(List.of("j/sum/0", "j/src/0"), "node-1"));
    assertEquals(Set.of("j/sum/0", "j/src/0"), refresh.take(Set.of("j/sum/0", "j/src/0"), Set.of()));
    clock.addAndGet(RouteRefresh.QUIET_AFTER_MOVE_NANOS - 1);
    refresh.add(new RouteRefresh.Request(List.of("j/sum/0", "j/src/1"), "node-2")); // another sender, silent since before
    assertEquals(Set.of("j/src/1"), refresh.take(Set.of("j/sum/0", "j/src/1"), Set.of()), "j/sum/0 just moved");
    clock.addAndGet(2);
    refresh.add(new RouteRefresh.Request(List.of("j/sum/0"), "node-2")); // still silent, a full limit later
    assertEquals(Set.of("j/sum/0"), refresh.take(Set.of("j/sum/0"), Set.of()));
  }

  @Test
  void whenARequestIsNotActedOnForAMinute_thenItExpires() throws Exception {
    AtomicLong clock = new AtomicLong();
    RouteRefresh refresh = new RouteRefresh(clock::get);
    refresh.add(new RouteRefresh.Request(List.of("j/sum/0"), "node-1"));
    clock.addAndGet(RouteRefresh.EXPIRES_AFTER_NANOS + 1);
    assertEquals(Set.of(), refresh.take(Set.of("j/sum/0"), Set.of()));
    assertTrue(refresh.isEmpty());
  }

  @Test
  void whenANodeRequestsARefresh_thenItReachesTheTableThroughTheNodesActor() {
    RouteRefresh refresh = new RouteRefresh();
    refresh.start(kit.system());
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
      // the actor registers itself first; a request sent before the listing arrives still reaches it
      refresh.request(List.of("j/sum/1"), "node-3");
      assertEquals(Set.of("j/sum/1"), refresh.take(Set.of("j/sum/1"), Set.of()));
      return null;
    });
  }
}
