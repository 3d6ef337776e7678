package io.sluice.cluster.runtime;

/**
 * What a job's status shows ({@code state} in the HTTP API): its lifecycle
 * ({@link JobCoordinator.Status}, field {@code status}), except that a running job that cannot
 * make progress right now shows DEGRADED, with the cause and since when. DEGRADED is a view of a
 * RUNNING job, never persisted: when the cause clears, the job shows RUNNING again by itself.
 */
public enum JobState {
  RUNNING, DEGRADED, FINISHED, CANCELLED, STOPPED, FAILED;

  /** The state of a job in lifecycle {@code status}, not degraded. */
  public static JobState of(JobCoordinator.Status status) {
    return switch (status) {
      case RUNNING -> RUNNING;
      case FINISHED -> FINISHED;
      case CANCELLED -> CANCELLED;
      case STOPPED -> STOPPED;
      case FAILED -> FAILED;
    };
  }
}
