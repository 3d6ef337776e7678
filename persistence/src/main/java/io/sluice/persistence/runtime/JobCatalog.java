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
 *
 * <p>The catalog holds its jobs weakly: a job stays known while something on this node uses it
 * (its operator instances, the coordinator while the job runs) and is forgotten after, with its
 * plan, its codec and the class loader of its jar. Jobs come and go for months; a node keeps only
 * those it runs. A job needed again is built again.
 */
public final class JobCatalog implements Extension {
  private static final Id ID = new Id();

  private final Map<String, java.lang.ref.WeakReference<JobRuntime>> jobs = new ConcurrentHashMap<>();
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
    java.lang.ref.WeakReference<JobRuntime> r = jobs.get(jobId);
    return Optional.ofNullable(r == null ? null : r.get());
  }

  /** How many jobs this node knows now (tests, metrics). */
  public int size() {
    jobs.values().removeIf(r -> r.get() == null);
    return jobs.size();
  }

  /**
   * The runtime of {@code spec}, built on first use.
   *
   * @throws IllegalArgumentException if the pipeline cannot be built here or its plan differs
   */
  public JobRuntime register(JobSpec spec) {
    JobRuntime known = get(spec.jobId()).orElse(null);
    if (known != null) {
      return known;
    }
    jobs.values().removeIf(r -> r.get() == null); // the map stays as large as the jobs in use
    PipelineResolver.Resolved r = resolver.resolve(spec.pipeline(), spec.parameters(), spec.jar());
    Pipeline p = r.pipeline();
    String fp = JobRuntime.fingerprint(p);
    if (!fp.equals(spec.fingerprint())) {
      throw new IllegalArgumentException("pipeline '" + spec.pipeline() + "' of job " + spec.jobId()
          + " builds a different plan on this node (fingerprint " + fp + ", submitted " + spec.fingerprint()
          + "): every node must run the same version of the pipeline code");
    }
    JobRuntime built = new JobRuntime(spec, p, r.classLoader());
    java.lang.ref.WeakReference<JobRuntime> ref = jobs.compute(spec.jobId(), (id, old) -> old != null
        && old.get() != null ? old : new java.lang.ref.WeakReference<>(built));
    JobRuntime kept = ref.get();
    return kept != null ? kept : built;
  }

  /**
   * Whether {@link #register} can build {@code spec}'s job now without waiting for the store (the
   * job is known, or its jar is on this node).
   */
  public boolean isReady(JobSpec spec) {
    return get(spec.jobId()).isPresent() || resolver.isReady(spec.jar());
  }

  /** Fetches what {@code spec}'s job needs on this node (its jar); completes when {@link #isReady}. */
  public java.util.concurrent.CompletionStage<?> prepare(JobSpec spec) {
    return resolver.prepare(spec.jar());
  }


}
