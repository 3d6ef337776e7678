package io.sluice.persistence.runtime;

import io.sluice.core.internal.engine.BatchPayload;
import io.sluice.core.internal.engine.InstanceEngine;
import io.sluice.core.internal.engine.LatencyHistogram;
import io.sluice.core.internal.engine.OperatorEvent;
import io.sluice.core.internal.engine.StateStore;
import io.sluice.core.internal.exec.OperatorInstance;
import io.sluice.core.internal.exec.UserCodeException;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.dsl.JobConfig;
import io.sluice.persistence.metrics.InstanceMeters;
import io.sluice.persistence.metrics.SluiceMetrics;
import io.sluice.persistence.state.StateStores;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;

/**
 * INTERNAL API: one operator instance as an event-sourced behavior: a thin adapter that runs the
 * core's {@link InstanceEngine} (the channel protocol of DESIGN.md around the operator logic) on
 * Pekko Persistence. The engine decides; this class persists the events it returns, delivers
 * its messages through {@link Peers}, keeps its timers, and reports to the job coordinator.
 *
 * <p>The live logic is changed by a step before its event is persisted; the event handler
 * re-applies changes only during recovery. A failed write (or recovery) stops the incarnation,
 * never restarts it in place: the live logic already holds the step that was not persisted.
 * Sharding starts a fresh incarnation on the next message: the job coordinator's keep-alive,
 * every 500 ms, spaces the retries while Cassandra is down. Nothing is skipped.
 */
public final class OperatorEntity extends EventSourcedBehavior<OperatorCommand, OperatorEvent, InstanceEngine> {
  private final ActorContext<OperatorCommand> ctx;
  private final TimerScheduler<OperatorCommand> timers;
  private final Logger log;
  private final InstanceId id;
  private final JobRuntime job;
  private final Peers peers;
  private final RuntimeSettings settings;
  private final JobConfig config;
  private final InstanceEngine engine;
  private final InstanceId[] inSources;
  private final InstanceId[] outTargets;
  private final long incarnation = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
  private final long startedNanos = System.nanoTime();
  private boolean processScheduled;
  private boolean pollScheduled;
  private long idlePollMillis = 1;
  private long lastReportNanos;
  private boolean finishedReported;
  private boolean problemReported;
  private final StateStore store;
  private final StateStores.Retention retention;
  private final InstanceMeters meters;
  /** When the capture in progress started writing (System.nanoTime()). */
  private long captureStartedNanos;
  /** After recovery, until the stored key groups are read: commands wait, batches are answered with the mark. */
  private boolean loading;
  private InstanceEngine.Capture capture;
  /** Sharding handed this instance's shard off while a capture was being written: stop when it is done. */
  private boolean handOffAfterCapture;
  private java.util.ArrayDeque<java.util.Map.Entry<Integer, java.util.List<io.sluice.core.internal.exec.ChunkedState.Part>>>
      toLoad;
  private int groupsToLoad;
  private long loadStartedNanos;
  private long loadedBytes;
  private long applyNanos;
  /** CPU time the actor's thread spent applying, and the JVM's collection time when the load began. */
  private long applyCpuNanos;
  private long loadGcMillisAtStart;
  /** While a savepoint is taken, the job coordinator pauses sources and timers until then (wall clock). */
  private long pausedUntil;
  /**
   * Sources read, and timers fire, only after the first Start of the incarnation: it says whether
   * the job is paused (an incarnation started while a savepoint is taken must not produce).
   */
  private boolean startSeen;
  /** Recovery began from a snapshot (a restored instance's first snapshot holds its savepoint state). */
  private boolean recoveredFromSnapshot;
  /** A new job's instance takes its savepoint part, stores it and snapshots before anything else. */
  private boolean restoring;
  private boolean restoreSnapshotRequested;
  /** Why this instance cannot make progress right now (journal or state store unreachable), or null. */
  private String trouble;
  private long troubleSince;
  /** Postponed snapshots logged so far. */
  private long postponedLogged;
  /** A snapshot was requested and is being saved. */
  private boolean snapshotSaving;
  /** Since when this instance catches up with its stored state (consuming nothing), or 0. */
  private long catchingUpSince;
  /** The trouble reported is the catch-up's (cleared when it ends). */
  private boolean catchUpTrouble;
  /** Captures written since the last snapshot, and their bytes (for the snapshot's log line). */
  private int capturesSinceSnapshot;
  private long capturedSinceSnapshot;
  /** The trouble is the source's: it cannot read its input. */
  private boolean inputTroubled;

  private OperatorEntity(ActorContext<OperatorCommand> ctx, TimerScheduler<OperatorCommand> timers, InstanceId id,
      JobRuntime job, OperatorInstance logic, Peers peers, RuntimeSettings settings) {
    super(PersistenceId.of("sluice-op", id.entityId()));
    this.ctx = ctx;
    this.timers = timers;
    this.log = ctx.getLog();
    this.id = id;
    this.job = job;
    this.peers = peers;
    this.settings = settings;
    this.config = job.plan().config();
    StateStores stores = StateStores.get(ctx.getSystem());
    this.store = stores.store();
    this.retention = stores.retention();
    this.engine = new InstanceEngine(job.exec(), logic, settings.engine(), new InstanceEngine.Outbound() {
      @Override
      public void deliver(int channel, long seq, long watermark, int flags, long createdAtMillis, BatchPayload payload,
          long senderAcked) {
        peers.send(outTargets[channel], new OperatorCommand.Deliver(id.jobId(), logic.operator().index(), id.index(),
            seq, watermark, flags, createdAtMillis, payload, senderAcked));
      }

      @Override
      public void ack(int channel, long upTo, boolean resend) {
        peers.send(inSources[channel], new OperatorCommand.Ack(id.jobId(), logic.operator().index(), id.index(), upTo,
            resend));
      }
    }, incarnation);
    this.inSources = new InstanceId[engine.inputCount()];
    for (int c = 0; c < inSources.length; c++) {
      PhysicalPlan.ChannelRef r = engine.input(c);
      inSources[c] = job.instance(r.peerOperator(), r.peerInstance());
    }
    this.outTargets = new InstanceId[engine.outputCount()];
    for (int c = 0; c < outTargets.length; c++) {
      PhysicalPlan.ChannelRef r = engine.output(c);
      outTargets[c] = job.instance(r.peerOperator(), r.peerInstance());
    }
    // last: a constructor that failed before would leave meters no PostStop removes
    this.meters = new InstanceMeters(SluiceMetrics.get(ctx.getSystem()).registry(), id.jobId(), id.operator(),
        id.index(), logic.kind() == OperatorInstance.Kind.SINK);
  }

