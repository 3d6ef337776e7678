package io.sluice.persistence.runtime;

import java.util.Objects;

/**
 * INTERNAL API: one operator instance of one job: the sharded entity id
 * {@code <job>/<operator>/<index>} and the persistence id {@code sluice-op|<job>/<operator>/<index>}.
 */
public record InstanceId(String jobId, String operator, int index) {
  public InstanceId {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(operator, "operator");
    if (jobId.contains("/") || operator.contains("/")) {
      throw new IllegalArgumentException("job and operator names must not contain '/'");
    }
  }

  public String entityId() {
    return jobId + "/" + operator + "/" + index;
  }

  public static InstanceId parse(String entityId) {
    String[] p = entityId.split("/");
    if (p.length != 3) {
      throw new IllegalArgumentException("not an operator instance id: " + entityId);
    }
    try {
      return new InstanceId(p[0], p[1], Integer.parseInt(p[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an operator instance id: " + entityId);
    }
  }

  @Override
  public String toString() {
    return entityId();
  }
}
