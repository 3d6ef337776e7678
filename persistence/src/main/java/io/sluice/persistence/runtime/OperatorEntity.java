package io.sluice.persistence.runtime;

import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.internal.codec.BatchCodec;
import io.sluice.core.internal.exec.InputBatch;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.OutputBatch;
import io.sluice.core.internal.exec.RecordBatch;
import io.sluice.core.internal.exec.RestartTracker;
import io.sluice.core.internal.exec.StepResult;
import io.sluice.core.internal.exec.UserCodeException;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;

/**
 * INTERNAL API: one operator instance as an event-sourced behavior: the channel protocol of
 * DESIGN.md around the core's operator logic.
 *
 * <ul>
 *   <li><b>Inputs.</b> A {@code Deliver} with a sequence number at or below the channel's mark is
 *       a duplicate: dropped and acknowledged again. Others wait in a per-channel buffer until they
 *       are next in sequence (a gap waits for the resend).
 *   <li><b>Steps.</b> When inputs are ready and every output channel has credit (fewer than
 *       {@code creditWindow} unacknowledged batches), one step consumes up to
 *       {@code max-batches-per-step} batches and persists one {@link OperatorEvent.Stepped}: what
 *       it consumed, the logic's state changes and the batches it produced (with their channel
 *       sequence numbers). Only after the write succeeds are outputs sent and inputs acknowledged.
 *   <li><b>Outbox.</b> Produced batches stay in the state until acknowledged; a recovered instance
 *       resends them, and asks its upstreams to resend what it has not consumed.
 *   <li><b>Sources</b> persist the position range of each batch, not its records, and regenerate
 *       unacknowledged batches from it after a recovery.
 *   <li><b>Failures.</b> A user function that throws is handled by the job's restart strategy: the
 *       failure is persisted, the instance stops and restarts from its persisted state, and either
 *       retries after the strategy's delay, retries sending failing records to the dead-letter sink,
 *       or fails the job. A failed write to the journal stops the incarnation; the next message
 *       (the coordinator's keep-alive, every second) starts a fresh one from the journal, so
 *       retries are spaced while Cassandra is down and nothing is skipped.
 * </ul>
 *
 * The live logic is mutated by the command handler (a step) before the event is persisted; the
 * event handler re-applies changes only during recovery. A write that fails stops the incarnation
 * (Pekko's contract), so a mutation that was not persisted never survives.
 */
public final class OperatorEntity extends EventSourcedBehavior<OperatorCommand, OperatorEvent, InstanceState> {
  private final ActorContext<OperatorCommand> ctx;
  private final TimerScheduler<OperatorCommand> timers;
  private final Logger log;
  private final InstanceId id;
  private final JobRuntime job;
  private final Peers peers;
  private final RuntimeSettings settings;
  private final PhysicalPlan.PhysicalOperator op;
  private final OperatorInstance logic;
  private final boolean isSource;
  private final boolean isSink;
  private final JobConfig config;
  private final BatchCodec codec;
  private final int[][] inChannelOf;
  private final int[][] outChannelOf;
  private final InstanceId[] inSources;
  private final InstanceId[] outTargets;
  private final TreeMap<Long, OperatorCommand.Deliver>[] pending;
  private final boolean[] ackDirty;
  /** Per output channel: when its receiver last answered anything (an acknowledgement). */
  private final long[] lastHeardNanos;
  /** Per output channel: when this incarnation last reported the route to its receiver as suspect. */
  private final long[] lastSuspectNanos;
  private final long incarnation = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
  private final long startedNanos = System.nanoTime();
  private final LatencyHistogram latency = new LatencyHistogram();
  private final Map<byte[], List<OutputBatch>> regenerated = new IdentityHashMap<>();
  /** A source step's batches by (channel, sequence number), until they are attached to their outbox entries. */
  private final Map<ChannelSeq, RecordBatch> liveSourceBatches = new java.util.HashMap<>();

  private record ChannelSeq(int channel, long seq) {}
  private boolean recovering = true;
  /** Sinks in at-least-once mode: batches consumed since their marks were last persisted. */
  private int unpersistedBatches;
  private final boolean lightSink;
  private boolean processScheduled;
  private boolean pollScheduled;
  private long pausedUntil;
  private long idlePollMillis = 1;
  private long lastReportNanos;
  private long lastInputMillis;
  private long firstInputMillis;
  private boolean finishedReported;
  private int roundRobin;
  /** Why this incarnation cannot run (its persisted state cannot be recovered), or null. */
  private String unrecoverable;