  /** Thrown to make the instance fail as if its process died. */
  static final class CrashRequested extends RuntimeException {
    CrashRequested(InstanceId id) {
      super("crash of " + id + " requested");
    }
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
          if ("retry".equals(f.error())) {
            lookup(ctx, id, peers);
            return Behaviors.same();
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
        .onMessageEquals(OperatorCommand.HandOff.INSTANCE, Behaviors::stopped)
        .onAnyMessage(m -> {
          if (!stash.isFull()) {
            stash.stash(m);
          }
          return Behaviors.same();
        })
        .build();
  }

  private static Behavior<OperatorCommand> resolved(ActorContext<OperatorCommand> ctx,
      StashBuffer<OperatorCommand> stash, InstanceId id, JobSpec spec, Peers peers, RuntimeSettings settings) {
    JobCatalog catalog = JobCatalog.get(ctx.getSystem());
    if (!catalog.isReady(spec)) {
      // the job's jar is not on this node yet: fetch it without blocking, then come back here
      ctx.pipeToSelf(catalog.prepare(spec), (ok, err) -> err == null ? new OperatorCommand.SpecFound(spec, null)
          : new OperatorCommand.SpecFound(null, "cannot fetch jar " + spec.jar() + ": " + err));
      return waitingForSpec(ctx, stash, id, peers, settings);
    }
    JobRuntime job;
    try {
      job = catalog.register(spec);
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
    Thread thread = Thread.currentThread();
    ClassLoader before = thread.getContextClassLoader();
    thread.setContextClassLoader(job.classLoader()); // user code opens here, as it runs (UserCodeLoader)
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
    } finally {
      thread.setContextClassLoader(before);
    }
    Behavior<OperatorCommand> entity = Behaviors.withTimers(timers -> new OperatorEntity(ctx, timers, id, job, logic,
        peers, settings));
    ClassLoader code = job.classLoader();
    return code == OperatorEntity.class.getClassLoader() ? entity
        : Behaviors.intercept(() -> new UserCodeLoader(code), entity);
  }

  /**
   * Makes the job's class loader the thread's context class loader while the instance handles a
   * message or signal, as user code in a jar expects (a library in the jar that looks up its
   * resources or services through it finds them; the node's dispatcher threads are shared).
   */
  static final class UserCodeLoader extends BehaviorInterceptor<OperatorCommand, OperatorCommand> {
    private final ClassLoader code;

    UserCodeLoader(ClassLoader code) {
      super(OperatorCommand.class);
      this.code = code;
    }

    @Override
    public Behavior<OperatorCommand> aroundReceive(TypedActorContext<OperatorCommand> ctx, OperatorCommand msg,
        ReceiveTarget<OperatorCommand> target) {
      return withCode(() -> target.apply(ctx, msg));
    }

    @Override
    public Behavior<OperatorCommand> aroundSignal(TypedActorContext<OperatorCommand> ctx, Signal signal,
        SignalTarget<OperatorCommand> target) {
      return withCode(() -> target.apply(ctx, signal));
    }

    private Behavior<OperatorCommand> withCode(java.util.function.Supplier<Behavior<OperatorCommand>> handle) {
      Thread t = Thread.currentThread();
      ClassLoader before = t.getContextClassLoader();
      t.setContextClassLoader(code);
      try {
        return handle.get();
      } finally {
        t.setContextClassLoader(before);
      }
    }
  }

  private static InstanceReport failedReport(InstanceId id, Peers peers, String stage, String record, String error) {
    return new InstanceReport(id, peers.nodeName(), 0, 0, 0, 0, 0, false, stage, record, error, 0,
        new long[LatencyHistogram.BUCKETS], 0, 0);
  }

  // ---- persistence settings -----------------------------------------------------------------

  @Override
  public InstanceEngine emptyState() {
    return engine;
  }

  /**
   * Snapshots are taken when the engine says so ({@link #shouldSnapshot}): after a capture of the
   * stored state was written. Retention is ours too ({@link #onSnapshotSaved}).
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.disabled();
  }

  @Override
  public boolean shouldSnapshot(InstanceEngine state, OperatorEvent event, long sequenceNr) {
    boolean now = state.shouldSnapshot();
    if (now && restoring) {
      restoreSnapshotRequested = true;
    }
    if (now) {
      snapshotSaving = true;
    } else if (!restoring && state.postponedSnapshots() > postponedLogged) {
      postponedLogged = state.postponedSnapshots();
      log.info("{}: snapshot postponed: {} bytes of keyed state changed since their capture; capturing again ({} bytes"
          + " of journal since the last snapshot)", id, state.changedSinceCapture(), state.tailBytes());
    }
    return now;
  }

  @Override
  public SnapshotAdapter<InstanceEngine> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(InstanceEngine state) {
        return new InstanceSnapshot(state.snapshot());
      }

      @Override
      public InstanceEngine fromJournal(Object from) {
        recoveredFromSnapshot = true;
        engine.restore(((InstanceSnapshot) from).bytes());
        return engine;
      }
    };
  }

  @Override
  public SignalHandler<InstanceEngine> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(RecoveryFailed.class, (s, f) -> {
          log.warn("{}: recovery failed: {}", id, f.getFailure().toString());
          troubled("cannot recover from the journal: " + f.getFailure());
        })
        .onSignal(SnapshotFailed.class, (s, f) -> {
          snapshotSaving = false;
          log.warn("{}: snapshot failed: {}", id, f.getFailure().toString());
          if (restoring) {
            ctx.getSelf().tell(new OperatorCommand.RestoreSnapshotted(f.getFailure()));
          }
        })
        .onSignal(SnapshotCompleted.class, (s, c) -> {
          snapshotSaving = false;
          onSnapshotSaved(c.metadata().sequenceNr());
          if (restoring) {
            ctx.getSelf().tell(new OperatorCommand.RestoreSnapshotted(null));
          }
        })
        .onSignal(PostStop.instance(), s -> {
          meters.close();
          closeLogic();
        })
        .build();
  }

  private void closeLogic() {
    try {
      engine.logic().close();
    } catch (Exception e) {
      log.warn("{}: closing failed: {}", id, e.toString());
    }
  }

  @Override
  public EventHandler<InstanceEngine, OperatorEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onAnyEvent((s, e) -> {
          s.apply(e);
          return s;
        });
  }

  // ---- stored state: captures, snapshots, recovery ---------------------------------------------

  /** Starts a capture if a snapshot trigger fired: its chunks are written while the instance goes on. */
  private void maybeCapture() {
    long now = System.currentTimeMillis();
    if (loading || !engine.captureDue(now)) {
      return;
    }
    InstanceEngine.Capture c = engine.startCapture(lastSequenceNumber(ctx), now);
    capture = c;
    if (c.groups().isEmpty()) {
      engine.captureWritten(c);
      capture = null;
      return;
    }
    writeCapture(c);
  }

