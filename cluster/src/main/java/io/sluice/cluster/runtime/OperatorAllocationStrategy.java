package io.sluice.cluster.runtime;

import io.sluice.persistence.runtime.InstanceId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * INTERNAL API: places each operator instance (one shard per instance, shard id = entity id
 * {@code job/operator/index}) on the node that has the fewest instances of the same operator of
 * the same job, then the fewest shards overall, so that one operator's instances spread over the
 * nodes and a node's death takes as few of them as possible.
 *
 * <p>It rebalances, only while every member is reachable (a hand-off to an unreachable region
 * would wait for its timeout):
 * <ul>
 *   <li>the shards whose routes an instance reported stale ({@link RouteRefresh}), at once;
 *   <li>for balance ({@link Balance}), when a node joined or left: once every member is Up and the
 *       set of regions has not changed for {@code settle}, one live instance at a time (the next waits until the last one
 *       reports from its new node), at most one every {@code interval}, and only while no other
 *       hand-off is in progress, from the node with the most instances of
 *       an operator (or, evenly spread per operator, the most instances overall) to the node this
 *       strategy would allocate it to, when that makes the spread strictly better. A moved instance
 *       stops after its write in flight and recovers on its new node from its journal, as after a
 *       failure; the channel protocol keeps the output exact.
 * </ul>
 * A node that leaves gracefully hands its shards off through Pekko's coordinated shutdown; they are
 * allocated here like any other.
 */