  @SuppressWarnings("unchecked")
  private OperatorEntity(ActorContext<OperatorCommand> ctx, TimerScheduler<OperatorCommand> timers, InstanceId id,
      JobRuntime job, OperatorInstance logic, Peers peers, RuntimeSettings settings) {
    // A failed write (or recovery) stops the incarnation, never restarts it in place: the live logic
    // already holds the step that was not persisted. Sharding starts a fresh incarnation on the next
    // message: the job coordinator's keep-alive, every second, spaces the retries while Cassandra is
    // down.
    super(PersistenceId.of("sluice-op", id.entityId()));
    this.ctx = ctx;
    this.timers = timers;
    this.log = ctx.getLog();
    this.id = id;
    this.job = job;
    this.peers = peers;
    this.settings = settings;
    this.logic = logic;
    this.op = logic.operator();
    this.config = job.plan().config();
    this.isSource = logic.kind() == OperatorInstance.Kind.SOURCE;
    this.isSink = logic.kind() == OperatorInstance.Kind.SINK;
    this.lightSink = isSink && job.plan().config().delivery() == io.sluice.core.connector.DeliveryGuarantee.AT_LEAST_ONCE;
    this.codec = job.newBatchCodec();
    PhysicalPlan plan = job.plan();
    int ops = plan.operators().size();
    this.inChannelOf = new int[ops][];
    this.outChannelOf = new int[ops][];
    for (PhysicalPlan.PhysicalOperator o : plan.operators()) {
      inChannelOf[o.index()] = filled(o.parallelism());
      outChannelOf[o.index()] = filled(o.parallelism());
    }
    List<PhysicalPlan.ChannelRef> ins = plan.inputChannels(op, id.index());
    this.inSources = new InstanceId[ins.size()];
    this.pending = new TreeMap[ins.size()];
    for (int c = 0; c < ins.size(); c++) {
      PhysicalPlan.ChannelRef r = ins.get(c);
      inChannelOf[r.peerOperator()][r.peerInstance()] = c;
      inSources[c] = job.instance(r.peerOperator(), r.peerInstance());
      pending[c] = new TreeMap<>();
    }
    List<PhysicalPlan.ChannelRef> outs = plan.outputChannels(op, id.index());
    this.outTargets = new InstanceId[outs.size()];
    this.ackDirty = new boolean[outs.size()];
    this.lastHeardNanos = new long[outs.size()];
    this.lastSuspectNanos = new long[outs.size()];
    for (int c = 0; c < outs.size(); c++) {
      PhysicalPlan.ChannelRef r = outs.get(c);
      outChannelOf[r.peerOperator()][r.peerInstance()] = c;
      outTargets[c] = job.instance(r.peerOperator(), r.peerInstance());
    }
  }

  /** Thrown to make the instance fail as if its process died. */
  static final class CrashRequested extends RuntimeException {
    CrashRequested(InstanceId id) {
      super("crash of " + id + " requested");
    }
  }