  /** Writes a capture's chunks to the state store; {@code CaptureDone} says when they are written. */
  private void writeCapture(InstanceEngine.Capture c) {
    captureStartedNanos = System.nanoTime();
    java.util.List<java.util.concurrent.CompletableFuture<Void>> writes = new java.util.ArrayList<>();
    for (int i = 0; i < c.groups().size(); i++) {
      writes.add(store.write(engine.stateOwner(), c.groups().get(i).keyGroup(), c.version(), c.chunks().get(i))
          .toCompletableFuture());
    }
    ctx.pipeToSelf(java.util.concurrent.CompletableFuture.allOf(writes.toArray(new java.util.concurrent.CompletableFuture<?>[0])),
        (v, err) -> new OperatorCommand.CaptureDone(c, err));
  }

  private Effect<OperatorEvent, InstanceEngine> onCaptureDone(OperatorCommand.CaptureDone d) {
    if (d.capture() != capture) {
      return Effect().none();
    }
    capture = null;
    if (handOffAfterCapture) {
      log.info("{}: handing off to another node", id);
      return Effect().stop();
    }
    if (restoring) {
      if (d.error() != null) {
        log.warn("{}: storing the state restored from savepoint {} failed; stopping to retry: {}", id,
            job.spec().savepoint(), d.error().toString());
        engine.captureFailed(d.capture(), System.currentTimeMillis());
        troubled("cannot store the state restored from savepoint " + job.spec().savepoint() + ": " + d.error());
        return Effect().stop();
      }
      engine.captureWritten(d.capture());
      return persistRestoreMarker();
    }
    if (d.error() != null) {
      log.warn("{}: writing {} stored key groups ({} bytes) failed; they are stored anew later: {}", id,
          d.capture().groups().size(), d.capture().bytes(), d.error().toString());
      engine.captureFailed(d.capture(), System.currentTimeMillis());
      troubled("cannot write its stored key groups (no snapshot until it can): " + d.error());
    } else {
      engine.captureWritten(d.capture());
      long nanos = System.nanoTime() - captureStartedNanos;
      meters.captured(d.capture().bytes(), nanos);
      capturesSinceSnapshot++;
      capturedSinceSnapshot += d.capture().bytes();
      if (d.capture().bytes() >= LOGGED_CAPTURE_BYTES || engine.catchingUp()) {
        log.info("{}: stored {} key groups ({} bytes) at {} in {} ms; {} bytes changed since", id,
            d.capture().groups().size(), d.capture().bytes(), d.capture().version(), nanos / 1_000_000,
            engine.changedSinceCapture());
      }
      if (trouble != null && !catchUpTrouble) {
        trouble = null;
        report();
      }
      if (markerDue()) {
        return persistMarker(); // the event the snapshot is taken with, or the next capture starts after
      }
    }
    return Effect().none();
  }

  /** Captures at least this large are logged (at INFO): the ones that take a while. */
  private static final long LOGGED_CAPTURE_BYTES = 8L << 20;

  /** Catching up, a capture is written and no snapshot is being saved: the snapshot needs an event. */
  private boolean markerDue() {
    return engine.catchingUp() && engine.snapshotWaitsForEvent() && !snapshotSaving && !loading && !restoring;
  }

  /**
   * While catching up (no input consumed): persists an empty step, the event a snapshot is taken
   * with; after it, a capture starts if the snapshot had to wait for one.
   */
  private Effect<OperatorEvent, InstanceEngine> persistMarker() {
    if (!PauseFence.permitsWrites()) {
      log.error("{}: not persisting: this process was paused past the pause fence and may have been replaced", id);
      return Effect().stop();
    }
    return Effect().persist((OperatorEvent) InstanceEngine.marker(System.currentTimeMillis(), incarnation))
        .thenRun(st -> maybeCapture());
  }

  /** Notes (and logs) when this instance starts or stops catching up with its stored state. */
  private void checkCatchUp() {
    boolean now = engine.catchingUp();
    long t = System.currentTimeMillis();
    if (now && catchingUpSince == 0) {
      catchingUpSince = t;
      log.info("{}: its stored state fell behind ({} bytes of journal since its last snapshot, bound {};"
          + " {} bytes of keyed state changed since their capture): consuming no input until a snapshot lands", id,
          engine.tailBytes(), settings.engine().maxTailBytes(), engine.changedSinceCapture());
    } else if (now && t - catchingUpSince > CATCH_UP_REPORTED_AFTER_MILLIS && trouble == null) {
      catchUpTrouble = true;
      trouble = "catching up with its stored state since " + java.time.Instant.ofEpochMilli(catchingUpSince)
          + ": no input is consumed until a snapshot lands (" + engine.changedSinceCapture()
          + " bytes of keyed state still to store)";
      troubleSince = catchingUpSince;
      report();
    } else if (!now && catchingUpSince != 0) {
      log.info("{}: caught up with its stored state in {} ms; consuming input again", id, t - catchingUpSince);
      catchingUpSince = 0;
      if (catchUpTrouble) {
        catchUpTrouble = false;
        trouble = null;
        report();
      }
      wake();
    }
  }

  /** A catch-up longer than this is reported as the instance's trouble (the job shows DEGRADED with it). */
  private static final long CATCH_UP_REPORTED_AFTER_MILLIS = 30_000;