public final class OperatorAllocationStrategy extends ShardCoordinator.AbstractShardAllocationStrategy {
  private static final Logger log = LoggerFactory.getLogger(OperatorAllocationStrategy.class);
  private final RouteRefresh refresh;
  private final BooleanSupplier allReachable;
  private final BooleanSupplier allUp;
  private final RunningJobs jobs;
  private final Balance balance;
  private final LongSupplier nanos;
  private Set<String> lastRegions = Set.of();
  private long regionsSince;
  private long lastMove = Long.MIN_VALUE;
  /** The last instance moved for balance, until it reports from its new node. */
  private Moved moved;
  /** Bound of {@link #movedOrder}: the instances remembered as moved for balance, the oldest forgotten first. */
  static final int MOVES_REMEMBERED = 4096;
  /**
   * The instances moved for balance, each with its move's ordinal (the most recent highest), so that
   * the next move of an operator takes one of its instances that moved least recently: each move
   * costs its instance a recovery, and no instance should pay twice while another never does.
   */
  private final Map<String, Long> movedOrder = new java.util.LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > MOVES_REMEMBERED;
    }
  };
  private long moves;
  /** The placement is told again this often, unchanged, for nodes that joined since. */
  private static final long PLACEMENT_REPEAT_NANOS = 10_000_000_000L;
  private final Placement placement;
  private Map<Address, List<String>> lastPlacement = Map.of();
  private long placementAt = Long.MIN_VALUE;
  /** How long a plan for a removed region's instances holds (their allocation follows within seconds). */
  private static final long PLAN_NANOS = 60_000_000_000L;
  /**
   * Where each instance of a region that is gone will be allocated, decided for all of them at once
   * when the first is asked for: allocated one by one in the order they are asked for, equals could
   * tie-break differently from what every node predicted with {@link #targets} to read them ahead.
   */
  private final Map<String, Planned> orphanPlan = new HashMap<>();
  /** The gone regions already planned (each once: a later hand-off of their instances is allocated as any other). */
  private final Map<Address, Long> plannedRegions = new HashMap<>();
  /**
   * The regions that left the placement (by node address) with the instances they held, for
   * {@link #PLAN_NANOS}: their instances may be asked for after the next placement no longer has them.
   */
  private final Map<Address, Gone> gone = new HashMap<>();

  private record Planned(Address to, long atNanos) {}

  private record Gone(List<String> shards, long atNanos) {}

  /** Told where the live instances are (each region's address and shards), when that changes or every 10 s. */
  public interface Placement {
    void placed(Map<Address, List<String>> byRegion);

    /**
     * The placement this node was last told by a coordinator, any node's (nodes' global addresses):
     * a coordinator that just took over from a dead node's knows where that node's instances ran.
     */
    default Map<Address, List<String>> lastTold() {
      return Map.of();
    }

    /** This node's address, which its own region's path leaves out; null if not known. */
    default Address self() {
      return null;
    }
  }

  private record Moved(String shard, long incarnation, long atNanos) {}

  /**
   * Balancing settings.
   *
   * @param enabled whether to move instances for balance at all
   * @param settle how long the set of nodes must be unchanged before instances move (a node that
   *     just joined or died; several joining at once)
   * @param interval the least time between two moves (each moved instance replays its journal)
   * @param listMaxAge how recent the job coordinator's view of the jobs must be
   * @param recoverTimeout how long to wait for a moved instance to report from its new node before
   *     the next move (it may have been moved again, or its job ended)
   */
  public record Balance(boolean enabled, Duration settle, Duration interval, Duration listMaxAge,
      Duration recoverTimeout) {
    public static final Balance OFF = new Balance(false, Duration.ofSeconds(10), Duration.ofSeconds(5),
        Duration.ofSeconds(5), Duration.ofSeconds(60));
  }

  /**
   * @param refresh this node's table of route refresh requests
   * @param allReachable whether every cluster member is reachable now
   * @param allUp whether every cluster member is Up now (none joining, leaving or exiting: the shard
   *     coordinator asks for a rebalance with the regions of leaving nodes too, and moving an
   *     instance there would only move it again)
   * @param jobs what this node's job coordinator publishes: the jobs that ended, the instances' incarnations
   * @param balance when to move instances for balance
   */
  public OperatorAllocationStrategy(RouteRefresh refresh, BooleanSupplier allReachable, BooleanSupplier allUp,
      RunningJobs jobs, Balance balance) {
    this(refresh, allReachable, allUp, jobs, balance, System::nanoTime, null);
  }

  /** @param placement told where the live instances are ({@link StatePrefetch}), or null */
  public OperatorAllocationStrategy(RouteRefresh refresh, BooleanSupplier allReachable, BooleanSupplier allUp,
      RunningJobs jobs, Balance balance, Placement placement) {
    this(refresh, allReachable, allUp, jobs, balance, System::nanoTime, placement);
  }

  OperatorAllocationStrategy(RouteRefresh refresh, BooleanSupplier allReachable, BooleanSupplier allUp,
      RunningJobs jobs, Balance balance, LongSupplier nanos) {
    this(refresh, allReachable, allUp, jobs, balance, nanos, null);
  }

  OperatorAllocationStrategy(RouteRefresh refresh, BooleanSupplier allReachable, BooleanSupplier allUp,
      RunningJobs jobs, Balance balance, LongSupplier nanos, Placement placement) {
    this.placement = placement;
    this.refresh = refresh;
    this.allReachable = allReachable;
    this.allUp = allUp;
    this.jobs = jobs;
    this.balance = balance;
    this.nanos = nanos;
    this.regionsSince = nanos.getAsLong();
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId,
      Map<ActorRef, IndexedSeq<String>> current) {
    // count only the instances of jobs that run, when the job coordinator's list is at hand: ended jobs'
    // shards stay allocated
    RunningJobs.View view = jobs.fresh(balance.listMaxAge().toNanos());
    Set<String> endedIds = view == null ? null : view.ended();
    // every region, in the order of its path; keyed by position (padded: keys sort as positions), as
    // a restarted node's new region can have the path of its old one until that one is known to be gone
    Map<String, List<String>> byRegion = new TreeMap<>();
    List<ActorRef> regions = current.keySet().stream().sorted(Comparator.comparing(r -> r.path().toString())).toList();
    for (int i = 0; i < regions.size(); i++) {
      byRegion.put(String.format("%06d", i), toList(current.get(regions.get(i))));
    }
    Predicate<String> counts = s -> {
      String job = jobOf(s);
      return endedIds == null || job == null || !endedIds.contains(job); // immutable sets refuse contains(null)
    };
    ActorRef planned = planned(shardId, regions, byRegion);
    if (planned != null) {
      return Futures.successful(planned);
    }
    String best = leastLoaded(group(shardId), byRegion, counts);
    if (best == null) {
      return Futures.failed(new IllegalStateException("no shard region to allocate " + shardId + " to"));
    }
    return Futures.successful(regions.get(Integer.parseInt(best)));
  }

  /**
   * The region planned for {@code shardId} if it ran on a region that is gone (from the last
   * placement told), or null: the plan allocates all that region's instances not allocated yet, in
   * the order of their ids, as {@link #targets} does on every node (a region that is gone since
   * lets the rest fall back to one by one).
   *
   * @param regions the regions, in the order allocation considers them
   * @param byRegion their shards, keyed by position in {@code regions} (zero-padded, so that keys sort as positions)
   */
  private ActorRef planned(String shardId, List<ActorRef> regions, Map<String, List<String>> byRegion) {
    long now = nanos.getAsLong();
    orphanPlan.values().removeIf(p -> now - p.atNanos() > PLAN_NANOS);
    plannedRegions.values().removeIf(at -> now - at > PLAN_NANOS);
    if (!orphanPlan.containsKey(shardId)) {
      planGoneRegionOf(shardId, regions, byRegion, now);
    }
    Planned p = orphanPlan.remove(shardId);
    if (p == null) {
      return null;
    }
    List<ActorRef> there = regions.stream().filter(r -> global(r.path().address()).equals(p.to())).toList();
    return there.size() == 1 ? there.get(0) : null;
  }

  /** Plans the instances of the gone region that {@code shardId} ran on, if it did and it was not planned yet. */
  private void planGoneRegionOf(String shardId, List<ActorRef> regions, Map<String, List<String>> byRegion, long now) {
    // this coordinator's placement and the regions that left it, else the one told by the
    // coordinator before it (on a node that died)
    Map<Address, List<String>> known = new java.util.LinkedHashMap<>(globally(lastPlacement));
    gone.forEach((a, g) -> known.putIfAbsent(a, g.shards()));
    if (placement != null) {
      placement.lastTold().forEach(known::putIfAbsent);
    }
    Set<Address> live = new HashSet<>();
    regions.forEach(r -> live.add(global(r.path().address())));
    for (Map.Entry<Address, List<String>> e : known.entrySet()) {
      Address dead = e.getKey();
      if (live.contains(dead) || plannedRegions.containsKey(dead) || !e.getValue().contains(shardId)) {
        continue;
      }
      // count what every node counted in its prediction: the shards of the placement (no ended job's,
      // however fresh this node's view of the jobs is), an instance of the dead region once allocated
      Set<String> placed = new HashSet<>();
      known.values().forEach(placed::addAll);
      Set<String> orphans = new java.util.TreeSet<>(e.getValue());
      byRegion.values().forEach(orphans::removeAll);
      Map<Address, Integer> to = new TreeMap<>(Comparator.comparing(Address::toString));
      targets(byRegion, orphans, placed::contains).forEach((shard, i) -> {
        Address a = global(regions.get(Integer.parseInt(i)).path().address());
        orphanPlan.put(shard, new Planned(a, now));
        to.merge(a, 1, Integer::sum);
      });
      plannedRegions.put(dead, now);
      log.info("allocating the {} instance(s) of the region at {} that is gone as one plan, as every node"
          + " predicted to read their state ahead: {}", orphans.size(), dead, to);
      return;
    }
  }

  private Map<Address, List<String>> globally(Map<Address, List<String>> byRegion) {
    Map<Address, List<String>> out = new HashMap<>();
    byRegion.forEach((a, shards) -> out.put(global(a), shards));
    return out;
  }

  /** A region's address as other nodes know it: this node's own region's path has no host. */
  private Address global(Address a) {
    Address self = placement == null ? null : placement.self();
    return a.hasGlobalScope() || self == null ? a : self;
  }

  /**
   * The region with the fewest instances of {@code group} (job/operator), then the fewest in all,
   * the first in order among equals; only the shards {@code counts} accepts count. Null without regions.
   */
  static String leastLoaded(String group, Map<String, List<String>> byRegion, Predicate<String> counts) {
    String best = null;
    int bestSame = Integer.MAX_VALUE;
    int bestTotal = Integer.MAX_VALUE;
    for (Map.Entry<String, List<String>> e : byRegion.entrySet()) {
      int same = 0;
      int total = 0;
      for (String s : e.getValue()) {
        if (counts.test(s)) {
          total++;
          same += group.equals(group(s)) ? 1 : 0;
        }
      }
      if (same < bestSame || same == bestSame && total < bestTotal) {
        best = e.getKey();
        bestSame = same;
        bestTotal = total;
      }
    }
    return best;
  }

  private static List<String> toList(IndexedSeq<String> shards) {
    List<String> out = new ArrayList<>(shards.size());
    scala.collection.Iterator<String> it = shards.iterator();
    while (it.hasNext()) {
      out.add(it.next());
    }
    return out;
  }

  /** The job of an instance's shard id; null for another shard id. */
  static String jobOf(String shardId) {
    try {
      return InstanceId.parse(shardId).jobId();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** job/operator of an instance's shard id; other shard ids form their own group. */
  static String group(String shardId) {
    try {
      InstanceId id = InstanceId.parse(shardId);
      return id.jobId() + "/" + id.operator();
    } catch (IllegalArgumentException e) {
      return shardId;
    }
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    long now = nanos.getAsLong();
    Set<String> regions = new HashSet<>();
    for (ActorRef r : current.keySet()) {
      regions.add(r.path().toString());
    }
    if (!regions.equals(lastRegions)) {
      lastRegions = regions;
      regionsSince = now;
    }
    publishPlacement(current, now);
    if (!allReachable.getAsBoolean()) {
      return Futures.successful(Collections.emptySet());
    }
    if (refresh.isEmpty()) {
      return Futures.successful(balance(current, inProgress, now));
    }
    Set<String> allocated = new HashSet<>();
    for (IndexedSeq<String> shards : current.values()) {
      scala.collection.Iterator<String> it = shards.iterator();
      while (it.hasNext()) {
        allocated.add(it.next());
      }
    }
    Set<String> shards = refresh.take(allocated, inProgress);
    if (!shards.isEmpty()) {
      lastMove = now; // a refresh moves instances too: the next move for balance waits its interval
      log.warn("refreshing the routes to {}: handing the shards off, every region forgets where they ran", shards);
    }
    return Futures.successful(shards);
  }

  /**
   * Tells {@link #placement} where the live instances are (ended jobs' shards left out), so that
   * every node can tell, once a node is unreachable, where its instances will go ({@link #targets}).
   */
  private void publishPlacement(Map<ActorRef, IndexedSeq<String>> current, long now) {
    if (placement == null) {
      return;
    }
    RunningJobs.View view = jobs.fresh(balance.listMaxAge().toNanos());
    Set<String> endedIds = view == null ? Set.of() : view.ended();
    Map<Address, List<String>> byRegion = new HashMap<>();
    for (Map.Entry<ActorRef, IndexedSeq<String>> e : current.entrySet()) {
      List<String> shards = toList(e.getValue());
      shards.removeIf(s -> {
        String job = jobOf(s);
        return job == null || endedIds.contains(job);
      });
      shards.sort(Comparator.naturalOrder());
      byRegion.put(e.getKey().path().address(), shards);
    }
    // a coordinator that just took over compares with the placement its node was told by the one before
    Map<Address, List<String>> before = lastPlacement.isEmpty() ? placement.lastTold() : globally(lastPlacement);
    Map<Address, List<String>> after = globally(byRegion);
    gone.values().removeIf(g -> now - g.atNanos() > PLAN_NANOS);
    before.forEach((a, shards) -> {
      if (!after.containsKey(a) && !shards.isEmpty()) {
        gone.put(a, new Gone(shards, now));
      }
    });
    gone.keySet().removeAll(after.keySet()); // back on the same address: a new region
    if (!byRegion.equals(lastPlacement) || now - placementAt > PLACEMENT_REPEAT_NANOS) {
      lastPlacement = byRegion;
      placementAt = now;
      placement.placed(byRegion);
    }
  }

  /**
   * Where {@link #allocateShard} will put each of {@code orphans} (shard ids, allocated in their
   * order, each counting for the next) among the {@code survivors} (each region's shards, regions in
   * order): shard id to region.
   */
  static Map<String, String> targets(Map<String, List<String>> survivors, java.util.Collection<String> orphans,
      Predicate<String> live) {
    Map<String, List<String>> regions = new TreeMap<>();
    survivors.forEach((r, shards) -> regions.put(r, new ArrayList<>(shards)));
    Map<String, String> out = new TreeMap<>();
    for (String shard : orphans) {
      String target = leastLoaded(group(shard), regions, live);
      if (target == null) {
        break;
      }
      regions.get(target).add(shard);
      out.put(shard, target);
    }
    return out;
  }

  private Set<String> balance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress, long now) {
    if (!balance.enabled() || !inProgress.isEmpty() || !allUp.getAsBoolean()
        || now - regionsSince < balance.settle().toNanos()
        || lastMove != Long.MIN_VALUE && now - lastMove < balance.interval().toNanos()) {
      return Collections.emptySet();
    }
    RunningJobs.View view = jobs.fresh(balance.listMaxAge().toNanos());
    if (view == null) {
      return Collections.emptySet();
    }
    if (moved != null) {
      // one at a time: the last instance moved must run on its new node (report from a new incarnation) first
      Long reported = view.incarnations().get(moved.shard());
      boolean runs = reported != null && reported != moved.incarnation();
      boolean ended = view.ended().contains(jobOf(moved.shard()));
      if (runs || ended || now - moved.atNanos() > balance.recoverTimeout().toNanos()) {
        if (!runs && !ended) {
          log.warn("instance {} moved for balance has not reported from its new node within {} s; balancing goes on",
              moved.shard(), balance.recoverTimeout().toSeconds());
        }
        moved = null;
      } else {
        return Collections.emptySet();
      }
    }
    Set<String> endedIds = view.ended();
    Map<String, List<String>> byRegion = new TreeMap<>();
    for (Map.Entry<ActorRef, IndexedSeq<String>> e : current.entrySet()) {
      List<String> shards = new ArrayList<>();
      scala.collection.Iterator<String> it = e.getValue().iterator();
      while (it.hasNext()) {
        shards.add(it.next());
      }
      byRegion.put(e.getKey().path().toString(), shards);
    }
    Move m = balanceMove(byRegion, shard -> {
      String job = jobOf(shard);
      return job != null && !endedIds.contains(job);
    }, shard -> movedOrder.getOrDefault(shard, 0L));
    if (m == null) {
      return Collections.emptySet();
    }
    lastMove = now;
    movedOrder.remove(m.shard()); // re-inserted last: the oldest entry is the one dropped past the bound
    movedOrder.put(m.shard(), ++moves);
    Long incarnation = view.incarnations().get(m.shard());
    moved = new Moved(m.shard(), incarnation == null ? -1 : incarnation, now);
    log.info("moving instance {} for balance: its node has {} instance(s) of its operator and {} in all, {} has {}"
        + " and {}; it stops after its write in flight and recovers there from its journal", m.shard(), m.fromSame(),
        m.fromTotal(), m.to(), m.toSame(), m.toTotal());
    return Set.of(m.shard());
  }

  /** A move for balance: the shard, and the counts (its operator's instances, all instances) on both nodes. */
  record Move(String shard, String from, int fromSame, int fromTotal, String to, int toSame, int toTotal) {}

  /**
   * The one shard to move for balance, or null if the live shards are spread as evenly as moves
   * can make them. Only the shards {@code live} accepts count. A shard moves from region A to the
   * region T that {@link #allocateShard} would choose once it left A, if T then holds fewer of its operator's
   * instances than A held (the operator's spread improves), or as many but T holds at least two
   * instances fewer in all (the overall spread improves without hurting the operator's).
   *
   * @param byRegion each region's shards, regions in the order allocateShard considers them
   */
  static Move balanceMove(Map<String, List<String>> byRegion, Predicate<String> live) {
    return balanceMove(byRegion, live, shard -> 0L);
  }

  /**
   * As {@link #balanceMove(Map, Predicate)}; of the operator's instances on the node it moves from,
   * the one whose last move for balance is the oldest ({@code movedOrder}: 0 for never, higher for
   * more recent), the highest shard id among equals.
   */
  static Move balanceMove(Map<String, List<String>> byRegion, Predicate<String> live,
      java.util.function.ToLongFunction<String> movedOrder) {
    Map<String, Map<String, List<String>>> groups = new TreeMap<>();
    Map<String, Integer> totals = new TreeMap<>();
    for (Map.Entry<String, List<String>> e : byRegion.entrySet()) {
      Map<String, List<String>> g = new TreeMap<>();
      int total = 0;
      for (String shard : e.getValue()) {
        if (live.test(shard)) {
          g.computeIfAbsent(group(shard), k -> new ArrayList<>()).add(shard);
          total++;
        }
      }
      groups.put(e.getKey(), g);
      totals.put(e.getKey(), total);
    }
    Move best = null;
    for (String from : byRegion.keySet()) {
      for (Map.Entry<String, List<String>> g : groups.get(from).entrySet()) {
        int fromSame = g.getValue().size();
        int fromTotal = totals.get(from);
        // where allocateShard puts it once it left: fewest of its operator, then fewest in all, first in order
        String to = null;
        int toSame = Integer.MAX_VALUE;
        int toTotal = Integer.MAX_VALUE;
        for (String r : byRegion.keySet()) {
          int same = groups.get(r).getOrDefault(g.getKey(), List.of()).size() - (r.equals(from) ? 1 : 0);
          int total = totals.get(r) - (r.equals(from) ? 1 : 0);
          if (same < toSame || same == toSame && total < toTotal) {
            to = r;
            toSame = same;
            toTotal = total;
          }
        }
        boolean better = toSame + 1 < fromSame || toSame + 1 == fromSame && toTotal + 1 < fromTotal;
        if (to == null || to.equals(from) || !better) {
          continue;
        }
        // the largest gain first: the operator's spread, then the overall one
        if (best == null || fromSame - toSame > best.fromSame() - best.toSame()
            || fromSame - toSame == best.fromSame() - best.toSame()
                && fromTotal - toTotal > best.fromTotal() - best.toTotal()) {
          List<String> shards = new ArrayList<>(g.getValue());
          shards.sort(Comparator.comparingLong(movedOrder).reversed().thenComparing(Comparator.naturalOrder()));
          best = new Move(shards.get(shards.size() - 1), from, fromSame, fromTotal, to, toSame, toTotal);
        }
      }
    }
    return best;
  }
}
