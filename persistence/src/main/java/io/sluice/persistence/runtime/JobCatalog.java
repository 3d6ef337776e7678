package io.sluice.persistence.runtime;

import io.sluice.core.dsl.Pipeline;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * INTERNAL API: the jobs this node knows, by id, each built once from its spec with the node's
 * {@link PipelineResolver}. A plan whose fingerprint differs from the submitted one is refused:
 * the nodes run different code.
 */
public final class JobCatalog implements Extension {
  private static final Id ID = new Id();

  private final Map<String, JobRuntime> jobs = new ConcurrentHashMap<>();
  private volatile PipelineResolver resolver = (name, params, jar) -> {
    throw new IllegalStateException("no pipeline resolver is installed on this node");
  };

  private JobCatalog() {}

  public static JobCatalog get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private static final class Id extends ExtensionId<JobCatalog> {
    @Override
    public JobCatalog createExtension(ActorSystem<?> system) {
      return new JobCatalog();
    }
  }

  public void setResolver(PipelineResolver resolver) {
    this.resolver = resolver;
  }

  public PipelineResolver resolver() {
    return resolver;
  }

  public Optional<JobRuntime> get(String jobId) {
    return Optional.ofNullable(jobs.get(jobId));
  }

  /**
   * The runtime of {@code spec}, built on first use.
   *
   * @throws IllegalArgumentException if the pipeline cannot be built here or its plan differs
   */
  public JobRuntime register(JobSpec spec) {
    JobRuntime known = jobs.get(spec.jobId());
    if (known != null) {
      return known;
    }
    PipelineResolver.Resolved r = resolver.resolve(spec.pipeline(), spec.parameters(), spec.jar());
    Pipeline p = r.pipeline();
    String fp = JobRuntime.fingerprint(p);
    if (!fp.equals(spec.fingerprint())) {
      throw new IllegalArgumentException("pipeline '" + spec.pipeline() + "' of job " + spec.jobId()
          + " builds a different plan on this node (fingerprint " + fp + ", submitted " + spec.fingerprint()
          + "): every node must run the same version of the pipeline code");
    }
    return jobs.computeIfAbsent(spec.jobId(), id -> new JobRuntime(spec, p, r.classLoader()));
  }

  /**
   * Whether {@link #register} can build {@code spec}'s job now without waiting for the store (the
   * job is known, or its jar is on this node).
   */
  public boolean isReady(JobSpec spec) {
    return jobs.containsKey(spec.jobId()) || resolver.isReady(spec.jar());
  }

  /** Fetches what {@code spec}'s job needs on this node (its jar); completes when {@link #isReady}. */
  public java.util.concurrent.CompletionStage<?> prepare(JobSpec spec) {
    return resolver.prepare(spec.jar());
  }

  /** Forgets a job (it ended and its instances stopped). */
  public void forget(String jobId) {
    jobs.remove(jobId);
  }
}
