package io.sluice.persistence.runtime;

import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.codec.BatchCodec;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.exec.ExecContext;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * INTERNAL API: a job as one node knows it: its spec, its plan (built from the pipeline's factory
 * on this node), and the codec of its records. Shared by the job's instances on this node.
 */
public final class JobRuntime {
  private final JobSpec spec;
  private final PhysicalPlan plan;
  private final ExecContext exec;
  private final ClassLoader classLoader;

  JobRuntime(JobSpec spec, Pipeline pipeline, ClassLoader classLoader) {
    this.spec = spec;
    this.plan = PipelineImpl.physical(pipeline);
    this.exec = ExecContext.of(spec.jobId(), plan, classLoader);
    this.classLoader = classLoader;
  }

  /** The class loader of the job's code (its jar's, or the node's). */
  public ClassLoader classLoader() {
    return classLoader;
  }

  /** The fingerprint of a plan: the first 16 hex digits of SHA-256 over its description. */
  public static String fingerprint(Pipeline pipeline) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(pipeline.describe().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public JobSpec spec() {
    return spec;
  }

  public String jobId() {
    return spec.jobId();
  }

  public PhysicalPlan plan() {
    return plan;
  }

  public ExecContext exec() {
    return exec;
  }

  /** A new batch codec (codecs keep per-call state: one per thread or per instance). */
  public BatchCodec newBatchCodec() {
    return new BatchCodec(exec.codec());
  }

  /** The id of instance {@code index} of plan operator {@code operator}. */
  public InstanceId instance(int operator, int index) {
    return new InstanceId(spec.jobId(), plan.operator(operator).name(), index);
  }

  /** Every instance of the job, in plan order. */
  public List<InstanceId> instances() {
    return plan.operators().stream()
        .flatMap(op -> java.util.stream.IntStream.range(0, op.parallelism()).mapToObj(i -> instance(op.index(), i)))
        .toList();
  }

  /** The instances of the job's sinks: the job finishes when each of them has. */
  public List<InstanceId> sinkInstances() {
    return plan.sinks().stream()
        .flatMap(op -> java.util.stream.IntStream.range(0, op.parallelism()).mapToObj(i -> instance(op.index(), i)))
        .toList();
  }

  /** The plan index of operator {@code name}. */
  public int operatorIndex(String name) {
    return plan.operator(name).orElseThrow(() -> new IllegalArgumentException("job " + spec.jobId()
        + " has no operator '" + name + "'")).index();
  }
}
