package io.sluice.cluster.runtime;

import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.persistence.runtime.InstanceReport;
import io.sluice.persistence.runtime.JobRuntime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * INTERNAL API: whether a running job is DEGRADED, and why. A pure function of what the job
 * coordinator knows (instance reports, nodes' journal checks, the time), so that it is tested with
 * a given clock. A running job is DEGRADED while any of these holds; the cause names each, and
 * the job is degraded since the earliest:
 *
 * <ol>
 *   <li>a node where one of its instances last ran reports that its journal fails (the node's
 *       {@code JournalCheck}; any failing node, while no instance reported yet);
 *   <li>one of its instances reports trouble: it cannot make progress although the job has not
 *       failed (its journal or state store cannot be reached); its next report without trouble
 *       clears it;
 *   <li>no records moved anywhere (in or out of any instance) for {@code stallAfter}, while work is
 *       left: a bounded source has not finished, or input or unacknowledged output waits
 *       somewhere, or an instance never reported. A job whose only sources are unbounded and idle,
 *       with nothing in flight, is waiting for input, not stalled.
 * </ol>
 */
final class JobHealth {
  private JobHealth() {}

  /** An instance whose reports stopped for longer than this is named in a stall's cause (they report every second). */
  static final long SILENT_AFTER_MILLIS = 10_000;
  /** Errors are cut to this length in a cause. */
  static final int MAX_ERROR_CHARS = 300;
  /** A stall's cause names at most this many instances. */
  static final int MAX_NAMED = 3;

  /**
   * A node's journal as it last reported it (error null: it works, or has not failed yet),
   * received at {@code receivedMillis}; forgotten {@code validForMillis} after that, unless renewed
   * (a node that died stops reporting).
   */
  record NodeJournal(String node, String error, long sinceMillis, long receivedMillis, long validForMillis) {
    boolean failing(long nowMillis) {
      return error != null && nowMillis - receivedMillis <= validForMillis;
    }
  }

  /** A job's instances (entity ids) and which of them read bounded sources. */
  record Shape(List<String> instances, Set<String> boundedSources) {
    Shape {
      instances = List.copyOf(instances);
      boundedSources = Set.copyOf(boundedSources);
    }

    static Shape of(JobRuntime rt) {
      List<String> all = new ArrayList<>();
      Set<String> bounded = new HashSet<>();
      PhysicalPlan plan = rt.plan();
      for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
        boolean boundedSource = op.head() >= 0 && plan.logical().get(op.head()).spec() instanceof OpSpec.SourceSpec src
            && src.source().isBounded();
        for (int i = 0; i < op.parallelism(); i++) {
          String id = rt.instance(op.index(), i).entityId();
          all.add(id);
          if (boundedSource) {
            bounded.add(id);
          }
        }
      }
      return new Shape(all, bounded);
    }
  }

  /** Why a running job is degraded, and since when (wall-clock millis). */
  record Degraded(long sinceMillis, String cause) {}

  /**
   * The degradation of a running job of {@code shape}, or null if it runs well.
   *
   * @param st what its instances reported (null: nothing yet)
   * @param baselineMillis when progress is counted from if nothing was reported (the job's
   *     submission or the coordinator's start, whichever is later)
   */
  static Degraded evaluate(Shape shape, JobStats st, Collection<NodeJournal> nodes, long baselineMillis,
      long nowMillis, long stallAfterMillis) {
    List<String> causes = new ArrayList<>();
    long since = Long.MAX_VALUE;

    // 1. nodes whose journal fails, where the job's instances run
    Set<String> jobNodes = new HashSet<>();
    if (st != null) {
      for (InstanceReport r : st.latest.values()) {
        jobNodes.add(r.node());
      }
    }
    Map<String, List<NodeJournal>> byError = new LinkedHashMap<>();
    nodes.stream().filter(n -> n.failing(nowMillis) && (jobNodes.isEmpty() || jobNodes.contains(n.node())))
        .sorted(Comparator.comparing(NodeJournal::node))
        .forEach(n -> byError.computeIfAbsent(n.error(), e -> new ArrayList<>()).add(n));
    for (Map.Entry<String, List<NodeJournal>> e : byError.entrySet()) {
      long first = e.getValue().stream().mapToLong(NodeJournal::sinceMillis).min().orElse(nowMillis);
      since = Math.min(since, first);
      causes.add("journal unavailable on " + String.join(", ", e.getValue().stream().map(NodeJournal::node).toList())
          + " for " + seconds(nowMillis - first) + ": " + cut(e.getKey()));
    }

    // 2. instances in trouble
    if (st != null && !st.troubleSince.isEmpty()) {
      List<Map.Entry<String, Long>> troubled = new ArrayList<>(st.troubleSince.entrySet());
      troubled.sort(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
      String first = troubled.get(0).getKey();
      long t = troubled.get(0).getValue();
      InstanceReport r = st.latest.get(first);
      since = Math.min(since, t);
      String what = first + " on " + r.node() + ": " + cut(r.trouble());
      causes.add(troubled.size() == 1 ? "instance " + what + " (for " + seconds(nowMillis - t) + ")"
          : troubled.size() + " instances in trouble for " + seconds(nowMillis - t) + ", e.g. " + what);
    }

    // 3. no progress while work is left
    long last = st == null ? baselineMillis : Math.max(st.lastProgressMillis, baselineMillis);
    if (nowMillis - last >= stallAfterMillis) {
      String left = workLeft(shape, st, nowMillis);
      if (left != null) {
        since = Math.min(since, last);
        StringBuilder c = new StringBuilder("no progress for " + seconds(nowMillis - last) + " (" + left + ")");
        if (st != null && st.troubleSince.isEmpty() && st.lastTroubled != null) {
          c.append("; last trouble ").append(seconds(nowMillis - st.lastTroubledAt)).append(" ago: ")
              .append(st.lastTroubled.instance().entityId()).append(" on ").append(st.lastTroubled.node())
              .append(": ").append(cut(st.lastTroubled.trouble()));
        }
        causes.add(c.toString());
      }
    }
    return causes.isEmpty() ? null : new Degraded(since, String.join("; ", causes));
  }

  /** What work is left, for people; null if none (bounded sources finished, nothing in flight). */
  private static String workLeft(Shape shape, JobStats st, long nowMillis) {
    List<String> parts = new ArrayList<>();
    TreeSet<String> never = new TreeSet<>();
    TreeSet<String> silent = new TreeSet<>();
    int sourcesLeft = 0;
    long backlog = 0;
    long unacked = 0;
    for (String id : shape.instances()) {
      InstanceReport r = st == null ? null : st.latest.get(id);
      if (r == null) {
        never.add(id);
        sourcesLeft += shape.boundedSources().contains(id) ? 1 : 0;
        continue;
      }
      if (shape.boundedSources().contains(id) && !r.finished()) {
        sourcesLeft++;
      }
      backlog += r.backlog();
      unacked += r.unacked();
      Long at = st.reportedAt.get(id);
      if (at != null && nowMillis - at > SILENT_AFTER_MILLIS && !r.finished()) {
        silent.add(id + " (" + r.node() + ")");
      }
    }
    if (sourcesLeft == 0 && backlog == 0 && unacked == 0 && never.isEmpty()) {
      return null;
    }
    if (sourcesLeft > 0) {
      parts.add(sourcesLeft + " bounded source instance(s) not finished");
    }
    if (backlog > 0 || unacked > 0) {
      parts.add("backlog " + backlog + " batch(es), unacknowledged " + unacked);
    }
    if (!never.isEmpty()) {
      parts.add("never reported: " + names(never));
    }
    if (!silent.isEmpty()) {
      parts.add("silent for over " + SILENT_AFTER_MILLIS / 1000 + " s: " + names(silent));
    }
    return String.join(", ", parts);
  }

  private static String names(TreeSet<String> s) {
    List<String> l = new ArrayList<>(s);
    return l.size() <= MAX_NAMED ? String.join(" ", l)
        : String.join(" ", l.subList(0, MAX_NAMED)) + " and " + (l.size() - MAX_NAMED) + " more";
  }

  static String seconds(long millis) {
    return Math.max(0, millis) / 1000 + " s";
  }

  static String cut(String error) {
    if (error == null) {
      return "?";
    }
    String s = error.replaceAll("\\s+", " ").trim();
    return s.length() <= MAX_ERROR_CHARS ? s : s.substring(0, MAX_ERROR_CHARS - 1) + "…";
  }
}
