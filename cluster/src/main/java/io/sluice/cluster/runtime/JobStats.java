package io.sluice.cluster.runtime;

import io.sluice.core.internal.engine.LatencyHistogram;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.InstanceReport;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * INTERNAL API: what the job coordinator knows of a running job's instances from their reports
 * (not persisted: after the coordinator moves, the next reports rebuild it within a second).
 * Times are the coordinator's wall clock in millis, given by the caller.
 */
final class JobStats {
  final Map<String, InstanceReport> latest = new HashMap<>();
  final Map<String, Set<Long>> incarnations = new HashMap<>();
  final LatencyHistogram latency = new LatencyHistogram();
  /** When each instance's latest report arrived. */
  final Map<String, Long> reportedAt = new HashMap<>();
  /**
   * Since when each instance in trouble has been, over its incarnations: a failed recovery stops
   * an incarnation, and the next one reports the same trouble anew.
   */
  final Map<String, Long> troubleSince = new HashMap<>();
  /** When records last moved anywhere in the job (or the baseline, if they have not since). */
  long lastProgressMillis;
  /** The last report with trouble, and when it came (stays after the trouble cleared). */
  InstanceReport lastTroubled;
  long lastTroubledAt;

  /** @param baselineMillis progress is counted from here (the job's submission, or the coordinator's start) */
  JobStats(long baselineMillis) {
    this.lastProgressMillis = baselineMillis;
  }

  /**
   * Takes an instance's report. Its counts are persisted, so they never go back, except in the
   * report of an incarnation that could not recover its state (its journal is unreachable): that
   * one keeps the counts last known. An incarnation counts as a recovery once it reported without
   * trouble (it ran), not for each failed attempt to recover.
   */
  void update(InstanceReport report, long nowMillis) {
    String key = report.instance().entityId();
    InstanceReport r = report;
    InstanceReport known = latest.get(key);
    if (known != null && (r.recordsIn() < known.recordsIn() || r.recordsOut() < known.recordsOut())) {
      r = new InstanceReport(r.instance(), r.node(), r.incarnation(), Math.max(r.recordsIn(), known.recordsIn()),
          Math.max(r.recordsOut(), known.recordsOut()), r.backlog(), r.unacked(), r.finished() || known.finished(),
          r.failedStage(), r.failedRecord(), r.failedError(), r.deadLetters(), r.latencyCounts(), r.firstInputMillis(),
          r.lastInputMillis(), r.trouble(), r.troubleSinceMillis());
    }
    InstanceReport prev = latest.put(key, r);
    reportedAt.put(key, nowMillis);
    if (r.incarnation() != 0 && r.trouble() == null) {
      incarnations.computeIfAbsent(key, k -> new HashSet<>()).add(r.incarnation());
    }
    latency.merge(LatencyHistogram.of(r.latencyCounts()));
    if (prev != null && (prev.recordsIn() != r.recordsIn() || prev.recordsOut() != r.recordsOut())) {
      lastProgressMillis = nowMillis;
    }
    if (r.lastInputMillis() > lastProgressMillis) {
      lastProgressMillis = Math.min(nowMillis, r.lastInputMillis()); // the instance's clock, never ahead of ours
    }
    if (r.trouble() != null) {
      long since = r.troubleSinceMillis() > 0 ? Math.min(r.troubleSinceMillis(), nowMillis) : nowMillis;
      troubleSince.merge(key, since, Math::min);
      lastTroubled = r;
      lastTroubledAt = nowMillis;
    } else {
      troubleSince.remove(key);
    }
  }

  boolean allFinished(List<InstanceId> sinks) {
    for (InstanceId s : sinks) {
      InstanceReport r = latest.get(s.entityId());
      if (r == null || !r.finished()) {
        return false;
      }
    }
    return !sinks.isEmpty();
  }

  /** Incarnations beyond the first, as seen by this coordinator. */
  long recoveries(String entityId) {
    Set<Long> s = incarnations.get(entityId);
    return s == null ? 0 : Math.max(0, s.size() - 1);
  }
}
