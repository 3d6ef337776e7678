package io.sluice.core.internal.exec;

/**
 * INTERNAL API: a user function (or sink, or source) threw. Names the stage and the record, so
 * that a job's failure status says what failed on what.
 */
public final class UserCodeException extends RuntimeException {
  private static final int MAX_RECORD_CHARS = 2_000;
  private final String stage;
  private final String record;

  public UserCodeException(String stage, Object record, Throwable cause) {
    super("stage '" + stage + "' failed" + (record == null ? "" : " on record " + describe(record)) + ": " + cause,
        cause);
    this.stage = stage;
    this.record = record == null ? null : describe(record);
  }

  public static String describe(Object record) {
    String s;
    try {
      s = String.valueOf(record);
    } catch (RuntimeException e) {
      s = record.getClass().getName() + " (toString() threw " + e + ")";
    }
    return s.length() > MAX_RECORD_CHARS ? s.substring(0, MAX_RECORD_CHARS) + "..." : s;
  }

  public String stage() {
    return stage;
  }

  /** The failing record's {@code toString()}, cut to 2,000 characters; null if not about one record. */
  public String record() {
    return record;
  }
}