  /** A snapshot is saved: reclaim stored versions and old snapshots and events nobody needs any more. */
  private void onSnapshotSaved(long sequenceNr) {
    if (capturedSinceSnapshot >= LOGGED_CAPTURE_BYTES || catchingUpSince != 0) {
      log.info("{}: snapshot at {} after {} captures ({} bytes stored)", id, sequenceNr, capturesSinceSnapshot,
          capturedSinceSnapshot);
    }
    capturesSinceSnapshot = 0;
    capturedSinceSnapshot = 0;
    for (InstanceEngine.Reclaim r : engine.snapshotSaved(config.keepSnapshots())) {
      store.deleteBelow(engine.stateOwner(), r.keyGroup(), r.belowVersion()).whenComplete((v, err) -> {
        if (err != null) {
          log.debug("{}: reclaiming versions of key group {} below {} failed (a later snapshot retries): {}", id,
              r.keyGroup(), r.belowVersion(), err.toString());
        }
      });
    }
    retention.keepNewest(persistenceId().id(), config.keepSnapshots(), config.deleteEventsOnSnapshot())
        .whenComplete((v, err) -> {
          if (err != null) {
            log.debug("{}: deleting snapshots (and events) before snapshot {} failed (the next one retries): {}", id,
                sequenceNr, err.toString());
          }
        });
    checkCatchUp();
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** The JVM's total collection time so far (pauses and concurrent work, as its collectors count them). */
  private static long gcMillis() {
    long ms = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms;
  }

  /**
   * After replay: reads the stored key groups the snapshot refers to, at most
   * {@code sluice.state.groups-in-flight} at a time, applying each as it arrives (so a recovery holds
   * a few key groups' bytes, not the whole state twice), and removes what a dead capture left.
   */
  private void loadStoredState() {
    loading = true;
    loadStartedNanos = System.nanoTime();
    loadGcMillisAtStart = gcMillis();
    toLoad = new java.util.ArrayDeque<>(engine.toLoadByGroup().entrySet());
    groupsToLoad = toLoad.size() + 1;
    java.util.List<java.util.concurrent.CompletableFuture<Void>> orphans = new java.util.ArrayList<>();
    for (InstanceEngine.Orphans o : engine.orphans()) {
      orphans.add(store.deleteAbove(engine.stateOwner(), o.keyGroup(), o.aboveVersion()).toCompletableFuture());
    }
    ctx.pipeToSelf(java.util.concurrent.CompletableFuture.allOf(orphans.toArray(new java.util.concurrent.CompletableFuture<?>[0])),
        (v, err) -> new OperatorCommand.StoredGroupRead(-1, null, err));
    for (int i = 0; i < settings.groupsInFlight(); i++) {
      readNextGroup();
    }
  }

  private void readNextGroup() {
    java.util.Map.Entry<Integer, java.util.List<io.sluice.core.internal.exec.ChunkedState.Part>> g = toLoad.pollFirst();
    if (g == null) {
      return;
    }
    java.util.List<java.util.concurrent.CompletableFuture<byte[]>> reads = new java.util.ArrayList<>();
    for (io.sluice.core.internal.exec.ChunkedState.Part p : g.getValue()) {
      reads.add(store.readWhole(engine.stateOwner(), p.keyGroup(), p.stored().version(), p.stored().chunks())
          .toCompletableFuture());
    }
    ctx.pipeToSelf(java.util.concurrent.CompletableFuture.allOf(reads.toArray(new java.util.concurrent.CompletableFuture<?>[0])),
        (v, err) -> err != null ? new OperatorCommand.StoredGroupRead(g.getKey(), null, err)
            : new OperatorCommand.StoredGroupRead(g.getKey(), reads.stream().map(java.util.concurrent.CompletableFuture::join)
                .toList(), null));
  }

  private Effect<OperatorEvent, InstanceEngine> onStoredGroupRead(OperatorCommand.StoredGroupRead r) {
    if (!loading) {
      return Effect().none();
    }
    if (r.error() != null) {
      // the store is unavailable: this incarnation stops; the keep-alive starts the next one
      log.warn("{}: cannot read its stored key groups yet: {}; stopping to retry", id, r.error().toString());
      troubled("cannot read its stored key groups: " + r.error());
      return Effect().stop();
    }
    if (r.keyGroup() >= 0) {
      long t0 = System.nanoTime();
      long cpu0 = THREADS.getCurrentThreadCpuTime();
      engine.loadGroup(r.keyGroup(), r.versions());
      applyCpuNanos += THREADS.getCurrentThreadCpuTime() - cpu0;
      applyNanos += System.nanoTime() - t0;
      for (byte[] b : r.versions()) {
        loadedBytes += b.length;
      }
      readNextGroup();
    }
    if (--groupsToLoad > 0) {
      return Effect().none();
    }
    engine.finishLoad();
    loading = false;
    log.info("{}: read its stored state ({} bytes) in {} ms ({} ms applying it, of which {} ms on a CPU; the JVM"
        + " collected garbage for {} ms meanwhile) after {} ms of replay", id, loadedBytes,
        (System.nanoTime() - loadStartedNanos) / 1_000_000, applyNanos / 1_000_000, applyCpuNanos / 1_000_000,
        gcMillis() - loadGcMillisAtStart, (loadStartedNanos - startedNanos) / 1_000_000);
    goLive(engine);
    return Effect().unstashAll();
  }

  // ---- commands ----------------------------------------------------------------------------------

  @Override
  public CommandHandler<OperatorCommand, OperatorEvent, InstanceEngine> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(c -> loading && c instanceof OperatorCommand.Deliver, (s, c) -> answerWhileLoading(
            (OperatorCommand.Deliver) c))
        .onCommand(c -> loading && !(c instanceof OperatorCommand.StoredGroupRead || c instanceof OperatorCommand.Stop
            || c instanceof OperatorCommand.Crash || c == OperatorCommand.HandOff.INSTANCE
            || c instanceof OperatorCommand.SavepointRead || c instanceof OperatorCommand.CaptureDone
            || c instanceof OperatorCommand.RestoreSnapshotted || c == OperatorCommand.RestoreCapture.INSTANCE),
            (s, c) -> Effect().stash())
        .onCommand(OperatorCommand.SavepointRead.class, (s, c) -> onSavepointRead(c))
        .onCommand(OperatorCommand.RestoreCapture.class, (s, c) -> restoreCapture())
        .onCommand(OperatorCommand.RestoreSnapshotted.class, (s, c) -> onRestoreSnapshotted(c))
        .onCommand(OperatorCommand.TakeSavepoint.class, (s, c) -> onTakeSavepoint(c))
        .onCommand(OperatorCommand.SavepointPartStored.class, (s, c) -> onSavepointPartStored(c))
        .onCommand(OperatorCommand.StoredGroupRead.class, (s, c) -> onStoredGroupRead(c))
        .onCommand(OperatorCommand.CaptureDone.class, (s, c) -> onCaptureDone(c))
        .onCommand(OperatorCommand.Deliver.class, this::onDeliver)
        .onCommand(OperatorCommand.Ack.class, this::onAck)
        .onCommand(OperatorCommand.Process.class, (s, c) -> onProcess())
        .onCommand(OperatorCommand.Poll.class, (s, c) -> onPoll())
        .onCommand(OperatorCommand.Tick.class, (s, c) -> onTick())
        .onCommand(OperatorCommand.Start.class, (s, c) -> onStart(c))
        .onCommand(OperatorCommand.Resume.class, (s, c) -> onResume())
        .onCommand(OperatorCommand.Stop.class, (s, c) -> {
          log.info("{}: stopping: {}", id, c.reason());
          return Effect().stop();
        })
        .onCommand(OperatorCommand.HandOff.class, (s, c) -> {
          // commands wait while a step persists: no journal write of this incarnation is in flight now;
          // a capture's chunk writes may be, and the next incarnation must not race them
          if (capture != null) {
            handOffAfterCapture = true;
            log.info("{}: handing off to another node once its capture's writes finished", id);
            return Effect().none();
          }
          log.info("{}: handing off to another node", id);
          return Effect().stop();
        })
        .onCommand(OperatorCommand.SpecFound.class, (s, c) -> Effect().none())
        .onCommand(OperatorCommand.Crash.class, (s, c) -> {
          log.warn("{}: crashing on request (chaos/diagnostics)", id);
          throw new CrashRequested(id);
        })
        .build();
  }

