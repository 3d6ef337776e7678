package io.sluice.core.internal.exec;

import io.sluice.core.internal.codec.ValueCodec;
import io.sluice.core.internal.plan.PhysicalPlan;

/**
 * INTERNAL API: what every instance of a job shares: its id, its plan and its value codec.
 *
 * @param jobId unique per submission; part of persistence ids and batch ids
 */
public record ExecContext(String jobId, PhysicalPlan plan, ValueCodec codec) {
  public static ExecContext of(String jobId, PhysicalPlan plan) {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return of(jobId, plan, cl != null ? cl : ExecContext.class.getClassLoader());
  }

  /** With the class loader of the job's code: unregistered record and enum types are found there. */
  public static ExecContext of(String jobId, PhysicalPlan plan, ClassLoader classLoader) {
    return new ExecContext(jobId, plan, new ValueCodec(plan.config().codecs(), classLoader));
  }
}
