package io.sluice.persistence.runtime;

import java.util.Map;

/**
 * INTERNAL API: an instance's answer to {@link OperatorCommand.TakeSavepoint}.
 *
 * @param instance the instance
 * @param incarnation its incarnation
 * @param savepointId the savepoint asked for
 * @param error null if the part is stored; else why not (not drained yet, a failed write)
 * @param header the stored part's header ({@code SavepointFormat}), empty if the instance has no
 *     savepoint state
 * @param marks per channel of the instance, named {@code from>to} by {@link #channel}: the last
 *     batch sent (output channels) or consumed (input channels) when the part was taken; the parts
 *     of all instances form a consistent cut exactly when both ends of every channel agree
 */
public record SavepointPartReport(InstanceId instance, long incarnation, String savepointId, String error,
    byte[] header, Map<String, Long> marks) {
  public SavepointPartReport {
    header = header == null ? new byte[0] : header;
    marks = Map.copyOf(marks);
  }

  /** The name of the channel from instance {@code fromIndex} of operator {@code from} to {@code toIndex} of {@code to}. */
  public static String channel(int from, int fromIndex, int to, int toIndex) {
    return from + "." + fromIndex + ">" + to + "." + toIndex;
  }
}