  private Effect<OperatorEvent, InstanceEngine> onDeliver(InstanceEngine s, OperatorCommand.Deliver d) {
    if (!d.jobId().equals(id.jobId())) {
      return Effect().none();
    }
    if (s.deliver(d.fromOperator(), d.fromIndex(), d.seq(), d.watermark(), d.flags(), d.createdAtMillis(), d.payload(),
        d.senderAcked(), System.currentTimeMillis())) {
      scheduleProcess();
    }
    reportProblem();
    return Effect().none();
  }

  /** Not stashed: a stashed batch would go unanswered for the whole read (see {@link InstanceEngine#answerWhileLoading}). */
  private Effect<OperatorEvent, InstanceEngine> answerWhileLoading(OperatorCommand.Deliver d) {
    if (d.jobId().equals(id.jobId())) {
      engine.answerWhileLoading(d.fromOperator(), d.fromIndex());
    }
    return Effect().none();
  }

  private Effect<OperatorEvent, InstanceEngine> onAck(InstanceEngine s, OperatorCommand.Ack a) {
    if (!a.jobId().equals(id.jobId())) {
      return Effect().none();
    }
    if (s.acked(a.fromOperator(), a.fromIndex(), a.upTo(), a.resend(), System.nanoTime())) {
      if (s.isSource()) {
        schedulePoll(0);
      } else {
        scheduleProcess();
      }
    }
    reportProblem();
    return Effect().none();
  }

  private void scheduleProcess() {
    if (!processScheduled && !engine.isSource()) {
      processScheduled = true;
      ctx.getSelf().tell(OperatorCommand.Process.INSTANCE);
    }
  }

  private void schedulePoll(long delayMillis) {
    if (!pollScheduled && engine.isSource()) {
      pollScheduled = true;
      if (delayMillis <= 0) {
        ctx.getSelf().tell(OperatorCommand.Poll.INSTANCE);
      } else {
        timers.startSingleTimer("poll", OperatorCommand.Poll.INSTANCE, Duration.ofMillis(delayMillis));
      }
    }
  }

  private Effect<OperatorEvent, InstanceEngine> onProcess() {
    processScheduled = false;
    long now = System.currentTimeMillis();
    long t0 = System.nanoTime();
    OperatorEvent e = engine.process(now);
    if (e == null) {
      if (engine.processDueAt() > now) {
        // the commit interval holds the step back: more input may come until then
        timers.startSingleTimer("commit", OperatorCommand.Process.INSTANCE, Duration.ofMillis(engine.processDueAt() - now));
      } else if (engine.inputsReady() && engine.hasCredit() && !engine.blocked(now) && !engine.catchingUp()) {
        scheduleProcess(); // an at-least-once sink consumed without an event
      }
      return Effect().none();
    }
    meters.step(System.nanoTime() - t0);
    return persistStep(e, () -> {
      if (engine.inputsReady()) {
        scheduleProcess();
      }
    });
  }

  /** Whether the job coordinator paused this instance's job for a savepoint, or has not said yet. */
  private boolean paused(long nowMillis) {
    return nowMillis < pausedUntil || !startSeen;
  }

  private Effect<OperatorEvent, InstanceEngine> onPoll() {
    pollScheduled = false;
    if (paused(System.currentTimeMillis())) {
      return Effect().none(); // the next Start or tick polls again
    }
    long t0 = System.nanoTime();
    OperatorEvent e = engine.poll(System.currentTimeMillis());
    inputTrouble(e == null ? engine.inputProblem() : null);
    if (e == null) {
      if (!engine.blocked(System.currentTimeMillis()) && !engine.finished() && engine.hasCredit()
          && !engine.catchingUp()) {
        idlePollMillis = Math.min(settings.idlePollMax().toMillis(), Math.max(1, idlePollMillis * 2));
        schedulePoll(idlePollMillis);
      }
      return Effect().none(); // otherwise an acknowledgement or the resume polls again
    }
    meters.step(System.nanoTime() - t0);
    idlePollMillis = 1;
    boolean full = engine.lastPollFull();
    return persistStep(e, () -> schedulePoll(full || engine.finished() ? 0 : config.batchLinger().toMillis()));
  }

