package io.sluice.samples;

import io.sluice.core.dsl.JobConfig;

/**
 * The logical names the sample pipelines persist their records under. The names, not the Java
 * classes, are what journals, snapshots and savepoints hold: a class may be renamed or moved, a
 * name must stay as long as data written with it is to be read.
 */
final class SampleTypes {
  private SampleTypes() {}

  /** {@code config} with every sample record named (naming a type a pipeline does not use costs nothing). */
  static JobConfig named(JobConfig config) {
    return config
        .withType(Total.class, "samples.Total")
        .withType(Click.class, "samples.Click")
        .withType(CountSum.class, "samples.CountSum")
        .withType(Session.class, "samples.Session")
        .withType(WindowVerifier.WindowCount.class, "samples.WindowCount")
        .withType(TwoHops.UserCount.class, "samples.UserCount")
        .withType(TwoHops.BucketSum.class, "samples.BucketSum")
        .withType(ProcessState.Pending.class, "samples.Pending")
        .withType(ProcessState.Stats.class, "samples.Stats")
        .withType(ProcessState.PeriodSummary.class, "samples.PeriodSummary")
        .withType(ClickSessions.SessionStats.class, "samples.SessionStats");
  }
}
