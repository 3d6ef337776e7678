package io.sluice.cluster.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.sluice.cluster.internal.CborMessage;
import io.sluice.cluster.internal.Secrets;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.persistence.runtime.InstanceReport;
import io.sluice.persistence.runtime.JobRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A job's status as the HTTP API and the CLI show it: its lifecycle, the failure if it failed,
 * whether it is degraded and why, and per operator the counts its instances last reported.
 *
 * @param status the lifecycle: RUNNING until the job finished, was cancelled or failed (clients that
 *     wait for a job's end wait for this to leave RUNNING)
 * @param lag input batches waiting plus output batches not yet acknowledged, over all instances
 * @param recoveries instance restarts seen by the coordinator (node deaths, failures)
 * @param state what to show: the lifecycle, or DEGRADED while a running job cannot make progress
 * @param degradedSince while DEGRADED: since when (wall-clock millis), else 0
 * @param cause while DEGRADED: why, for people (see {@link JobHealth}), else null
 * @param jar the SHA-256 of the jar the pipeline comes from; null for a pipeline of the nodes' own
 */
public record JobView(String jobId, String pipeline, Map<String, String> parameters, JobCoordinator.Status status,
    long submittedMillis, long endedMillis, String failedInstance, String failedStage, String failedRecord,
    String failedError, List<OperatorView> operators, long sinkRecords, double latencyP50Millis,
    double latencyP99Millis, long latencySamples, long lag, long recoveries, JobState state, long degradedSince,
    String cause, @JsonInclude(JsonInclude.Include.NON_NULL) String jar) implements CborMessage {

  /**
   * One operator's instances, summed.
   *
   * @param nodes the nodes its instances last reported from
   * @param instanceNodes per instance index, the node it last reported from ("" before its first report);
   *     null in the view an ended job keeps (it is persisted, and where instances ran is moot then)
   */
  public record OperatorView(String name, int parallelism, int reporting, long recordsIn, long recordsOut, long backlog,
      long unacked, int finished, long recoveries, long deadLetters, List<String> nodes,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<String> instanceNodes) implements CborMessage {}

  /** This view without {@link OperatorView#instanceNodes}: the form a job keeps once it ended. */
  public JobView withoutPlacement() {
    List<OperatorView> ops = new ArrayList<>();
    for (OperatorView o : operators) {
      ops.add(new OperatorView(o.name(), o.parallelism(), o.reporting(), o.recordsIn(), o.recordsOut(), o.backlog(),
          o.unacked(), o.finished(), o.recoveries(), o.deadLetters(), o.nodes(), null));
    }
    return new JobView(jobId, pipeline, parameters, status, submittedMillis, endedMillis, failedInstance, failedStage,
        failedRecord, failedError, ops, sinkRecords, latencyP50Millis, latencyP99Millis, latencySamples, lag,
        recoveries, state, degradedSince, cause, jar);
  }

  /** This view as it may be shown (HTTP API, CLI): secrets in the parameters masked ({@link Secrets}). */
  public JobView shown() {
    return new JobView(jobId, pipeline, Secrets.redact(parameters), status, submittedMillis, endedMillis,
        failedInstance, failedStage, failedRecord, failedError, operators, sinkRecords, latencyP50Millis,
        latencyP99Millis, latencySamples, lag, recoveries, state, degradedSince, cause, jar);
  }

  /** This view's numbers with the lifecycle (status, times, failure) of {@code j}. */
  JobView withLifecycle(JobCoordinator.Job j) {
    return new JobView(j.jobId(), j.pipeline(), j.parameters(), j.status(), j.submittedMillis(), j.endedMillis(),
        j.failedInstance(), j.failedStage(), j.failedRecord(), j.failedError(), operators, sinkRecords,
        latencyP50Millis, latencyP99Millis, latencySamples, lag, recoveries, JobState.of(j.status()), 0, null, j.jar());
  }

  /** This view of a running job, DEGRADED for {@code d}'s cause (unchanged if {@code d} is null). */
  JobView degraded(JobHealth.Degraded d) {
    if (d == null || status != JobCoordinator.Status.RUNNING) {
      return this;
    }
    return new JobView(jobId, pipeline, parameters, status, submittedMillis, endedMillis, failedInstance, failedStage,
        failedRecord, failedError, operators, sinkRecords, latencyP50Millis, latencyP99Millis, latencySamples, lag,
        recoveries, JobState.DEGRADED, d.sinceMillis(), d.cause(), jar);
  }

  static JobView of(JobCoordinator.Job j, JobRuntime rt, JobStats st) {
    List<OperatorView> ops = new ArrayList<>();
    long sinkRecords = 0;
    long lag = 0;
    long recoveries = 0;
    if (rt != null) {
      PhysicalPlan plan = rt.plan();
      List<PhysicalPlan.PhysicalOperator> sinks = plan.sinks();
      for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
        int reporting = 0;
        int finished = 0;
        long in = 0;
        long out = 0;
        long backlog = 0;
        long unacked = 0;
        long rec = 0;
        long dl = 0;
        TreeSet<String> nodes = new TreeSet<>();
        List<String> instanceNodes = new ArrayList<>();
        for (int i = 0; i < op.parallelism(); i++) {
          String key = rt.instance(op.index(), i).entityId();
          InstanceReport r = st == null ? null : st.latest.get(key);
          instanceNodes.add(r == null ? "" : r.node());
          if (r == null) {
            continue;
          }
          reporting++;
          finished += r.finished() ? 1 : 0;
          in += r.recordsIn();
          out += r.recordsOut();
          backlog += r.backlog();
          unacked += r.unacked();
          rec += st.recoveries(key);
          dl += r.deadLetters();
          nodes.add(r.node());
        }
        if (sinks.contains(op)) {
          sinkRecords += in;
        }
        lag += backlog + unacked;
        recoveries += rec;
        ops.add(new OperatorView(op.name(), op.parallelism(), reporting, in, out, backlog, unacked, finished, rec, dl,
            List.copyOf(nodes), List.copyOf(instanceNodes)));
      }
    }
    double p50 = st == null ? 0 : st.latency.quantile(0.5);
    double p99 = st == null ? 0 : st.latency.quantile(0.99);
    long samples = st == null ? 0 : st.latency.count();
    return new JobView(j.jobId(), j.pipeline(), j.parameters(), j.status(), j.submittedMillis(), j.endedMillis(),
        j.failedInstance(), j.failedStage(), j.failedRecord(), j.failedError(), ops, sinkRecords, p50, p99, samples,
        lag, recoveries, JobState.of(j.status()), 0, null, j.jar());
  }
}