  /**
   * Every write goes through here: persists the event of a step and then sends what it produced,
   * or persists a failure and stops; unless the pause fence forbids writes: then the incarnation
   * stops unwritten.
   */
  private Effect<OperatorEvent, InstanceEngine> persistStep(OperatorEvent e, Runnable then) {
    if (!PauseFence.permitsWrites()) {
      log.error("{}: not persisting: this process was paused past the pause fence and may have been replaced", id);
      return Effect().stop();
    }
    if (e instanceof OperatorEvent.StepFailed f) {
      log.warn("{}: stage '{}' failed (attempt {}){}: {}; restart strategy {}: {}", id, f.stage(), f.attempt(),
          f.record() == null ? "" : " on record " + f.record(), f.error(), config.restartStrategy(), f.decision());
      // the logic is in an undefined state now: persist the failure, stop, and recover from the journal
      return Effect().persist(e).thenRun(st -> {
        if (f.decision() == OperatorEvent.Decision.FAIL) {
          report();
        }
      }).thenStop();
    }
    OperatorEvent.Stepped step = (OperatorEvent.Stepped) e;
    long bytes = InstanceEngine.sizeOf(step);
    if (bytes > InstanceEngine.MAX_EVENT_BYTES) {
      // the journal would refuse it, this incarnation and every next one: say why, and start over
      // from the journal (a new incarnation's first step takes one batch)
      String why = "a step of " + bytes + " bytes (" + step.consumedSeqs().length + " input batch(es), "
          + step.recordsIn() + " records in, " + step.recordsOut() + " out) is larger than the journal's largest"
          + " write (" + InstanceEngine.MAX_EVENT_BYTES + " bytes; Cassandra refuses a message over 16 MiB):"
          + " lower the job's batch size";
      log.error("{}: {}", id, why);
      troubled(why);
      return Effect().stop();
    }
    long writeStarted = System.nanoTime();
    return Effect().persist(e).thenRun(st -> {
      long written = System.nanoTime();
      meters.journalWrite(written - writeStarted);
      engine.afterPersist(step, written);
      maybeCapture();
      checkCatchUp();
      if (engine.finished() && !finishedReported) {
        finishedReported = true;
        log.info("{}: finished (all inputs ended)", id);
        report();
      }
      reportProblem();
      then.run();
    });
  }

  private Effect<OperatorEvent, InstanceEngine> onTick() {
    long nowNanos = System.nanoTime();
    for (int c : engine.tick(nowNanos)) {
      log.warn("{}: {} has answered none of the resends of the last {} s: asking for fresh routes between them",
          id, outTargets[c], engine.silentSeconds(c, nowNanos));
      peers.suspectRoutes(id, outTargets[c]);
    }
    reportProblem();
    if (nowNanos - lastReportNanos > settings.reportEvery().toNanos()) {
      report();
    }
    maybeCapture();
    checkCatchUp();
    if (markerDue()) {
      return persistMarker(); // a written capture's snapshot is taken with the next event
    }
    if (engine.isSource()) {
      schedulePoll(0);
      return Effect().none();
    }
    if (engine.inputsReady()) {
      scheduleProcess();
    }
    long now = System.currentTimeMillis();
    if (paused(now)) {
      return Effect().none(); // no timer fires while the job drains for a savepoint
    }
    long t0 = System.nanoTime();
    OperatorEvent e = engine.onTime(now);
    if (e == null) {
      return Effect().none();
    }
    meters.step(System.nanoTime() - t0);
    return persistStep(e, () -> { });
  }

  private Effect<OperatorEvent, InstanceEngine> onStart(OperatorCommand.Start c) {
    // the coordinator's keep-alive: whether the job is paused, and make sure a source polls
    boolean wasPaused = paused(System.currentTimeMillis());
    pausedUntil = c.pausedUntilMillis();
    startSeen = true;
    if (wasPaused && !paused(System.currentTimeMillis()) && engine.inputsReady()) {
      scheduleProcess();
    }
    if (engine.isSource() && !engine.blocked(System.currentTimeMillis())) {
      schedulePoll(0);
    }
    return Effect().none();
  }

  private Effect<OperatorEvent, InstanceEngine> onResume() {
    engine.resume();
    log.info("{}: retrying after the restart strategy's delay", id);
    wake();
    return Effect().none();
  }

  /** Polls a source, or lets an operator process what is ready: it may step again. */
  private void wake() {
    if (engine.isSource()) {
      schedulePoll(0);
    } else {
      scheduleProcess();
    }
  }

  private void onRecovered(InstanceEngine s) {
    if (job.spec().hasSavepoint() && !recoveredFromSnapshot && s.problem() == null && !s.failed()) {
      restoreFromSavepoint(); // goes live after its first snapshot
    } else if (s.awaitsChunks()) {
      loadStoredState(); // goes live when they are read
    } else {
      goLive(s);
    }
  }

  // ---- savepoints ----------------------------------------------------------------------------------

  /**
   * The first incarnation of an instance of a job started from a savepoint (or one that died
   * before its first snapshot; its journal holds restore markers at most): reads its part of the
   * savepoint, restores the logic from it, stores it as the job's own state and snapshots, and
   * only then runs. A crash before that snapshot starts over from the savepoint.
   */
  private void restoreFromSavepoint() {
    loading = true;
    restoring = true;
    int[] range = engine.logic().savepointRange();
    String sp = job.spec().savepoint();
    String op = engine.logic().operatorName();
    if (range[0] >= range[1]) {
      ctx.getSelf().tell(new OperatorCommand.SavepointRead(null, null)); // no savepoint state in this operator
      return;
    }
    io.sluice.persistence.savepoints.Savepoints savepoints = io.sluice.persistence.savepoints.Savepoints.get(
        ctx.getSystem());
    java.util.concurrent.CompletionStage<io.sluice.core.internal.exec.OperatorSavepoint> read = savepoints.catalog()
        .info(sp).thenCompose(info -> {
          if (info.isEmpty()) {
            throw new SavepointUnusable("savepoint " + sp + " does not exist (was it deleted?)");
          }
          byte[] h = info.get().headers().get(op);
          if (h == null) {
            return java.util.concurrent.CompletableFuture.completedFuture(null); // a new operator: it starts empty
          }
          io.sluice.core.internal.exec.SavepointFormat.Header header;
          try {
            header = io.sluice.core.internal.exec.SavepointFormat.readHeader(h, "savepoint " + sp + ", operator '"
                + op + "'");
          } catch (RuntimeException e) {
            throw new SavepointUnusable(e.getMessage());
          }
          return savepoints.readParts(sp, op, header, range[0], range[1]);
        });
    ctx.pipeToSelf(read, (part, err) -> new OperatorCommand.SavepointRead(part, err));
  }

  /** A savepoint that cannot be restored whatever the retries: the job fails with this. */
  static final class SavepointUnusable extends RuntimeException {
    SavepointUnusable(String message) {
      super(message);
    }
  }

