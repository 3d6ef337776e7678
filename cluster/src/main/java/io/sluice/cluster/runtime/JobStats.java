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
 */
final class JobStats {
  final Map<String, InstanceReport> latest = new HashMap<>();
  final Map<String, Set<Long>> incarnations = new HashMap<>();
  final LatencyHistogram latency = new LatencyHistogram();

  void update(InstanceReport r) {
    String key = r.instance().entityId();
    latest.put(key, r);
    if (r.incarnation() != 0) {
      incarnations.computeIfAbsent(key, k -> new HashSet<>()).add(r.incarnation());
    }
    latency.merge(LatencyHistogram.of(r.latencyCounts()));
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
