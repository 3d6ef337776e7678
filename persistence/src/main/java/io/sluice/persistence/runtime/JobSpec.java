package io.sluice.persistence.runtime;

import io.sluice.core.dsl.Parameters;
import java.util.Objects;

/**
 * INTERNAL API: what every node needs to build a job's plan: its id, the pipeline's name and
 * parameters, a fingerprint of the plan the coordinator built at submission (a node whose code
 * builds a different plan refuses to run the job's instances rather than corrupt its state), and
 * the jar the pipeline comes from: the SHA-256 of a stored jar, or empty for the node's own
 * pipelines; and the savepoint it started from (its id, or empty): every stateful instance takes
 * its operator's part of it before it runs.
 */
public record JobSpec(String jobId, String pipeline, Parameters parameters, String fingerprint, String jar,
    String savepoint) implements SluiceMessage {
  public JobSpec {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(pipeline, "pipeline");
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(fingerprint, "fingerprint");
    jar = jar == null ? "" : jar;
    savepoint = savepoint == null ? "" : savepoint;
  }

  /** A job that does not start from a savepoint. */
  public JobSpec(String jobId, String pipeline, Parameters parameters, String fingerprint, String jar) {
    this(jobId, pipeline, parameters, fingerprint, jar, "");
  }

  /** A job of one of the node's own pipelines. */
  public JobSpec(String jobId, String pipeline, Parameters parameters, String fingerprint) {
    this(jobId, pipeline, parameters, fingerprint, "", "");
  }

  /** Whether the pipeline comes from an uploaded jar. */
  public boolean hasJar() {
    return !jar.isEmpty();
  }

  /** Whether the job starts from a savepoint. */
  public boolean hasSavepoint() {
    return !savepoint.isEmpty();
  }
}