  private Effect<OperatorEvent, InstanceEngine> onSavepointRead(OperatorCommand.SavepointRead r) {
    String sp = job.spec().savepoint();
    if (r.error() != null) {
      Throwable e = r.error() instanceof java.util.concurrent.CompletionException && r.error().getCause() != null
          ? r.error().getCause() : r.error();
      if (e instanceof SavepointUnusable || e instanceof io.sluice.core.codec.CorruptDataException) {
        return restoreFails(e.getMessage());
      }
      log.warn("{}: cannot read its part of savepoint {} yet: {}; stopping to retry", id, sp, e.toString());
      troubled("cannot read its part of savepoint " + sp + ": " + e);
      return Effect().stop();
    }
    if (r.part() == null) {
      return restored(); // nothing of it to restore: it starts empty
    }
    try {
      engine.logic().restoreSavepoint(r.part());
    } catch (RuntimeException e) {
      return restoreFails(e.getMessage());
    }
    log.info("{}: restoring {} bytes of savepoint {}: {}", id, r.part().bytes(), sp, r.part());
    return restoreCapture();
  }

  private Effect<OperatorEvent, InstanceEngine> restoreFails(String why) {
    log.error("{}: cannot restore savepoint {}: {}", id, job.spec().savepoint(), why);
    peers.report(failedReport(id, peers, id.operator() + " (restoring savepoint " + job.spec().savepoint() + ")",
        null, why));
    return Effect().stop();
  }

  /** Stores what the savepoint gave this instance as its job's own state; a snapshot follows. */
  private Effect<OperatorEvent, InstanceEngine> restoreCapture() {
    InstanceEngine.Capture c = engine.startRestoreCapture(lastSequenceNumber(ctx), System.currentTimeMillis());
    capture = c;
    if (c.groups().isEmpty()) {
      engine.captureWritten(c);
      capture = null;
      return persistRestoreMarker();
    }
    writeCapture(c);
    return Effect().none();
  }

  /**
   * Persists an empty step after a restore capture was written: the event the snapshot is taken
   * with. If the capture left key groups unstored (it is bounded in bytes), another one follows.
   */
  private Effect<OperatorEvent, InstanceEngine> persistRestoreMarker() {
    if (!PauseFence.permitsWrites()) {
      log.error("{}: not persisting: this process was paused past the pause fence and may have been replaced", id);
      return Effect().stop();
    }
    restoreSnapshotRequested = false;
    OperatorEvent marker = InstanceEngine.marker(System.currentTimeMillis(), incarnation);
    return Effect().persist(marker).thenRun(st -> {
      if (!restoreSnapshotRequested) {
        ctx.getSelf().tell(OperatorCommand.RestoreCapture.INSTANCE);
      }
    });
  }

  private Effect<OperatorEvent, InstanceEngine> onRestoreSnapshotted(OperatorCommand.RestoreSnapshotted r) {
    if (!restoring) {
      return Effect().none();
    }
    if (r.error() != null) {
      troubled("cannot snapshot the state restored from savepoint " + job.spec().savepoint() + ": " + r.error());
      return Effect().stop(); // the next incarnation restores the savepoint again
    }
    log.info("{}: restored from savepoint {} in {} ms", id, job.spec().savepoint(),
        (System.nanoTime() - startedNanos) / 1_000_000);
    return restored();
  }

  private Effect<OperatorEvent, InstanceEngine> restored() {
    restoring = false;
    loading = false;
    goLive(engine);
    return Effect().unstashAll();
  }

  /** The job coordinator asks for this instance's part of a savepoint: taken only when drained. */
  private Effect<OperatorEvent, InstanceEngine> onTakeSavepoint(OperatorCommand.TakeSavepoint t) {
    if (!t.jobId().equals(id.jobId())) {
      return Effect().none();
    }
    long now = System.currentTimeMillis();
    String notYet = !paused(now) ? "not paused" : engine.failed() || engine.problem() != null ? "failed"
        : engine.unacked() > 0 ? engine.unacked() + " batch(es) unacknowledged"
        : engine.backlog() > 0 ? engine.backlog() + " batch(es) not consumed" : null;
    long[] sent = engine.sentSeqs();
    long[] consumed = engine.consumedSeqs();
    if (notYet != null) {
      peers.savepointPart(new SavepointPartReport(id, incarnation, t.savepointId(), "not drained: " + notYet, null,
          marks(sent, consumed)));
      return Effect().none();
    }
    io.sluice.core.internal.exec.SavepointFormat.Header shape;
    int[] parts;
    try {
      shape = engine.logic().savepointShape();
      parts = shape == null ? new int[0] : engine.logic().savepointParts();
    } catch (RuntimeException e) {
      peers.savepointPart(new SavepointPartReport(id, incarnation, t.savepointId(), "cannot take its part: " + e,
          null, marks(sent, consumed)));
      return Effect().none();
    }
    if (shape == null) {
      peers.savepointPart(new SavepointPartReport(id, incarnation, t.savepointId(), null, null, marks(sent,
          consumed)));
      return Effect().none();
    }
    for (SavepointWrite earlier : savepointWrites.values()) {
      earlier.abandoned = true; // it stops making parts, and reports what it stored: the coordinator removes it
    }
    SavepointWrite w = new SavepointWrite(t.savepointId(), shape, parts, sent, consumed);
    savepointWrites.put(t.savepointId(), w);
    for (int i = 0; i < settings.groupsInFlight() && w.writeNext(); i++) {
      // up to groups-in-flight parts are made and written at once
    }
    if (w.inFlight == 0) {
      finishSavepointWrite(w);
    }
    return Effect().none();
  }

  /**
   * This instance's part of a savepoint being stored, part by part (key group or split), at most
   * {@code sluice.state.groups-in-flight} parts made and in flight at a time: a savepoint holds a
   * few key groups' bytes, not the instance's state again.
   */
  private final class SavepointWrite {
    final String savepointId;
    final io.sluice.core.internal.exec.SavepointFormat.Header shape;
    final java.util.ArrayDeque<Integer> left = new java.util.ArrayDeque<>();
    final java.util.TreeMap<Integer, Long> sizes = new java.util.TreeMap<>();
    final long[] sent;
    final long[] consumed;
    int inFlight;
    Throwable error;
    boolean abandoned;

    SavepointWrite(String savepointId, io.sluice.core.internal.exec.SavepointFormat.Header shape, int[] parts,
        long[] sent, long[] consumed) {
      this.savepointId = savepointId;
      this.shape = shape;
      for (int p : parts) {
        left.add(p);
      }
      this.sent = sent;
      this.consumed = consumed;
    }

