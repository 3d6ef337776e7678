package io.sluice.core.testing;

/**
 * A job failed: a function kept throwing after the restart strategy gave up, and the job has no
 * dead-letter sink. Names the stage, the record and the cause.
 */
public final class JobFailedException extends RuntimeException {
  private final String stage;
  private final String record;

  public JobFailedException(String stage, String record, int attempts, Throwable cause) {
    super("job failed: stage '" + stage + "'" + (record == null ? "" : " on record " + record) + " after "
        + attempts + " attempt(s): " + cause, cause);
    this.stage = stage;
    this.record = record;
  }

  public String stage() {
    return stage;
  }

  /** The failing record's {@code toString()}, or null if the failure was not about one record. */
  public String record() {
    return record;
  }
}
