package io.sluice.persistence.runtime;

import io.sluice.core.dsl.Parameters;
import java.util.Objects;

/**
 * INTERNAL API: what every node needs to build a job's plan: its id, the pipeline's name and
 * parameters, and a fingerprint of the plan the coordinator built at submission (a node whose
 * code builds a different plan refuses to run the job's instances rather than corrupt its state).
 */
public record JobSpec(String jobId, String pipeline, Parameters parameters, String fingerprint) implements SluiceMessage {
  public JobSpec {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(pipeline, "pipeline");
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(fingerprint, "fingerprint");
  }
}
