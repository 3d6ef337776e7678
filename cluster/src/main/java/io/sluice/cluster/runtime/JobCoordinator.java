package io.sluice.cluster.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.sluice.cluster.internal.CborMessage;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineValidationException;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.InstanceReport;
import io.sluice.persistence.runtime.JobCatalog;
import io.sluice.persistence.runtime.JobRuntime;
import io.sluice.persistence.runtime.JobSpec;
import io.sluice.persistence.runtime.OperatorCommand;
import io.sluice.persistence.runtime.Peers;
import io.sluice.persistence.runtime.PipelineResolver;
import io.sluice.persistence.runtime.ProtocolFormats;
import io.sluice.persistence.savepoints.SavepointInfo;
import io.sluice.persistence.savepoints.Savepoints;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * INTERNAL API: the job coordinator, a persistent cluster singleton that owns every job's life:
 * submitted → running → finished | cancelled | failed (with the cause). It survives the death of
 * the node it runs on: the singleton moves to the oldest survivor and recovers its jobs from the
 * journal.
 *
 * <ul>
 *   <li>Submission builds the pipeline from its factory (so a bad name or bad parameters are
 *       answered at once), checks that exactly-once jobs read only replayable sources, and assigns
 *       the job an id.
 *   <li>Every second it sends {@code Start} to every instance of every running job: instances of
 *       a dead node restart on a survivor without waiting for traffic, and a new job's instances
 *       start.
 *   <li>Instances report their progress; a bounded job finishes when every sink instance has seen
 *       the end of all its inputs; a job fails when an instance reports that its restart strategy
 *       gave up. Finished, failed and cancelled jobs' instances are stopped.
 *   <li>A running job shows DEGRADED, with the cause and since when, while it cannot make
 *       progress: its instances report trouble, a node it runs on reports that its journal fails
 *       ({@link NodeJournal}, from each node's journal check), or nothing moved for
 *       {@code sluice.coordinator.stall-after} (see {@link JobHealth}). That is a view, never
 *       persisted: the job shows RUNNING again when the cause clears. Changes are logged.
 * </ul>
 */
public final class JobCoordinator extends EventSourcedBehavior<JobCoordinator.Command, JobCoordinator.Event,
    JobCoordinator.State> {
  public static final String NAME = "sluice-job-coordinator";

  /** The lifecycle of a job. STOPPED: ended by a savepoint taken to stop it ({@link TakeSavepoint}). */
  public enum Status { RUNNING, FINISHED, CANCELLED, STOPPED, FAILED }

  // ---- protocol ----------------------------------------------------------------------------------

  /** Commands. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = Submit.class, name = "submit"),
      @JsonSubTypes.Type(value = Cancel.class, name = "cancel"),
      @JsonSubTypes.Type(value = GetJob.class, name = "get"),
      @JsonSubTypes.Type(value = ListJobs.class, name = "list"),
      @JsonSubTypes.Type(value = LookupSpec.class, name = "lookup"),
      @JsonSubTypes.Type(value = Reported.class, name = "reported"),
      @JsonSubTypes.Type(value = KeepAlive.class, name = "keep-alive"),
      @JsonSubTypes.Type(value = GetInstances.class, name = "instances"),
      @JsonSubTypes.Type(value = GetPlan.class, name = "plan"),
      @JsonSubTypes.Type(value = NodeJournal.class, name = "node-journal"),
      @JsonSubTypes.Type(value = JarReady.class, name = "jar-ready"),
      @JsonSubTypes.Type(value = TakeSavepoint.class, name = "take-savepoint"),
      @JsonSubTypes.Type(value = SavepointPartTaken.class, name = "savepoint-part"),
      @JsonSubTypes.Type(value = SavepointStored.class, name = "savepoint-stored"),
      @JsonSubTypes.Type(value = SavepointLoaded.class, name = "savepoint-loaded"),
      @JsonSubTypes.Type(value = DeleteSavepoint.class, name = "delete-savepoint"),
      @JsonSubTypes.Type(value = SavepointDeleted.class, name = "savepoint-deleted")})
  public sealed interface Command extends CborMessage {}

  /**
   * Submits pipeline {@code pipeline} of {@code jar} (a stored jar's SHA-256; empty or null: the
   * nodes' own), starting from savepoint {@code fromSavepoint} if set: each stateful operator takes
   * the state the savepoint holds under its name. Refused if the savepoint holds state of an
   * operator the pipeline does not have, unless {@code allowNonRestoredState}.
   */
  public record Submit(String pipeline, Map<String, String> parameters, String jar, String fromSavepoint,
      boolean allowNonRestoredState, ActorRef<SubmitResult> replyTo) implements Command {
    public Submit {
      jar = jar == null ? "" : jar;
      fromSavepoint = fromSavepoint == null ? "" : fromSavepoint;
    }

    public Submit(String pipeline, Map<String, String> parameters, String jar, ActorRef<SubmitResult> replyTo) {
      this(pipeline, parameters, jar, "", false, replyTo);
    }

    public Submit(String pipeline, Map<String, String> parameters, ActorRef<SubmitResult> replyTo) {
      this(pipeline, parameters, "", replyTo);
    }
  }

  /** The savepoint a submission starts from was read (error null), or not. */
  public record SavepointLoaded(Submit submit, SavepointInfo info, String error) implements Command {}

  /**
   * Takes a savepoint of running job {@code jobId}: pauses its sources and timers, waits until it is
   * drained, stores every instance's part, and answers with the savepoint's id; with {@code stop},
   * the job then ends STOPPED (nothing after the savepoint is produced).
   */
  public record TakeSavepoint(String jobId, boolean stop, ActorRef<SavepointResult> replyTo) implements Command {}

  /** Exactly one of savepointId and error is set. */
  public record SavepointResult(String savepointId, String error) implements CborMessage {}

  /** An instance's part of a savepoint ({@link SavepointPartReport}). */
  public record SavepointPartTaken(String jobId, String operator, int index, long incarnation, String savepointId,
      String error, byte[] header, Map<String, Long> marks) implements Command {}

  /** A savepoint's description was written (error null), or not. */
  public record SavepointStored(String jobId, String savepointId, String error) implements Command {}

  /** Deletes a savepoint that no running job starts from. */
  public record DeleteSavepoint(String savepointId, ActorRef<SavepointResult> replyTo) implements Command {}

  public record SavepointDeleted(String savepointId, String error, ActorRef<SavepointResult> replyTo)
      implements Command {}

  /** The jar of a submission is on this node now (error null), or could not be fetched. */
  public record JarReady(Submit submit, String error) implements Command {}

  /** Exactly one of jobId and error is set. */
  public record SubmitResult(String jobId, String error) implements CborMessage {}

  public record Cancel(String jobId, ActorRef<CancelResult> replyTo) implements Command {}

  /** found: the job exists; status: its status after the request. */
  public record CancelResult(boolean found, Status status) implements CborMessage {}

  public record GetJob(String jobId, ActorRef<JobReply> replyTo) implements Command {}

  /** view is null for an unknown job. */
  public record JobReply(JobView view) implements CborMessage {}

  public record ListJobs(ActorRef<JobList> replyTo) implements Command {}

  /** Each instance of a job as it last reported (empty if the job is unknown). */
  public record GetInstances(String jobId, ActorRef<InstanceList> replyTo) implements Command {}

  /**
   * One instance as it last reported: where it runs, its incarnation (a new one after every
   * recovery), its counts, when it last consumed input, and its trouble (why it cannot make
   * progress right now, since when; null and 0 without).
   */
  public record InstanceView(String instance, String node, long incarnation, long recoveries, long recordsIn,
      long recordsOut, long backlog, long unacked, boolean finished, long firstInputMillis, long lastInputMillis,
      String trouble, long troubleSinceMillis) implements CborMessage {}

  public record InstanceList(List<InstanceView> instances) implements CborMessage {}

  /** A running job's operator graph. */
  public record GetPlan(String jobId, ActorRef<PlanReply> replyTo) implements Command {}

  /**
   * Exactly one of plan and error is set; {@code found} is false for an unknown job. A job that
   * ended has no plan at hand (the coordinator builds plans only of running jobs).
   */
  public record PlanReply(boolean found, PlanView plan, String error) implements CborMessage {}

  public record JobList(List<JobView> jobs) implements CborMessage {}

  /** From an operator instance that does not know its job yet. */
  public record LookupSpec(String jobId, ActorRef<SpecReply> replyTo) implements Command {}

  /** running: the job runs (spec fields set); else the instance should stop. */
  public record SpecReply(boolean running, String jobId, String pipeline, Map<String, String> parameters,
      String fingerprint, @JsonInclude(JsonInclude.Include.NON_NULL) String jar,
      @JsonInclude(JsonInclude.Include.NON_NULL) String savepoint) implements CborMessage {}

  /** An instance's report, in {@link ProtocolFormats#writeReport}'s binary form. */
  public record Reported(byte[] report) implements Command {}

  /** The keep-alive timer. */
  public record KeepAlive() implements Command {}

  /**
   * From every node, every {@code sluice.node.journal-probe-interval} and when it changes: its
   * journal check. {@code error} is null while the journal takes writes (or none failed yet); else
   * the last error, failing since {@code sinceMillis}. The coordinator forgets the report
   * {@code validForMillis} after it arrived unless the node renews it (a dead node stops
   * reporting).
   */
  public record NodeJournal(String node, String error, long sinceMillis, long validForMillis) implements Command {}

  /** Events. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = JobSubmitted.class, name = "submitted"),
      @JsonSubTypes.Type(value = JobEnded.class, name = "ended")})
  public sealed interface Event extends CborMessage {}

  /**
   * {@code jar}: the SHA-256 of the pipeline's jar; null (events written before jars) or empty: the
   * nodes' own. {@code savepoint}: the savepoint the job starts from, or null.
   */
  public record JobSubmitted(String jobId, String pipeline, Map<String, String> parameters, String fingerprint,
      long atMillis, @JsonInclude(JsonInclude.Include.NON_NULL) String jar,
      @JsonInclude(JsonInclude.Include.NON_NULL) String savepoint) implements Event {}

  /**
   * A job finished, was cancelled or failed; failure fields set for FAILED. {@code finalView} is
   * what the instances last reported (null if none had), so that an ended job keeps its numbers
   * after the coordinator moves.
   */
  public record JobEnded(String jobId, Status status, long atMillis, String failedInstance, String failedStage,
      String failedRecord, String failedError, JobView finalView) implements Event {}

  /** One job as persisted. */
  public record Job(String jobId, String pipeline, Map<String, String> parameters, String fingerprint,
      Status status, long submittedMillis, long endedMillis, String failedInstance, String failedStage,
      String failedRecord, String failedError, JobView finalView,
      @JsonInclude(JsonInclude.Include.NON_NULL) String jar,
      @JsonInclude(JsonInclude.Include.NON_NULL) String savepoint) implements CborMessage {
    JobSpec spec() {
      return new JobSpec(jobId, pipeline, Parameters.of(parameters), fingerprint, jarId(), savepoint);
    }

    /** The jar's SHA-256, empty for the nodes' own pipelines. */
    public String jarId() {
      return jar == null ? "" : jar;
    }
  }

  /** All jobs, in submission order. */
  public record State(Map<String, Job> jobs) implements CborMessage {
    public State {
      jobs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(jobs));
    }

    State with(Job j) {
      Map<String, Job> m = new LinkedHashMap<>(jobs);
      m.put(j.jobId(), j);
      return new State(m);
    }
  }

  // ---- behavior ------------------------------------------------------------------------------------

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Peers peers;
  private final Duration keepAlive;
  private final long stallAfterMillis;
  private final LongSupplier clock;
  private final long startedMillis;
  private final Map<String, JobStats> stats = new LinkedHashMap<>();
  /** How many ended jobs' last instance reports {@link #endedStats} keeps. */
  static final int ENDED_INSTANCES_KEPT = 16;
  /**
   * The last instance reports of the jobs that ended most recently (not persisted): where each
   * instance ran and when it last consumed input, for {@code GET /jobs/{id}/instances} after the
   * end (a chaos run measures a recovery that the job's end overtook from them).
   */
  private final Map<String, JobStats> endedStats = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, JobStats> eldest) {
      return size() > ENDED_INSTANCES_KEPT;
    }
  };
  /** The running jobs' runtimes: the catalog holds jobs only while something uses them. */
  private final Map<String, JobRuntime> runtimes = new java.util.HashMap<>();
  /** Each node's journal as it last reported (not persisted: nodes report every few seconds). */
  private final Map<String, JobHealth.NodeJournal> nodes = new LinkedHashMap<>();
  /** Where the ended jobs and the instances' incarnations are published for {@link OperatorAllocationStrategy}. */
  private final RunningJobs runningJobs;
  /** Savepoints being taken, by job (not persisted: a moved coordinator answers none, and the job resumes). */
  private final Map<String, SavepointRun> savepointRuns = new LinkedHashMap<>();
  private final SavepointSettings savepointSettings;
  /** The running jobs last seen DEGRADED, with the cause logged then. */
  private final Map<String, JobHealth.Degraded> degraded = new LinkedHashMap<>();

  private JobCoordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, Peers peers, Duration keepAlive,
      Duration stallAfter, LongSupplier clock, RunningJobs jobs) {
    super(PersistenceId.ofUniqueId(NAME),
        org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500),
            Duration.ofSeconds(10), 0.2));
    this.ctx = ctx;
    this.timers = timers;
    this.peers = peers;
    this.keepAlive = keepAlive;
    this.stallAfterMillis = stallAfter.toMillis();
    this.clock = clock;
    this.startedMillis = clock.getAsLong();
    this.runningJobs = jobs;
    this.savepointSettings = SavepointSettings.of(ctx.getSystem().settings().config());
  }

  /**
   * The coordinator: sends Start to every instance of every running job every {@code keepAlive};
   * shows a running job DEGRADED after {@code stallAfter} without progress (see {@link JobHealth}).
   */
  public static Behavior<Command> create(Peers peers, Duration keepAlive, Duration stallAfter) {
    return create(peers, keepAlive, stallAfter, System::currentTimeMillis, new RunningJobs());
  }

  /** As {@link #create(Peers, Duration, Duration)}, publishing what it knows of the jobs to {@code jobs}. */
  public static Behavior<Command> create(Peers peers, Duration keepAlive, Duration stallAfter, RunningJobs jobs) {
    return create(peers, keepAlive, stallAfter, System::currentTimeMillis, jobs);
  }

  /** As {@link #create(Peers, Duration, Duration)}, with a wall clock in millis (tests). */
  static Behavior<Command> create(Peers peers, Duration keepAlive, Duration stallAfter, LongSupplier clock) {
    return create(peers, keepAlive, stallAfter, clock, new RunningJobs());
  }

  static Behavior<Command> create(Peers peers, Duration keepAlive, Duration stallAfter, LongSupplier clock,
      RunningJobs jobs) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobCoordinator(ctx, timers, peers, keepAlive,
        stallAfter, clock, jobs)));
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), s -> {
      long running = s.jobs().values().stream().filter(j -> j.status() == Status.RUNNING).count();
      ctx.getLog().info("job coordinator started with {} job(s), {} running", s.jobs().size(), running);
      timers.startTimerWithFixedDelay("keep-alive", new KeepAlive(), keepAlive);
      keepAlive(s);
    }).build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(JobSubmitted.class, (s, e) -> s.with(new Job(e.jobId(), e.pipeline(), e.parameters(), e.fingerprint(),
            Status.RUNNING, e.atMillis(), 0, null, null, null, null, null, e.jar(), e.savepoint())))
        .onEvent(JobEnded.class, (s, e) -> {
          Job j = s.jobs().get(e.jobId());
          return j == null ? s : s.with(new Job(j.jobId(), j.pipeline(), j.parameters(), j.fingerprint(), e.status(),
              j.submittedMillis(), e.atMillis(), e.failedInstance(), e.failedStage(), e.failedRecord(),
              e.failedError(), e.finalView(), j.jar(), j.savepoint()));
        })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(JarReady.class, (s, c) -> {
          if (c.error() != null) {
            c.submit().replyTo().tell(new SubmitResult(null, c.error()));
            return Effect().none();
          }
          return onSubmitReady(s, c.submit());
        })
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(SavepointLoaded.class, (s, c) -> {
          if (c.error() != null) {
            c.submit().replyTo().tell(new SubmitResult(null, c.error()));
            return Effect().none();
          }
          return submitNow(s, c.submit(), c.info());
        })
        .onCommand(TakeSavepoint.class, this::onTakeSavepoint)
        .onCommand(SavepointPartTaken.class, this::onSavepointPart)
        .onCommand(SavepointStored.class, this::onSavepointStored)
        .onCommand(DeleteSavepoint.class, this::onDeleteSavepoint)
        .onCommand(SavepointDeleted.class, (s, c) -> {
          c.replyTo().tell(new SavepointResult(c.error() == null ? c.savepointId() : null, c.error()));
          return Effect().none();
        })
        .onCommand(GetJob.class, (s, c) -> {
          Job j = s.jobs().get(c.jobId());
          c.replyTo().tell(new JobReply(j == null ? null : view(j)));
          return Effect().none();
        })
        .onCommand(GetInstances.class, (s, c) -> {
          JobStats st = stats.getOrDefault(c.jobId(), endedStats.get(c.jobId()));
          List<InstanceView> out = new ArrayList<>();
          if (st != null) {
            for (InstanceReport r : st.latest.values()) {
              String key = r.instance().entityId();
              out.add(new InstanceView(key, r.node(), r.incarnation(), st.recoveries(key), r.recordsIn(),
                  r.recordsOut(), r.backlog(), r.unacked(), r.finished(), r.firstInputMillis(), r.lastInputMillis(),
                  r.trouble(), r.trouble() == null ? 0 : st.troubleSince.getOrDefault(key, r.troubleSinceMillis())));
            }
          }
          out.sort(java.util.Comparator.comparing(InstanceView::instance));
          c.replyTo().tell(new InstanceList(out));
          return Effect().none();
        })
        .onCommand(GetPlan.class, (s, c) -> {
          c.replyTo().tell(plan(s.jobs().get(c.jobId()), c.jobId()));
          return Effect().none();
        })
        .onCommand(ListJobs.class, (s, c) -> {
          c.replyTo().tell(new JobList(s.jobs().values().stream().map(this::view).toList()));
          return Effect().none();
        })
        .onCommand(LookupSpec.class, (s, c) -> {
          Job j = s.jobs().get(c.jobId());
          c.replyTo().tell(j == null || j.status() != Status.RUNNING
              ? new SpecReply(false, c.jobId(), null, null, null, null, null)
              : new SpecReply(true, j.jobId(), j.pipeline(), j.parameters(), j.fingerprint(), j.jarId(), j.savepoint()));
          return Effect().none();
        })
        .onCommand(Reported.class, this::onReported)
        .onCommand(KeepAlive.class, (s, c) -> {
          keepAlive(s);
          return Effect().none();
        })
        .onCommand(NodeJournal.class, (s, c) -> {
          JobHealth.NodeJournal before = nodes.put(c.node(), new JobHealth.NodeJournal(c.node(), c.error(),
              c.sinceMillis(), clock.getAsLong(), c.validForMillis()));
          if (before == null || !java.util.Objects.equals(before.error(), c.error())) {
            logHealth(s); // at once, not at the next keep-alive
          }
          return Effect().none();
        })
        .build();
  }

  private Effect<Event, State> onSubmit(State s, Submit c) {
    PipelineResolver resolver = JobCatalog.get(ctx.getSystem()).resolver();
    if (!resolver.isReady(c.jar())) {
      // fetch the jar without blocking the coordinator, then build the pipeline
      ctx.pipeToSelf(resolver.prepare(c.jar()), (ok, err) -> new JarReady(c, err == null ? null
          : "cannot load jar " + c.jar() + ": " + cause(err)));
      return Effect().none();
    }
    return onSubmitReady(s, c);
  }

  /** The jar is here: reads the savepoint the job starts from, if any, then submits. */
  private Effect<Event, State> onSubmitReady(State s, Submit c) {
    if (c.fromSavepoint().isEmpty()) {
      return submitNow(s, c, null);
    }
    String id = c.fromSavepoint();
    ctx.pipeToSelf(Savepoints.get(ctx.getSystem()).catalog().info(id), (info, err) -> err != null
        ? new SavepointLoaded(c, null, "cannot read savepoint " + id + ": " + cause(err))
        : info.isEmpty() ? new SavepointLoaded(c, null, "no savepoint " + id)
        : new SavepointLoaded(c, info.get(), null));
    return Effect().none();
  }

  private static String cause(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private Effect<Event, State> submitNow(State s, Submit c, SavepointInfo from) {
    Parameters params;
    Pipeline pipeline;
    try {
      params = Parameters.of(c.parameters() == null ? Map.of() : c.parameters());
      pipeline = JobCatalog.get(ctx.getSystem()).resolver().resolve(c.pipeline(), params, c.jar()).pipeline();
    } catch (PipelineValidationException e) {
      c.replyTo().tell(new SubmitResult(null, e.getMessage()));
      return Effect().none();
    } catch (RuntimeException e) {
      c.replyTo().tell(new SubmitResult(null, "cannot build pipeline '" + c.pipeline() + "': " + e.getMessage()));
      return Effect().none();
    }
    PhysicalPlan plan = PipelineImpl.physical(pipeline);
    if (plan.config().delivery() == DeliveryGuarantee.EXACTLY_ONCE) {
      for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
        if (op.head() >= 0 && plan.logical().get(op.head()).spec() instanceof OpSpec.SourceSpec src
            && !src.source().isReplayable()) {
          c.replyTo().tell(new SubmitResult(null, "source '" + op.name() + "' cannot replay, which exactly-once needs:"
              + " use JobConfig.withDelivery(AT_LEAST_ONCE) or a replayable source"));
          return Effect().none();
        }
      }
    }
    if (from != null) {
      String refused = SavepointCheck.refusal(from, plan, c.allowNonRestoredState());
      if (refused != null) {
        c.replyTo().tell(new SubmitResult(null, refused));
        return Effect().none();
      }
    }
    String jobId = c.pipeline() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong(0x100000L, 0xffffffL));
    while (s.jobs().containsKey(jobId)) {
      jobId = c.pipeline() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong(0x100000L, 0xffffffL));
    }
    JobSubmitted e = new JobSubmitted(jobId, c.pipeline(), params.asMap(), JobRuntime.fingerprint(pipeline),
        clock.getAsLong(), c.jar().isEmpty() ? null : c.jar(), from == null ? null : from.id());
    String id = jobId;
    return Effect().persist(e).thenRun(st -> {
      ctx.getLog().info("job {} submitted: pipeline '{}'{}{} {}\n{}", id, c.pipeline(),
          c.jar().isEmpty() ? "" : " of jar " + c.jar(), from == null ? "" : " from savepoint " + from.id(), params,
          pipeline.describe());
      c.replyTo().tell(new SubmitResult(id, null));
      Job j = st.jobs().get(id);
      startInstances(j);
    });
  }

  private Effect<Event, State> onCancel(State s, Cancel c) {
    Job j = s.jobs().get(c.jobId());
    if (j == null) {
      c.replyTo().tell(new CancelResult(false, null));
      return Effect().none();
    }
    if (j.status() != Status.RUNNING) {
      c.replyTo().tell(new CancelResult(true, j.status()));
      return Effect().none();
    }
    return Effect().persist(new JobEnded(j.jobId(), Status.CANCELLED, clock.getAsLong(), null, null, null,
        null, finalView(j))).thenRun(st -> {
          ctx.getLog().info("job {} cancelled", j.jobId());
          stopInstances(j, "cancelled");
          c.replyTo().tell(new CancelResult(true, Status.CANCELLED));
        });
  }

  private Effect<Event, State> onReported(State s, Reported c) {
    InstanceReport r = ProtocolFormats.readReport(new io.sluice.core.codec.ByteReader(c.report()), true);
    Job j = s.jobs().get(r.instance().jobId());
    if (j == null) {
      return Effect().none();
    }
    if (j.status() != Status.RUNNING) {
      // an instance of an ended job is still running (it missed the stop): stop it again
      peers.send(r.instance(), new OperatorCommand.Stop(j.jobId(), "the job is " + j.status()));
      return Effect().none();
    }
    JobStats st = stats.computeIfAbsent(j.jobId(), k -> new JobStats(baseline(j)));
    st.update(r, clock.getAsLong());
    if (r.failedStage() != null) {
      return Effect().persist(new JobEnded(j.jobId(), Status.FAILED, clock.getAsLong(),
          r.instance().entityId(), r.failedStage(), r.failedRecord(), r.failedError(), finalView(j))).thenRun(x -> {
            ctx.getLog().error("job {} FAILED in {}: stage '{}'{}: {}", j.jobId(), r.instance(), r.failedStage(),
                r.failedRecord() == null ? "" : " on record " + r.failedRecord(), r.failedError());
            stopInstances(j, "the job failed");
          });
    }
    JobRuntime rt = runtime(j);
    if (rt != null && st.allFinished(rt.sinkInstances())) {
      return Effect().persist(new JobEnded(j.jobId(), Status.FINISHED, clock.getAsLong(), null, null, null,
          null, finalView(j))).thenRun(x -> {
            ctx.getLog().info("job {} FINISHED: every sink saw the end of its input", j.jobId());
            stopInstances(j, "the job finished");
          });
    }
    return Effect().none();
  }

  private JobRuntime runtime(Job j) {
    JobRuntime held = runtimes.get(j.jobId());
    if (held != null) {
      return held;
    }
    JobCatalog catalog = JobCatalog.get(ctx.getSystem());
    if (j.status() != Status.RUNNING) {
      return catalog.get(j.jobId()).orElse(null); // an ended job is not built again
    }
    JobSpec spec = j.spec();
    if (!catalog.isReady(spec)) {
      // its jar is being fetched (the coordinator moved to a node that had not run the job yet)
      catalog.prepare(spec);
      return null;
    }
    try {
      JobRuntime rt = catalog.register(spec);
      runtimes.put(j.jobId(), rt);
      return rt;
    } catch (RuntimeException e) {
      ctx.getLog().error("job {}: cannot build its plan on the coordinator's node: {}", j.jobId(), e.getMessage());
      return null;
    }
  }

  private void startInstances(Job j) {
    JobRuntime rt = runtime(j);
    if (rt == null) {
      return;
    }
    SavepointRun run = savepointRuns.get(j.jobId());
    OperatorCommand.Start start = new OperatorCommand.Start(j.spec(), run == null ? 0
        : clock.getAsLong() + savepointSettings.pauseLease().toMillis());
    for (InstanceId i : rt.instances()) {
      peers.send(i, start);
    }
  }

  private void stopInstances(Job j, String reason) {
    SavepointRun run = savepointRuns.get(j.jobId());
    if (run != null) {
      failRun(j, run, "the job " + reason, false);
    }
    JobRuntime rt = runtime(j);
    if (rt == null) {
      return;
    }
    for (InstanceId i : rt.instances()) {
      peers.send(i, new OperatorCommand.Stop(j.jobId(), reason));
    }
    runtimes.remove(j.jobId()); // the node's catalog forgets the job once its instances here stopped
  }

  // ---- savepoints ----------------------------------------------------------------------------------

  /** How savepoints are taken: {@code sluice.savepoints} (see reference.conf). */
  record SavepointSettings(Duration timeout, Duration attemptTimeout, Duration pauseLease) {
    static SavepointSettings of(com.typesafe.config.Config c) {
      return new SavepointSettings(c.getDuration("sluice.savepoints.timeout"),
          c.getDuration("sluice.savepoints.attempt-timeout"), c.getDuration("sluice.savepoints.pause-lease"));
    }
  }

  /**
   * A savepoint being taken of one job. It goes in attempts: each asks every instance for its part
   * under a fresh id, and succeeds when every instance answered with its part stored and the parts
   * form a consistent cut (both ends of every channel agree on the last batch). An instance not
   * drained yet, a part that could not be stored, or a cut that moved makes the next keep-alive
   * start another attempt, until {@code sluice.savepoints.timeout}.
   */
  private static final class SavepointRun {
    final boolean stop;
    final long startedMillis;
    final List<ActorRef<SavepointResult>> waiting = new ArrayList<>();
    final Map<String, SavepointPartTaken> parts = new LinkedHashMap<>();
    int attempts;
    String attemptId;
    long attemptStartedMillis;
    boolean attemptFailed;
    boolean storing;
    String lastProblem = "its instances have not answered yet";

    SavepointRun(boolean stop, long startedMillis) {
      this.stop = stop;
      this.startedMillis = startedMillis;
    }
  }

  private Effect<Event, State> onTakeSavepoint(State s, TakeSavepoint c) {
    Job j = s.jobs().get(c.jobId());
    if (j == null || j.status() != Status.RUNNING) {
      c.replyTo().tell(new SavepointResult(null, j == null ? "no job " + c.jobId()
          : "job " + c.jobId() + " is " + j.status() + ": only a running job has a savepoint to take"));
      return Effect().none();
    }
    SavepointRun run = savepointRuns.get(j.jobId());
    if (run != null) {
      if (run.stop != c.stop()) {
        c.replyTo().tell(new SavepointResult(null, "a savepoint of job " + j.jobId() + (run.stop ? " that stops it"
            : " that keeps it running") + " is being taken already; try again when it is done"));
      } else {
        run.waiting.add(c.replyTo());
      }
      return Effect().none();
    }
    if (runtime(j) == null) {
      c.replyTo().tell(new SavepointResult(null, "job " + j.jobId() + " is not ready on the job coordinator's node yet;"
          + " try again"));
      return Effect().none();
    }
    run = new SavepointRun(c.stop(), clock.getAsLong());
    run.waiting.add(c.replyTo());
    savepointRuns.put(j.jobId(), run);
    ctx.getLog().info("job {}: taking a savepoint{}: its sources and timers pause until it is drained", j.jobId(),
        c.stop() ? " to stop it" : "");
    startInstances(j); // the pause, at once; the first attempt at the next keep-alive
    return Effect().none();
  }

  /** At every keep-alive while a savepoint of running job {@code j} is taken: starts an attempt if due. */
  private void driveSavepoint(Job j, SavepointRun run) {
    long now = clock.getAsLong();
    if (run.storing) {
      return;
    }
    if (now - run.startedMillis > savepointSettings.timeout().toMillis()) {
      failRun(j, run, "no consistent savepoint within " + savepointSettings.timeout().toSeconds()
          + " s (sluice.savepoints.timeout) after " + run.attempts + " attempt(s): " + run.lastProblem, true);
      return;
    }
    boolean due = run.attemptId == null || run.attemptFailed
        || now - run.attemptStartedMillis > savepointSettings.attemptTimeout().toMillis();
    JobRuntime rt = runtime(j);
    if (!due || rt == null) {
      return;
    }
    if (run.attemptId != null && !run.attemptFailed) {
      run.lastProblem = "instance(s) " + missing(rt, run) + " did not answer within "
          + savepointSettings.attemptTimeout().toSeconds() + " s";
    }
    discardAttempt(run);
    run.attempts++;
    run.attemptId = "sp-" + Long.toHexString(ThreadLocalRandom.current().nextLong(0x10000000L, 0xffffffffL));
    run.attemptStartedMillis = now;
    run.attemptFailed = false;
    for (InstanceId i : rt.instances()) {
      peers.send(i, new OperatorCommand.TakeSavepoint(j.jobId(), run.attemptId));
    }
  }

  private static List<String> missing(JobRuntime rt, SavepointRun run) {
    List<String> out = new ArrayList<>();
    for (InstanceId i : rt.instances()) {
      if (!run.parts.containsKey(i.operator() + "/" + i.index())) {
        out.add(i.operator() + "[" + i.index() + "]");
      }
    }
    return out;
  }

  /** Removes the parts an abandoned attempt stored. */
  private void discardAttempt(SavepointRun run) {
    for (SavepointPartTaken p : run.parts.values()) {
      discardPart(p);
    }
    run.parts.clear();
  }

  private void discardPart(SavepointPartTaken p) {
    if (p.header() == null || p.header().length == 0) {
      return;
    }
    try {
      Savepoints.get(ctx.getSystem()).deleteParts(p.savepointId(), p.operator(),
          io.sluice.core.internal.exec.SavepointFormat.readHeader(p.header(), "savepoint " + p.savepointId()));
    } catch (RuntimeException e) {
      ctx.getLog().debug("cannot remove a part of abandoned savepoint attempt {}: {}", p.savepointId(), e.toString());
    }
  }

  private void failRun(Job j, SavepointRun run, String why, boolean resume) {
    savepointRuns.remove(j.jobId());
    discardAttempt(run);
    ctx.getLog().warn("job {}: savepoint failed: {}{}", j.jobId(), why, resume ? "; the job resumes" : "");
    for (ActorRef<SavepointResult> r : run.waiting) {
      r.tell(new SavepointResult(null, "savepoint of job " + j.jobId() + " failed: " + why));
    }
    if (resume) {
      startInstances(j);
    }
  }

  private Effect<Event, State> onSavepointPart(State s, SavepointPartTaken c) {
    Job j = s.jobs().get(c.jobId());
    SavepointRun run = savepointRuns.get(c.jobId());
    if (j == null || run == null || run.storing || !c.savepointId().equals(run.attemptId)) {
      discardPart(c); // a late answer to an abandoned attempt
      return Effect().none();
    }
    SavepointPartTaken before = run.parts.put(c.operator() + "/" + c.index(), c);
    if (before != null) {
      discardPart(before);
    }
    if (c.error() != null) {
      run.attemptFailed = true;
      run.lastProblem = c.operator() + "[" + c.index() + "]: " + c.error();
      return Effect().none();
    }
    JobRuntime rt = runtime(j);
    if (rt == null || run.attemptFailed || run.parts.size() < rt.instances().size()) {
      return Effect().none();
    }
    Map<String, Long> marks = new java.util.HashMap<>();
    for (SavepointPartTaken p : run.parts.values()) {
      for (Map.Entry<String, Long> m : p.marks().entrySet()) {
        Long other = marks.putIfAbsent(m.getKey(), m.getValue());
        if (other != null && !other.equals(m.getValue())) {
          run.attemptFailed = true;
          run.lastProblem = "channel " + m.getKey() + " moved while the parts were taken (" + other + " vs "
              + m.getValue() + ")";
          return Effect().none();
        }
      }
    }
    Map<String, io.sluice.core.internal.exec.SavepointFormat.Header> headers = new java.util.TreeMap<>();
    try {
      for (SavepointPartTaken p : run.parts.values()) {
        if (p.header() != null && p.header().length > 0) {
          io.sluice.core.internal.exec.SavepointFormat.Header h = io.sluice.core.internal.exec.SavepointFormat
              .readHeader(p.header(), "savepoint " + p.savepointId() + ", operator '" + p.operator() + "'");
          headers.merge(p.operator(), h, (a, b) -> a.merge(b, p.operator()));
        }
      }
    } catch (RuntimeException e) {
      failRun(j, run, e.getMessage(), true);
      return Effect().none();
    }
    Map<String, byte[]> stored = new java.util.TreeMap<>();
    long bytes = 0;
    for (Map.Entry<String, io.sluice.core.internal.exec.SavepointFormat.Header> h : headers.entrySet()) {
      stored.put(h.getKey(), io.sluice.core.internal.exec.SavepointFormat.write(h.getValue()));
      bytes += h.getValue().bytes();
    }
    SavepointInfo info = new SavepointInfo(run.attemptId, j.jobId(), j.pipeline(), j.jarId().isEmpty() ? null
        : j.jarId(), j.parameters(), clock.getAsLong(), bytes, stored);
    run.storing = true;
    ctx.pipeToSelf(Savepoints.get(ctx.getSystem()).catalog().put(info), (v, err) -> new SavepointStored(j.jobId(),
        info.id(), err == null ? null : cause(err)));
    return Effect().none();
  }

  private Effect<Event, State> onSavepointStored(State s, SavepointStored c) {
    Job j = s.jobs().get(c.jobId());
    SavepointRun run = savepointRuns.get(c.jobId());
    if (j == null || run == null || !c.savepointId().equals(run.attemptId)) {
      return Effect().none();
    }
    run.storing = false;
    if (c.error() != null) {
      run.attemptFailed = true;
      run.lastProblem = "cannot store the savepoint's description: " + c.error();
      return Effect().none();
    }
    savepointRuns.remove(j.jobId());
    run.parts.clear(); // they are the savepoint's now
    ctx.getLog().info("job {}: savepoint {} taken in {} ms ({} attempt(s))", j.jobId(), c.savepointId(),
        clock.getAsLong() - run.startedMillis, run.attempts);
    if (!run.stop || j.status() != Status.RUNNING) {
      startInstances(j); // resume at once
      run.waiting.forEach(r -> r.tell(new SavepointResult(c.savepointId(), null)));
      return Effect().none();
    }
    return Effect().persist(new JobEnded(j.jobId(), Status.STOPPED, clock.getAsLong(), null, null, null, null,
        finalView(j))).thenRun(st -> {
          ctx.getLog().info("job {} STOPPED with savepoint {}", j.jobId(), c.savepointId());
          stopInstances(j, "stopped with savepoint " + c.savepointId());
          run.waiting.forEach(r -> r.tell(new SavepointResult(c.savepointId(), null)));
        });
  }

  private Effect<Event, State> onDeleteSavepoint(State s, DeleteSavepoint c) {
    List<String> using = s.jobs().values().stream().filter(j -> j.status() == Status.RUNNING
        && c.savepointId().equals(j.savepoint())).map(Job::jobId).toList();
    if (!using.isEmpty()) {
      c.replyTo().tell(new SavepointResult(null, "savepoint " + c.savepointId() + " is what running job(s) " + using
          + " started from: cancel or stop them first"));
      return Effect().none();
    }
    Savepoints sp = Savepoints.get(ctx.getSystem());
    ctx.pipeToSelf(sp.catalog().info(c.savepointId()).thenCompose(info -> {
      if (info.isEmpty()) {
        throw new IllegalArgumentException("no savepoint " + c.savepointId());
      }
      return sp.delete(info.get());
    }), (v, err) -> new SavepointDeleted(c.savepointId(), err == null ? null : cause(err), c.replyTo()));
    return Effect().none();
  }

  private void keepAlive(State s) {
    java.util.Set<String> ended = new java.util.HashSet<>();
    Map<String, Long> incarnations = new java.util.HashMap<>();
    for (Job j : s.jobs().values()) {
      if (j.status() == Status.RUNNING) {
        startInstances(j);
        SavepointRun run = savepointRuns.get(j.jobId());
        if (run != null) {
          driveSavepoint(j, run);
        }
        JobStats st = stats.get(j.jobId());
        if (st != null) {
          st.latest.forEach((instance, r) -> incarnations.put(instance, r.incarnation()));
        }
      } else {
        ended.add(j.jobId());
      }
    }
    runningJobs.publish(ended, incarnations);
    logHealth(s);
  }

  /** Progress of a job is counted from its submission, or from this coordinator's start. */
  private long baseline(Job j) {
    return Math.max(j.submittedMillis(), startedMillis);
  }

  /** Whether running job {@code j} is degraded now, and why; null if it runs well. */
  private JobHealth.Degraded health(Job j, JobRuntime rt) {
    if (j.status() != Status.RUNNING || rt == null) {
      return null;
    }
    long now = clock.getAsLong();
    nodes.values().removeIf(n -> now - n.receivedMillis() > n.validForMillis());
    return JobHealth.evaluate(JobHealth.Shape.of(rt), stats.get(j.jobId()), nodes.values(), baseline(j), now,
        stallAfterMillis);
  }

  /** Logs each running job that became DEGRADED (with the cause) or runs well again. */
  private void logHealth(State s) {
    for (Job j : s.jobs().values()) {
      if (j.status() != Status.RUNNING) {
        degraded.remove(j.jobId());
        continue;
      }
      JobHealth.Degraded d = health(j, runtime(j));
      JobHealth.Degraded before = d == null ? degraded.remove(j.jobId()) : degraded.put(j.jobId(), d);
      if (d != null && before == null) {
        ctx.getLog().warn("job {} is DEGRADED: {}", j.jobId(), d.cause());
      } else if (d == null && before != null) {
        ctx.getLog().info("job {} is RUNNING again after {} s DEGRADED", j.jobId(),
            (clock.getAsLong() - before.sinceMillis()) / 1000);
      }
    }
  }

  private PlanReply plan(Job j, String jobId) {
    if (j == null) {
      return new PlanReply(false, null, "no job " + jobId);
    }
    JobRuntime rt = runtime(j);
    if (rt != null) {
      return new PlanReply(true, PlanView.of(j.jobId(), j.pipeline(), rt.plan()), null);
    }
    return new PlanReply(true, null, j.status() == Status.RUNNING
        ? "the plan of job " + jobId + " is not built yet on the coordinator's node (its jar is being fetched);"
            + " try again"
        : "job " + jobId + " is " + j.status() + ": the plan of an ended job is not kept");
  }

  private JobView view(Job j) {
    JobStats st = stats.get(j.jobId());
    if (st == null && j.finalView() != null) {
      return j.finalView().withLifecycle(j); // ended before this coordinator started: its last numbers
    }
    JobRuntime rt = runtime(j);
    return JobView.of(j, rt, st).degraded(health(j, rt));
  }

  /** The view to persist with a job's end (the numbers only: lifecycle fields come from the job). */
  private JobView finalView(Job j) {
    JobStats st = stats.remove(j.jobId());
    if (st != null) {
      endedStats.put(j.jobId(), st);
    }
    return st == null ? null : JobView.of(j, runtime(j), st).withoutPlacement();
  }
}