  private static int[] filled(int n) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, -1);
    return a;
  }

  /**
   * The behavior of the entity {@code id}: finds its job (in the node's catalog, from a
   * {@code Start}, or by asking the job coordinator), opens the operator logic, then runs.
   */
  public static Behavior<OperatorCommand> create(InstanceId id, Peers peers, RuntimeSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withStash(4096, stash -> {
      JobCatalog catalog = JobCatalog.get(ctx.getSystem());
      Optional<JobRuntime> known = catalog.get(id.jobId());
      if (known.isPresent()) {
        return start(ctx, id, known.get(), peers, settings);
      }
      lookup(ctx, id, peers);
      return waitingForSpec(ctx, stash, id, peers, settings);
    }));
  }

  private static void lookup(ActorContext<OperatorCommand> ctx, InstanceId id, Peers peers) {
    ctx.pipeToSelf(peers.lookup(id.jobId()), (spec, err) -> new OperatorCommand.SpecFound(
        spec == null ? null : spec.orElse(null), err == null ? (spec != null && spec.isEmpty() ? "gone" : null)
            : err.toString()));
  }

  private static Behavior<OperatorCommand> waitingForSpec(ActorContext<OperatorCommand> ctx,
      StashBuffer<OperatorCommand> stash, InstanceId id, Peers peers, RuntimeSettings settings) {
    return Behaviors.receive(OperatorCommand.class)
        .onMessage(OperatorCommand.Start.class, s -> resolved(ctx, stash, id, s.spec(), peers, settings))
        .onMessage(OperatorCommand.SpecFound.class, f -> {
          if (f.spec() != null) {
            return resolved(ctx, stash, id, f.spec(), peers, settings);
          }
          if ("gone".equals(f.error())) {
            ctx.getLog().info("{}: job {} is not running; stopping", id, id.jobId());
            return Behaviors.stopped();
          }
          ctx.getLog().warn("{}: cannot look up job {} yet ({}); retrying", id, id.jobId(), f.error());
          ctx.scheduleOnce(Duration.ofSeconds(1), ctx.getSelf(), new OperatorCommand.SpecFound(null, "retry"));
          return Behaviors.same();
        })
        .onMessage(OperatorCommand.Stop.class, s -> Behaviors.stopped())
        .onMessage(OperatorCommand.Crash.class, s -> Behaviors.stopped())
        .onAnyMessage(m -> {
          if (m instanceof OperatorCommand.SpecFound) {
            lookup(ctx, id, peers); // the scheduled retry
          } else if (!stash.isFull()) {
            stash.stash(m);
          }
          return Behaviors.same();
        })
        .build();
  }

  private static Behavior<OperatorCommand> resolved(ActorContext<OperatorCommand> ctx,
      StashBuffer<OperatorCommand> stash, InstanceId id, JobSpec spec, Peers peers, RuntimeSettings settings) {
    JobRuntime job;
    try {
      job = JobCatalog.get(ctx.getSystem()).register(spec);
    } catch (RuntimeException e) {
      ctx.getLog().error("{}: cannot build the pipeline of job {}: {}", id, id.jobId(), e.getMessage());
      peers.report(failedReport(id, peers, "pipeline '" + spec.pipeline() + "'", null, e.getMessage()));
      return Behaviors.stopped();
    }
    return stash.unstashAll(start(ctx, id, job, peers, settings));
  }

  private static Behavior<OperatorCommand> start(ActorContext<OperatorCommand> ctx, InstanceId id, JobRuntime job,
      Peers peers, RuntimeSettings settings) {
    OperatorInstance logic;
    try {
      logic = OperatorInstance.create(job.exec(), job.operatorIndex(id.operator()), id.index());
      logic.open();
    } catch (UserCodeException e) {
      ctx.getLog().error("{}: cannot open: {}", id, e.getMessage());
      peers.report(failedReport(id, peers, e.stage(), e.record(), String.valueOf(e.getCause())));
      return Behaviors.stopped();
    } catch (Exception e) {
      ctx.getLog().error("{}: cannot open: {}", id, e.toString());
      peers.report(failedReport(id, peers, id.operator(), null, e.toString()));
      return Behaviors.stopped();
    }
    return Behaviors.withTimers(timers -> new OperatorEntity(ctx, timers, id, job, logic, peers, settings));
  }

  private static InstanceReport failedReport(InstanceId id, Peers peers, String stage, String record, String error) {
    return new InstanceReport(id, peers.nodeName(), 0, 0, 0, 0, 0, false, stage, record, error, 0,
        new long[LatencyHistogram.BUCKETS], 0, 0);
  }

  // ---- persistence settings -----------------------------------------------------------------

  @Override
  public InstanceState emptyState() {
    return new InstanceState(logic);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    RetentionCriteria r = RetentionCriteria.snapshotEvery(config.snapshotEvery(), config.keepSnapshots());
    return config.deleteEventsOnSnapshot() ? ((org.apache.pekko.persistence.typed.javadsl.SnapshotCountRetentionCriteria) r)
        .withDeleteEventsOnSnapshot() : r;
  }

  @Override
  public SnapshotAdapter<InstanceState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(InstanceState state) {
        return new InstanceSnapshot(state.snapshot(p -> p.bytes(codec)));
      }

      @Override
      public InstanceState fromJournal(Object from) {
        InstanceState s = new InstanceState(logic);
        s.restore(((InstanceSnapshot) from).bytes());
        return s;
      }
    };
  }

  @Override
  public SignalHandler<InstanceState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(RecoveryFailed.class, (s, f) -> log.warn("{}: recovery failed: {}", id, f.getFailure().toString()))
        .onSignal(SnapshotFailed.class, (s, f) -> log.warn("{}: snapshot failed: {}", id, f.getFailure().toString()))
        .onSignal(PostStop.instance(), s -> closeLogic())
        .build();
  }

  private void closeLogic() {
    try {
      logic.close();
    } catch (Exception e) {
      log.warn("{}: closing failed: {}", id, e.toString());
    }
  }

  // ---- events ----------------------------------------------------------------------------------

  @Override
  public EventHandler<InstanceState, OperatorEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(OperatorEvent.Stepped.class, this::applyStepped)
        .onEvent(OperatorEvent.StepFailed.class, (s, f) -> {
          s.recordFailure(f);
          return s;
        })
        .build();
  }

  private InstanceState applyStepped(InstanceState s, OperatorEvent.Stepped e) {
    if (recovering && e.changes() != null && unrecoverable == null) {
      try {
        logic.apply(e.changes()); // live: the step already changed the logic
      } catch (RuntimeException ex) {
        // corrupt or incompatible state: retrying recovery cannot help; the job fails with the reason
        unrecoverable = "cannot recover the state of " + id + ": " + ex.getMessage();
      }
    }
    for (int i = 0; i < e.consumedChannels().length; i++) {
      int c = e.consumedChannels()[i];
      s.lastSeqIn[c] = Math.max(s.lastSeqIn[c], e.consumedSeqs()[i]);
    }
    int[] part = isSource ? new int[s.outbox.length] : null;
    for (OperatorEvent.Output o : e.outputs()) {
      s.nextSeqOut[o.channel()] = o.seq() + 1;
      s.outbox[o.channel()].addLast(new InstanceState.OutEntry(o.seq(), o.watermark(), o.flags(), e.createdAtMillis(),
          o.payload(), isSource ? e.changes() : null, isSource ? part[o.channel()]++ : 0));
    }
    for (int i = 0; i < e.ackChannels().length; i++) {
      s.ack(e.ackChannels()[i], e.ackMarks()[i]);
    }
    s.recordsIn += e.recordsIn();
    s.recordsOut += e.recordsOut();
    s.consecutiveFailures = 0;
    s.isolateNext = false;
    return s;
  }

  // ---- commands ----------------------------------------------------------------------------------

  @Override
  public CommandHandler<OperatorCommand, OperatorEvent, InstanceState> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(OperatorCommand.Deliver.class, this::onDeliver)
        .onCommand(OperatorCommand.Ack.class, this::onAck)
        .onCommand(OperatorCommand.Process.class, (s, c) -> onProcess(s))
        .onCommand(OperatorCommand.Poll.class, (s, c) -> onPoll(s))
        .onCommand(OperatorCommand.Tick.class, (s, c) -> onTick(s))
        .onCommand(OperatorCommand.Start.class, (s, c) -> onStart(s))
        .onCommand(OperatorCommand.Resume.class, (s, c) -> onResume(s))
        .onCommand(OperatorCommand.Stop.class, (s, c) -> {
          log.info("{}: stopping: {}", id, c.reason());
          return Effect().stop();
        })
        .onCommand(OperatorCommand.SpecFound.class, (s, c) -> Effect().none())
        .onCommand(OperatorCommand.Crash.class, (s, c) -> {
          log.warn("{}: crashing on request (chaos/diagnostics)", id);
          throw new CrashRequested(id);
        })
        .build();
  }

  private boolean blocked(InstanceState s) {
    return s.failed || unrecoverable != null || System.currentTimeMillis() < pausedUntil;
  }

  private Effect<OperatorEvent, InstanceState> onDeliver(InstanceState s, OperatorCommand.Deliver d) {
    if (!d.jobId().equals(id.jobId())) {
      return Effect().none();
    }
    int c = d.fromOperator() < inChannelOf.length && d.fromIndex() < inChannelOf[d.fromOperator()].length
        ? inChannelOf[d.fromOperator()][d.fromIndex()] : -1;
    if (c < 0) {
      log.warn("{}: a batch from operator {} instance {}, which is not an input: dropped", id, d.fromOperator(),
          d.fromIndex());
      return Effect().none();
    }
    if (d.senderAcked() > s.lastSeqIn[c]) {
      if (!lightSink) {
        // This instance acknowledged batches, which it does only after their step was persisted, and
        // its journal no longer has that step: their effect on the state is gone.
        return journalLost(s, inSources[c] + " was told that batch " + d.senderAcked() + " was consumed, but the"
            + " recovered state of " + id + " has consumed only up to " + s.lastSeqIn[c]);
      }
      // An at-least-once sink acknowledges before it persists its marks: everything up to
      // senderAcked was consumed by an earlier incarnation. Move forward rather than wait for
      // batches that the sender dropped when they were acknowledged.
      s.lastSeqIn[c] = d.senderAcked();
      pending[c].headMap(d.senderAcked() + 1).clear();
    }
    if (d.seq() <= s.lastSeqIn[c]) {
      sendAck(c, s.lastSeqIn[c], false); // a duplicate: acknowledge again
      return Effect().none();
    }
    if (pending[c].putIfAbsent(d.seq(), d) != null) {
      // A resend of a batch that waits here: answer with the current mark, so the sender knows
      // its messages arrive and only this instance is slow.
      sendAck(c, s.lastSeqIn[c], false);
    }
    scheduleProcess();
    return Effect().none();
  }

  private void scheduleProcess() {
    if (!processScheduled && !isSource) {
      processScheduled = true;
      ctx.getSelf().tell(OperatorCommand.Process.INSTANCE);
    }
  }

  private void schedulePoll(long delayMillis) {
    if (!pollScheduled && isSource) {
      pollScheduled = true;
      if (delayMillis <= 0) {
        ctx.getSelf().tell(OperatorCommand.Poll.INSTANCE);
      } else {
        timers.startSingleTimer("poll", OperatorCommand.Poll.INSTANCE, Duration.ofMillis(delayMillis));
      }
    }
  }

  private boolean inputsReady(InstanceState s) {
    for (int c = 0; c < pending.length; c++) {
      if (!pending[c].isEmpty() && pending[c].firstKey() == s.lastSeqIn[c] + 1) {
        return true;
      }
    }
    return false;
  }

  private Effect<OperatorEvent, InstanceState> onProcess(InstanceState s) {
    processScheduled = false;
    if (isSource || blocked(s) || !s.hasCredit(config.creditWindow())) {
      return Effect().none();
    }
    List<InputBatch> inputs = new ArrayList<>();
    List<OperatorCommand.Deliver> used = new ArrayList<>();
    int n = pending.length;
    long[] next = new long[n];
    for (int k = 0; k < n; k++) {
      next[k] = s.lastSeqIn[k] + 1;
    }
    boolean progress = true;
    while (progress && inputs.size() < settings.maxBatchesPerStep()) {
      progress = false;
      for (int k = 0; k < n && inputs.size() < settings.maxBatchesPerStep(); k++) {
        int c = (roundRobin + k) % n;
        OperatorCommand.Deliver d = pending[c].get(next[c]);
        if (d != null) {
          used.add(d);
          inputs.add(new InputBatch(c, d.seq(), d.payload().decoded(codec), d.watermark(), d.idle(), d.endOfStream()));
          next[c]++;
          progress = true;
        }
      }
    }
    roundRobin = n == 0 ? 0 : (roundRobin + 1) % n;
    if (inputs.isEmpty()) {
      return Effect().none();
    }
    long now = System.currentTimeMillis();
    StepResult r;
    try {
      if (s.isolateNext) {
        logic.setIsolation(true, s.consecutiveFailures);
      }
      r = logic.process(inputs, now);
    } catch (UserCodeException e) {
      return failure(s, e);
    } finally {
      if (s.isolateNext) {
        logic.setIsolation(false, 0);
      }
    }
    long createdAt = Long.MAX_VALUE;
    int[] chs = new int[used.size()];
    long[] seqs = new long[used.size()];
    for (int i = 0; i < used.size(); i++) {
      OperatorCommand.Deliver d = used.get(i);
      int c = inputs.get(i).channel();
      pending[c].remove(d.seq());
      chs[i] = c;
      seqs[i] = d.seq();
      createdAt = Math.min(createdAt, d.createdAtMillis());
      if (isSink && inputs.get(i).records().size() > 0 && d.createdAtMillis() > 0) {
        latency.record(now - d.createdAtMillis());
      }
    }
    lastInputMillis = now;
    if (firstInputMillis == 0) {
      firstInputMillis = now;
    }
    if (lightSink && !marksDue(inputs)) {
      // at-least-once sink: the writer returned, acknowledge at once; persist the marks only now and then
      unpersistedBatches += chs.length;
      boolean[] consumed = new boolean[pending.length];
      for (int i = 0; i < chs.length; i++) {
        s.lastSeqIn[chs[i]] = Math.max(s.lastSeqIn[chs[i]], seqs[i]);
        consumed[chs[i]] = true;
      }
      s.recordsIn += r.recordsIn();
      for (int c = 0; c < consumed.length; c++) {
        if (consumed[c]) {
          sendAck(c, s.lastSeqIn[c], false);
        }
      }
      if (inputsReady(s)) {
        scheduleProcess();
      }
      return Effect().none();
    }
    unpersistedBatches = 0;
    OperatorEvent.Stepped ev = stepped(s, chs, seqs, r, createdAt == Long.MAX_VALUE ? now : createdAt);
    return persistFenced(ev, st -> afterStep(st, ev), false);
  }

  /** At-least-once sinks persist their marks every 64 batches and whenever an input ends. */
  private boolean marksDue(List<InputBatch> inputs) {
    if (unpersistedBatches + inputs.size() >= 64 || logic.finished()) {
      return true;
    }
    for (InputBatch b : inputs) {
      if (b.endOfStream()) {
        return true;
      }
    }
    return false;
  }

  private Effect<OperatorEvent, InstanceState> onPoll(InstanceState s) {
    pollScheduled = false;
    if (!isSource || blocked(s) || logic.finished()) {
      return Effect().none();
    }
    if (!s.hasCredit(config.creditWindow())) {
      return Effect().none(); // an acknowledgement polls again
    }
    long now = System.currentTimeMillis();
    StepResult r;
    try {
      if (s.isolateNext) {
        logic.setIsolation(true, s.consecutiveFailures);
      }
      r = logic.emit(now);
    } catch (UserCodeException e) {
      return failure(s, e);
    } finally {
      if (s.isolateNext) {
        logic.setIsolation(false, 0);
      }
    }
    if (r.isEmpty()) {
      idlePollMillis = Math.min(settings.idlePollMax().toMillis(), Math.max(1, idlePollMillis * 2));
      schedulePoll(idlePollMillis);
      return Effect().none();
    }
    idlePollMillis = 1;
    if (r.recordsIn() > 0) {
      lastInputMillis = now;
      if (firstInputMillis == 0) {
        firstInputMillis = now;
      }
    }
    OperatorEvent.Stepped ev = stepped(s, new int[0], new long[0], r, now);
    boolean full = r.recordsIn() >= config.batchSize();
    return persistFenced(ev, st -> {
      afterStep(st, ev);
      schedulePoll(full || logic.finished() ? 0 : config.batchLinger().toMillis());
    }, false);
  }

  /** Builds the event of a step: sequence numbers for its outputs, the acknowledgements received since the last event. */
  private OperatorEvent.Stepped stepped(InstanceState s, int[] chs, long[] seqs, StepResult r, long createdAt) {
    List<OperatorEvent.Output> outs = new ArrayList<>(r.outputs().size());
    liveSourceBatches.clear();
    long[] next = s.nextSeqOut.clone(); // a step may give a channel several batches
    for (OutputBatch b : r.outputs()) {
      int flags = (b.idle() ? OperatorCommand.IDLE : 0) | (b.endOfStream() ? OperatorCommand.END_OF_STREAM : 0);
      long seq = next[b.channel()]++;
      BatchPayload payload = null;
      if (isSource) {
        liveSourceBatches.put(new ChannelSeq(b.channel(), seq), b.records());
      } else {
        payload = BatchPayload.of(b.records(), codec.toBytes(b.records()));
      }
      outs.add(new OperatorEvent.Output(b.channel(), seq, b.watermark(), flags, payload));
    }
    int na = 0;
    for (boolean d : ackDirty) {
      if (d) {
        na++;
      }
    }
    int[] ac = new int[na];
    long[] am = new long[na];
    for (int c = 0, k = 0; c < ackDirty.length; c++) {
      if (ackDirty[c]) {
        ac[k] = c;
        am[k++] = s.acked[c];
        ackDirty[c] = false;
      }
    }
    return new OperatorEvent.Stepped(chs, seqs, r.changes(), outs, ac, am, r.recordsIn(), r.recordsOut(), createdAt,
        incarnation);
  }

  private void afterStep(InstanceState s, OperatorEvent.Stepped ev) {
    for (OperatorEvent.Output o : ev.outputs()) {
      InstanceState.OutEntry e = entry(s, o.channel(), o.seq());
      if (e == null) {
        continue; // acknowledged already (cannot happen before it was sent, but be safe)
      }
      if (e.payload == null) {
        RecordBatch b = liveSourceBatches.get(new ChannelSeq(o.channel(), o.seq()));
        if (b != null) {
          e.payload = BatchPayload.of(b);
        }
      }
      send(s, o.channel(), e);
    }
    liveSourceBatches.clear();
    int last = -1;
    for (int i = 0; i < ev.consumedChannels().length; i++) {
      int c = ev.consumedChannels()[i];
      if (c != last) {
        sendAck(c, s.lastSeqIn[c], false);
        last = c;
      }
    }
    if (logic.finished() && !finishedReported) {
      finishedReported = true;
      log.info("{}: finished (all inputs ended)", id);
      report(s);
    }
    if (inputsReady(s)) {
      scheduleProcess();
    }
  }

  /** The outbox entry of {@code seq} on {@code channel}, searching from the newest. */
  private static InstanceState.OutEntry entry(InstanceState s, int channel, long seq) {
    java.util.Iterator<InstanceState.OutEntry> it = s.outbox[channel].descendingIterator();
    while (it.hasNext()) {
      InstanceState.OutEntry e = it.next();
      if (e.seq == seq) {
        return e;
      }
      if (e.seq < seq) {
        return null;
      }
    }
    return null;
  }

  private void send(InstanceState s, int channel, InstanceState.OutEntry e) {
    if (unrecoverable != null) {
      return;
    }
    BatchPayload p = e.payload;
    if (p == null) {
      try {
        p = regenerate(channel, e);
      } catch (RuntimeException ex) {
        unrecoverable = "cannot regenerate batch " + e.seq + " of " + id + " from its persisted position range: "
            + ex.getMessage();
        log.error("{}", unrecoverable);
        return;
      }
      e.payload = p;
    }
    e.sentAt = System.nanoTime();
    peers.send(outTargets[channel], new OperatorCommand.Deliver(id.jobId(), op.index(), id.index(), e.seq,
        e.watermark, e.flags, e.createdAt, p, s.acked[channel]));
  }

  /** A source batch after a recovery: re-read its position range and take this channel's batch. */
  private BatchPayload regenerate(int channel, InstanceState.OutEntry e) {
    List<OutputBatch> all = regenerated.computeIfAbsent(e.sourceChange, logic::regenerate);
    int part = e.part;
    for (OutputBatch b : all) {
      if (b.channel() == channel && part-- == 0) {
        return BatchPayload.of(b.records());
      }
    }
    throw new IllegalStateException(id + ": regenerating batch " + e.seq + " of channel " + channel
        + " gave no batch for that channel");
  }

  private void resend(InstanceState s, int channel) {
    for (InstanceState.OutEntry e : s.outbox[channel]) {
      send(s, channel, e);
    }
  }

  private void sendAck(int channel, long upTo, boolean resend) {
    peers.send(inSources[channel], new OperatorCommand.Ack(id.jobId(), op.index(), id.index(), upTo, resend));
  }

  private Effect<OperatorEvent, InstanceState> onAck(InstanceState s, OperatorCommand.Ack a) {
    if (!a.jobId().equals(id.jobId()) || a.fromOperator() >= outChannelOf.length
        || a.fromIndex() >= outChannelOf[a.fromOperator()].length) {
      return Effect().none();
    }
    int c = outChannelOf[a.fromOperator()][a.fromIndex()];
    if (c < 0) {
      return Effect().none();
    }
    lastHeardNanos[c] = System.nanoTime();
    if (a.upTo() >= s.nextSeqOut[c]) {
      // Batches are sent only after the step that produced them was persisted.
      return journalLost(s, outTargets[c] + " acknowledged batch " + a.upTo() + ", but the recovered state of " + id
          + " has produced only up to batch " + (s.nextSeqOut[c] - 1));
    }
    if (s.ack(c, a.upTo())) {
      ackDirty[c] = true;
    }
    if (a.resend()) {
      resend(s, c);
    }
    if (isSource) {
      schedulePoll(0);
    } else {
      scheduleProcess();
    }
    return Effect().none();
  }

  /**
   * A receiver that is alive answers every resend, even when it is too busy to consume. One that
   * stays silent for route-stale-after is down, cannot reach its journal, or is reached through a
   * routing table that still points at a dead incarnation of its node (Cluster Sharding can keep
   * such an entry when a node restarts on the same address), or its answers take such a route
   * back. The first two heal by themselves; the last does not, so ask for fresh routes.
   */
  private void suspectSilentRoute(InstanceState s, int c, long nowNanos) {
    long limit = settings.routeStaleAfter().toNanos();
    if (s.failed || unrecoverable != null) {
      return; // this instance does not run: the silence is its own
    }
    if (nowNanos - lastHeardNanos[c] > limit && nowNanos - lastSuspectNanos[c] > limit) {
      lastSuspectNanos[c] = nowNanos;
      log.warn("{}: {} has answered none of the resends of the last {} s: asking for fresh routes between them",
          id, outTargets[c], (nowNanos - lastHeardNanos[c]) / 1_000_000_000L);
      peers.suspectRoutes(id, outTargets[c]);
    }
  }

  private Effect<OperatorEvent, InstanceState> onTick(InstanceState s) {
    long nowNanos = System.nanoTime();
    long resendNanos = settings.resendAfter().toNanos();
    for (int c = 0; c < s.outbox.length; c++) {
      InstanceState.OutEntry head = s.outbox[c].peekFirst();
      if (head != null && (head.sentAt == 0 || nowNanos - head.sentAt > resendNanos)) {
        resend(s, c);
      }
      if (head != null) {
        suspectSilentRoute(s, c, nowNanos);
      } else {
        lastHeardNanos[c] = nowNanos; // silence counts only while something waits for an answer
      }
    }
    regenerated.clear();
    if (nowNanos - lastReportNanos > settings.reportEvery().toNanos()) {
      report(s);
    }
    if (isSource) {
      schedulePoll(0);
      return Effect().none();
    }
    if (blocked(s) || logic.finished() || !s.hasCredit(config.creditWindow())) {
      return Effect().none();
    }
    if (inputsReady(s)) {
      scheduleProcess();
    }
    long now = System.currentTimeMillis();
    StepResult r;
    try {
      r = logic.onTime(now);
    } catch (UserCodeException e) {
      return failure(s, e);
    }
    if (r.isEmpty()) {
      return Effect().none();
    }
    OperatorEvent.Stepped ev = stepped(s, new int[0], new long[0], r, now);
    return persistFenced(ev, st -> afterStep(st, ev), false);
  }

  /**
   * The journal lost events it had acknowledged (a database that acknowledges writes before they
   * are durable, and crashed). Going on would lose or duplicate records silently, so the job fails
   * and says why.
   */
  private Effect<OperatorEvent, InstanceState> journalLost(InstanceState s, String evidence) {
    if (unrecoverable == null) {
      unrecoverable = "the journal lost acknowledged writes: " + evidence + ". Exactly-once cannot be kept; the"
          + " journal must not acknowledge a write before it is durable (Cassandra: commitlog_sync batch or group)";
      log.error("{}", unrecoverable);
      report(s);
    }
    return Effect().none();
  }

  /** The process was paused too long: this incarnation may have been replaced; it must not write. */
  /**
   * Every write goes through here: persists {@code ev}, then runs {@code then} (and stops if
   * {@code thenStop}), unless the pause fence forbids writes: then the incarnation stops unwritten.
   */
  private Effect<OperatorEvent, InstanceState> persistFenced(OperatorEvent ev,
      org.apache.pekko.japi.function.Procedure<InstanceState> then, boolean thenStop) {
    if (!PauseFence.permitsWrites()) {
      log.error("{}: not persisting: this process was paused past the pause fence and may have been replaced", id);
      return Effect().stop();
    }
    var written = Effect().persist(ev).thenRun(then);
    return thenStop ? written.thenStop() : written;
  }

  private Effect<OperatorEvent, InstanceState> onStart(InstanceState s) {
    // the coordinator's keep-alive: nothing to do but make sure a source polls
    if (isSource && !blocked(s)) {
      schedulePoll(0);
    }
    return Effect().none();
  }

  private Effect<OperatorEvent, InstanceState> onResume(InstanceState s) {
    pausedUntil = 0;
    log.info("{}: retrying after the restart strategy's delay", id);
    if (isSource) {
      schedulePoll(0);
    } else {
      scheduleProcess();
    }
    return Effect().none();
  }

  private Effect<OperatorEvent, InstanceState> failure(InstanceState s, UserCodeException e) {
    long now = System.currentTimeMillis();
    RestartStrategy strategy = config.restartStrategy();
    int consecutive = s.consecutiveFailures + 1;
    int inInterval = s.failuresSince(now - strategy.interval().toMillis()) + 1;
    long delay = RestartTracker.decide(strategy, consecutive, inInterval);
    OperatorEvent.Decision decision;
    if (delay != RestartTracker.GIVE_UP) {
      decision = OperatorEvent.Decision.RETRY;
    } else if (logic.hasDeadLetters() && e.record() != null && !s.isolateNext) {
      decision = OperatorEvent.Decision.DEAD_LETTER;
    } else {
      decision = OperatorEvent.Decision.FAIL;
    }
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    String error = cause.getClass().getName() + ": " + cause.getMessage();
    log.warn("{}: stage '{}' failed (attempt {}){}: {}; restart strategy {}: {}", id, e.stage(), consecutive,
        e.record() == null ? "" : " on record " + e.record(), error, strategy, decision);
    OperatorEvent.StepFailed f = new OperatorEvent.StepFailed(consecutive, e.stage(), e.record(), error, now, decision,
        decision == OperatorEvent.Decision.RETRY ? now + delay : 0);
    // the logic is in an undefined state now: persist the failure, stop, and recover from the journal
    return persistFenced(f, st -> {
      if (decision == OperatorEvent.Decision.FAIL) {
        report(st);
      }
    }, true);
  }

  private void onRecovered(InstanceState s) {
    recovering = false;
    if (unrecoverable != null) {
      log.error("{}", unrecoverable);
      report(s);
      return;
    }
    long tookMs = (System.nanoTime() - startedNanos) / 1_000_000;
    if (s.recordsIn > 0 || s.recordsOut > 0 || s.unacked() > 0) {
      log.info("{}: recovered in {} ms on {}: {} records in, {} out, {} unacknowledged batches", id, tookMs,
          peers.nodeName(), s.recordsIn, s.recordsOut, s.unacked());
    }
    if (s.failed) {
      log.warn("{}: the job failed here: stage '{}': {}", id, s.lastFailure.stage(), s.lastFailure.error());
      report(s);
      return;
    }
    long now = System.currentTimeMillis();
    if (s.lastFailure != null && s.consecutiveFailures > 0 && s.lastFailure.decision() == OperatorEvent.Decision.RETRY
        && s.lastFailure.retryAtMillis() > now) {
      pausedUntil = s.lastFailure.retryAtMillis();
      timers.startSingleTimer("resume", OperatorCommand.Resume.INSTANCE, Duration.ofMillis(pausedUntil - now));
    }
    for (int c = 0; c < inSources.length; c++) {
      sendAck(c, s.lastSeqIn[c], true); // hello: resend what I have not consumed
    }
    for (int c = 0; c < s.outbox.length; c++) {
      resend(s, c);
    }
    regenerated.clear();
    if (unrecoverable != null) {
      report(s);
      return;
    }
    // silence is counted from now: a slow recovery is not the receivers' silence
    java.util.Arrays.fill(lastHeardNanos, System.nanoTime());
    java.util.Arrays.fill(lastSuspectNanos, System.nanoTime());
    timers.startTimerWithFixedDelay("tick", OperatorCommand.Tick.INSTANCE, settings.tick());
    if (isSource) {
      schedulePoll(0);
    }
    report(s);
  }

  private void report(InstanceState s) {
    lastReportNanos = System.nanoTime();
    int backlog = 0;
    for (TreeMap<Long, OperatorCommand.Deliver> p : pending) {
      backlog += p.size();
    }
    OperatorEvent.StepFailed f = s.failed ? s.lastFailure : null;
    String stage = f != null ? f.stage() : unrecoverable != null ? id.operator() + " (recovery)" : null;
    String error = f != null ? f.error() : unrecoverable;
    long[] lat = latency.counts();
    latency.clear();
    peers.report(new InstanceReport(id, peers.nodeName(), incarnation, s.recordsIn, s.recordsOut, backlog,
        s.unacked(), logic.finished(), stage, f == null ? null : f.record(), error, logic.deadLetterCount(), lat,
        firstInputMillis, lastInputMillis));
  }
}