    /** Makes the next part and starts its write; false if none is left. */
    boolean writeNext() {
      Integer part = abandoned || error != null ? null : left.poll();
      if (part == null) {
        return false;
      }
      byte[] bytes = engine.logic().savepointPart(part);
      sizes.put(part, (long) bytes.length);
      inFlight++;
      ctx.pipeToSelf(io.sluice.persistence.savepoints.Savepoints.get(ctx.getSystem()).writePart(savepointId,
          engine.logic().operatorName(), part, bytes), (v, err) -> new OperatorCommand.SavepointPartStored(savepointId,
          part, err));
      return true;
    }
  }

  /** The savepoint parts being stored, by savepoint id (an earlier attempt's, abandoned, until its writes end). */
  private final java.util.Map<String, SavepointWrite> savepointWrites = new java.util.HashMap<>();

  private Effect<OperatorEvent, InstanceEngine> onSavepointPartStored(OperatorCommand.SavepointPartStored s) {
    SavepointWrite w = savepointWrites.get(s.savepointId());
    if (w == null) {
      return Effect().none();
    }
    w.inFlight--;
    if (s.error() != null && w.error == null) {
      w.error = s.error();
    }
    if (!w.writeNext() && w.inFlight == 0) {
      finishSavepointWrite(w);
    }
    return Effect().none();
  }

  /** Every part is stored (or one failed, or a newer attempt came): tells the job coordinator. */
  private void finishSavepointWrite(SavepointWrite w) {
    savepointWrites.remove(w.savepointId);
    String error = w.abandoned ? "a newer attempt came" : w.error != null ? "cannot store its part: " + w.error
        : !java.util.Arrays.equals(engine.sentSeqs(), w.sent) || !java.util.Arrays.equals(engine.consumedSeqs(),
            w.consumed) ? "its channels moved while its part was stored" : null;
    io.sluice.core.internal.exec.SavepointFormat.Header h = new io.sluice.core.internal.exec.SavepointFormat.Header(
        w.shape.keyed(), w.shape.maxParallelism(), w.shape.layout(), w.shape.splits(), w.sizes);
    // the header goes with an error too: the coordinator removes the parts it names
    peers.savepointPart(new SavepointPartReport(id, incarnation, w.savepointId, error,
        io.sluice.core.internal.exec.SavepointFormat.write(h), marks(w.sent, w.consumed)));
  }

  private java.util.Map<String, Long> marks(long[] sent, long[] consumed) {
    java.util.Map<String, Long> m = new java.util.HashMap<>();
    int self = engine.logic().operator().index();
    for (int c = 0; c < sent.length; c++) {
      io.sluice.core.internal.plan.PhysicalPlan.ChannelRef r = engine.output(c);
      m.put(SavepointPartReport.channel(self, id.index(), r.peerOperator(), r.peerInstance()), sent[c]);
    }
    for (int c = 0; c < consumed.length; c++) {
      io.sluice.core.internal.plan.PhysicalPlan.ChannelRef r = engine.input(c);
      m.put(SavepointPartReport.channel(r.peerOperator(), r.peerInstance(), self, id.index()), consumed[c]);
    }
    return m;
  }

  private void goLive(InstanceEngine s) {
    long tookMs = (System.nanoTime() - startedNanos) / 1_000_000;
    boolean runs = s.problem() == null && s.recovered(System.currentTimeMillis(), System.nanoTime());
    if (s.problem() != null) {
      reportProblem();
      return;
    }
    if (s.recordsIn() > 0 || s.recordsOut() > 0 || s.unacked() > 0) {
      meters.recovered(System.nanoTime() - startedNanos);
      log.info("{}: recovered in {} ms on {}: {} records in, {} out, {} unacknowledged batches", id, tookMs,
          peers.nodeName(), s.recordsIn(), s.recordsOut(), s.unacked());
    }
    if (s.failed()) {
      log.warn("{}: the job failed here: stage '{}': {}", id, s.lastFailure().stage(), s.lastFailure().error());
      report();
      return;
    }
    if (!runs) {
      return;
    }
    long now = System.currentTimeMillis();
    if (s.pausedUntil() > now) {
      timers.startSingleTimer("resume", OperatorCommand.Resume.INSTANCE, Duration.ofMillis(s.pausedUntil() - now));
    }
    timers.startTimerWithFixedDelay("tick", OperatorCommand.Tick.INSTANCE, settings.tick());
    if (s.isSource()) {
      schedulePoll(0);
    }
    report();
  }

  /** Shows (or clears) why a source cannot read its input, as the instance's trouble. */
  private void inputTrouble(String why) {
    if (why != null && !why.equals(trouble)) {
      log.warn("{}: cannot read its input: {}", id, why);
      troubled(why);
      inputTroubled = true;
    } else if (why == null && inputTroubled) {
      inputTroubled = false;
      if (trouble != null) {
        log.info("{}: reads its input again", id);
        trouble = null;
        report();
      }
    }
  }

  /** Tells the job coordinator why this instance cannot make progress now (it will retry). */
  private void troubled(String why) {
    if (trouble == null) {
      troubleSince = System.currentTimeMillis();
    }
    trouble = why;
    report();
  }

  /** Once: logs why this instance cannot run, and tells the job coordinator. */
  private void reportProblem() {
    if (engine.problem() != null && !problemReported) {
      problemReported = true;
      log.error("{}", engine.problem());
      report();
    }
  }

  private void report() {
    lastReportNanos = System.nanoTime();
    meters.counts(engine.recordsIn(), engine.recordsOut(), engine.deadLetters(), engine.backlog(), engine.unacked());
    long[] latency = engine.drainLatency();
    meters.endToEnd(latency);
    OperatorEvent.StepFailed f = engine.failed() ? engine.lastFailure() : null;
    String problem = engine.problem();
    String stage = f != null ? f.stage() : problem != null ? id.operator() + " (recovery)" : null;
    String error = f != null ? f.error() : problem;
    peers.report(new InstanceReport(id, peers.nodeName(), incarnation, engine.recordsIn(), engine.recordsOut(),
        engine.backlog(), engine.unacked(), engine.finished(), stage, f == null ? null : f.record(), error,
        engine.deadLetters(), latency, engine.firstInputMillis(), engine.lastInputMillis(),
        trouble != null ? trouble : engine.retrying(),
        trouble != null ? troubleSince : engine.retryingSinceMillis()));
  }
}
