package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.dsl.KeySelector;
import io.sluice.core.dsl.TimeDomain;
import io.sluice.core.internal.codec.ValueCodec;
import io.sluice.core.internal.plan.LogicalOperator;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.Partitioning;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.internal.plan.Port;

/**
 * INTERNAL API: a keyed stateful step (reduce, aggregate, process, window) and its chain. Keyed
 * state lives in a {@link KeyedBackend}; a step's change holds the entries it touched. The
 * instance's snapshot does not hold the keyed state: key groups are stored in chunks
 * ({@link ChunkedState}), and the snapshot holds their manifest and the entries changed since:
 *
 * <pre>
 *   snapshot (format 3) := header flags:u8 channels manifest sinceCapture:bytes
 * </pre>
 *
 * ({@link KeyedBackend#writeManifest}, {@link KeyedBackend#writeSinceCapture}). A format-2 snapshot
 * holds every entry; restoring one stores every key group anew at the next capture.
 */
final class KeyedInstance extends ConsumingInstance implements ChunkedState {
  private final KeyedBackend backend;
  private final KeyedLogic logic;
  private final KeySelector<Object, Object> keySelector;
  private final String stage;
  private final ValueCodec.Scope scope = new ValueCodec.Scope();
  private boolean opened;
  private boolean restoring;
  private int restoredVersion;
  /** After a format-3 restore: the entries changed since the stored state, and the changes replayed since. */
  private byte[] pendingInline;
  private final java.util.List<PendingChange> pendingChanges = new java.util.ArrayList<>();

  /** A change replayed while the stored state was loading, applied after it. */
  private record PendingChange(int version, byte[] body) {}
  private boolean awaitsChunks;
  /** The entries changed since the last capture, encoded by {@link #prepareSnapshot} for the next snapshot. */
  private byte[] preparedInline;

  KeyedInstance(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int index) {
    super(ctx, op, index);
    LogicalOperator head = ctx.plan().logical().get(op.head());
    this.stage = head.name();
    this.keySelector = ((Partitioning.Keyed) head.input().partitioning()).key();
    int[] range = KeyedBackend.keyGroupRange(index, op.parallelism(), ctx.plan().config().maxParallelism());
    this.backend = new KeyedBackend(ctx.codec(), ctx.plan().config().maxParallelism(), range[0], range[1]);
    Emitter main = chain.emitterFor(head.id(), Port.MAIN);
    Emitter late = chain.emitterFor(head.id(), Port.LATE);
    OpSpec spec = head.spec();
    if (spec instanceof OpSpec.ReduceSpec r) {
      logic = new KeyedLogic.Reduce(stage, r.fn(), main);
    } else if (spec instanceof OpSpec.AggregateSpec a) {
      logic = new KeyedLogic.Aggregate(stage, a.fn(), main);
    } else if (spec instanceof OpSpec.ProcessSpec p) {
      logic = new KeyedLogic.Process(stage, p.factory(), main, index, op.parallelism());
    } else if (spec instanceof OpSpec.WindowSpec w) {
      logic = new WindowLogic(stage, w, main, late, ctx.codec());
    } else {
      throw new IllegalStateException("not a keyed step: " + head);
    }
    logic.bind(backend, this::watermark);
  }

  @Override
  public Kind kind() {
    return Kind.KEYED;
  }

  @Override
  public void open() {
    ensureOpen();
  }

  private void ensureOpen() {
    if (!opened) {
      logic.open();
      opened = true;
    }
  }

  @Override
  protected void consume(InputBatch batch) {
    ensureOpen();
    backend.setNow(now);
    RecordBatch rs = batch.records();
    for (int i = 0; i < rs.size(); i++) {
      Object rec = rs.get(i);
      long ts = rs.timestamp(i);
      if (isolation) {
        backend.beginRecord();
        int[] mark = outputs.mark();
        try {
          element(rec, ts);
          backend.commitRecord();
        } catch (UserCodeException e) {
          backend.rollbackRecord();
          outputs.reset(mark);
          sendDeadLetter(deadLetterOf(e));
        }
      } else {
        element(rec, ts);
      }
    }
  }

  private void element(Object rec, long ts) {
    Object key = Chain.keyOf(keySelector, rec, stage);
    backend.setCurrentKey(key);
    logic.processElement(key, rec, ts);
  }

  @Override
  protected void onWatermark(long watermark) {
    ensureOpen();
    backend.setNow(now);
    KeyedBackend.Due due;
    while ((due = backend.pollEventTimer(watermark)) != null) {
      fire(due, TimeDomain.EVENT_TIME);
    }
  }

  private void fire(KeyedBackend.Due due, TimeDomain domain) {
    if (!isolation) {
      logic.onTimer(due.key(), due.timestamp(), domain);
      return;
    }
    backend.beginRecord();
    int[] mark = outputs.mark();
    try {
      logic.onTimer(due.key(), due.timestamp(), domain);
      backend.commitRecord();
    } catch (UserCodeException e) {
      backend.rollbackRecord();
      outputs.reset(mark);
      // the rollback restored the fired timer: drop it, or it would fire forever
      backend.setCurrentKey(due.key());
      if (domain == TimeDomain.EVENT_TIME) {
        backend.deleteEventTimer(due.timestamp());
      } else {
        backend.deleteProcTimer(due.timestamp());
      }
      sendDeadLetter(deadLetterOf(e));
    }
  }

  @Override
  protected void onEndOfInput() {
    onWatermark(Long.MAX_VALUE);
  }

  @Override
  protected boolean onProcessingTime() {
    ensureOpen();
    backend.setNow(now);
    boolean any = false;
    KeyedBackend.Due due;
    while ((due = backend.pollProcTimer(now)) != null) {
      fire(due, TimeDomain.PROCESSING_TIME);
      any = true;
    }
    return backend.expire(now) > 0 || any;
  }

  @Override
  public long nextDeadline() {
    return finished ? Long.MAX_VALUE : Math.min(backend.nextProcTimer(), backend.nextExpiry());
  }

  @Override
  protected boolean bodyChanged() {
    return backend.hasChanges();
  }

  @Override
  protected void writeBody(ByteWriter out, boolean all) {
    scope.clear();
    if (all) {
      backend.writeAll(out, scope);
    } else {
      backend.writeChanges(out, scope);
    }
  }

  @Override
  protected int snapshotVersion(boolean canonical) {
    return canonical ? 2 : 3;
  }

  @Override
  protected void writeAll(ByteWriter out, boolean canonical) {
    scope.clear();
    if (canonical) {
      backend.writeAllSorted(out, scope);
      return;
    }
    if (awaitsChunks) {
      throw new IllegalStateException(this + ": a snapshot before the stored state was loaded");
    }
    backend.writeManifest(out);
    byte[] inline = preparedInline;
    preparedInline = null;
    if (inline == null) {
      ByteWriter w = new ByteWriter(256);
      backend.writeSinceCapture(w, scope);
      inline = w.toByteArray();
    }
    out.writeByteArray(inline);
  }

  @Override
  protected void readBody(ByteReader in) {
    ensureOpen();
    if (readVersion == 3) {
      if (!restoring) {
        throw new io.sluice.core.codec.CorruptDataException(this + ": a format-3 body outside a snapshot");
      }
      backend.readManifest(in);
      byte[] inline = in.readByteArray();
      if (backend.storedGroups().length == 0) {
        applyBody(inline, 2);
      } else {
        pendingInline = inline;
        awaitsChunks = true;
      }
      return;
    }
    if (awaitsChunks) {
      pendingChanges.add(new PendingChange(readVersion, in.readRaw(in.remaining())));
      if (readVersion != 2 && readVersion != 4) {
        throw new io.sluice.core.codec.CorruptDataException(this + ": a format-" + readVersion
            + " change after a format-3 snapshot");
      }
      return;
    }
    scope.clear();
    if (readVersion == 1) {
      backend.readLegacyChanges(in, scope);
    } else {
      backend.readChanges(in, scope, readVersion == 4);
    }
  }

  /** Applies a snapshot body (format 2 or 1) or a change of format {@code version}. */
  private void applyBody(byte[] body, int version) {
    ByteReader r = new ByteReader(body);
    scope.clear();
    if (version == 1) {
      backend.readLegacyChanges(r, scope);
    } else {
      backend.readChanges(r, scope, version == 4);
    }
    r.expectEnd(this + " keyed state");
  }

  @Override
  public void restore(byte[] snapshot) {
    awaitsChunks = false;
    pendingInline = null;
    pendingChanges.clear();
    restoring = true;
    try {
      super.restore(snapshot);
      restoredVersion = readVersion;
    } finally {
      restoring = false;
    }
    if (restoredVersion < 3) {
      backend.storeEverythingAnew(); // its state was in the snapshot, not in chunks
    }
  }

  // ---- savepoints -------------------------------------------------------------------------------

  @Override
  public OperatorSavepoint savepoint() {
    java.util.TreeMap<Integer, byte[]> groups = new java.util.TreeMap<>();
    for (int kg : savepointParts()) {
      groups.put(kg, savepointPart(kg));
    }
    return new OperatorSavepoint.Keyed(backend.layout(), ctx.plan().config().maxParallelism(), groups);
  }

  @Override
  public SavepointFormat.Header savepointShape() {
    return new SavepointFormat.Header(true, ctx.plan().config().maxParallelism(), backend.layout(), 0,
        new java.util.TreeMap<>());
  }

  @Override
  public int[] savepointParts() {
    ensureOpen();
    if (awaitsChunks) {
      throw new IllegalStateException(this + ": a savepoint before the stored state was loaded");
    }
    return backend.occupiedGroups();
  }

  @Override
  public byte[] savepointPart(int keyGroup) {
    ByteWriter w = new ByteWriter(256);
    scope.clear();
    backend.writeGroup(keyGroup, false, true, w, scope);
    return w.toByteArray();
  }

  @Override
  public int[] savepointRange() {
    return new int[] {backend.firstKeyGroup(), backend.endKeyGroup()};
  }

  @Override
  public void restoreSavepoint(OperatorSavepoint part) {
    ensureOpen();
    if (!(part instanceof OperatorSavepoint.Keyed k)) {
      throw new IllegalArgumentException("operator '" + op.name() + "' is keyed, but the savepoint has " + part
          + " for it");
    }
    if (k.maxParallelism() != ctx.plan().config().maxParallelism()) {
      throw new IllegalArgumentException("operator '" + op.name() + "': the savepoint's key groups are of max"
          + " parallelism " + k.maxParallelism() + ", the job's is " + ctx.plan().config().maxParallelism()
          + "; max parallelism cannot change across a savepoint");
    }
    java.util.List<String> now = backend.layout();
    if (k.layout().size() > now.size() || !now.subList(0, k.layout().size()).equals(k.layout())) {
      throw new IllegalArgumentException("operator '" + op.name() + "': its state is " + now + " now but "
          + k.layout() + " in the savepoint; a stateful step keeps its states' names, kinds and order across a"
          + " savepoint, and may add states after them (they start empty)");
    }
    if (backend.size() > 0) {
      throw new IllegalStateException(this + ": restoring a savepoint into state that is not empty");
    }
    for (var g : k.groups().subMap(backend.firstKeyGroup(), backend.endKeyGroup()).entrySet()) {
      ByteReader r = new ByteReader(g.getValue());
      scope.clear();
      backend.readGroup(g.getKey(), r, scope);
      r.expectEnd(this + ": key group " + g.getKey() + " of the savepoint");
    }
    backend.storeEverythingAnew(); // the job's own stored state must hold it before the savepoint is let go
  }

  // ---- chunked state --------------------------------------------------------------------------

  @Override
  public ChunkedState chunkedState() {
    return this;
  }

  @Override
  public java.util.List<KeyedBackend.GroupCapture> capture(long version, int maxDeltas, long maxBytes) {
    if (awaitsChunks) {
      throw new IllegalStateException(this + ": a capture before the stored state was loaded");
    }
    return backend.capture(version, maxDeltas, maxBytes, scope);
  }

  @Override
  public boolean storedIsComplete() {
    return backend.storedIsComplete();
  }

  @Override
  public void captureWritten(java.util.List<KeyedBackend.GroupCapture> captures, int[] chunks) {
    backend.captureWritten(captures, chunks);
  }

  @Override
  public void captureFailed(java.util.List<KeyedBackend.GroupCapture> captures) {
    backend.captureFailed(captures);
  }

  @Override
  public long changedSinceCapture() {
    return backend.changedSinceCapture();
  }

  @Override
  public boolean prepareSnapshot(long maxBytes) {
    preparedInline = null;
    ByteWriter w = new ByteWriter(256);
    scope.clear();
    if (!backend.writeSinceCapture(w, scope, maxBytes)) {
      return false;
    }
    preparedInline = w.toByteArray();
    return true;
  }

  @Override
  public int[] storedGroups() {
    return backend.storedGroups();
  }

  @Override
  public java.util.List<KeyedBackend.Stored> stored(int keyGroup) {
    return backend.stored(keyGroup);
  }

  @Override
  public int firstKeyGroup() {
    return backend.firstKeyGroup();
  }

  @Override
  public int endKeyGroup() {
    return backend.endKeyGroup();
  }

  @Override
  public boolean awaitsChunks() {
    return awaitsChunks;
  }

  @Override
  public java.util.List<Part> toLoad() {
    java.util.List<Part> out = new java.util.ArrayList<>();
    for (int kg : backend.storedGroups()) {
      for (KeyedBackend.Stored st : backend.stored(kg)) {
        out.add(new Part(kg, st));
      }
    }
    return out;
  }

  @Override
  public java.util.List<Part> storedPartsOf(byte[] snapshot) {
    ByteReader in = openBody(snapshot);
    if (readVersion != 3) {
      return java.util.List.of(); // the state is in the snapshot itself
    }
    backend.readManifest(in);
    return toLoad();
  }

  @Override
  public void loadGroup(int keyGroup, java.util.List<byte[]> versions) {
    if (!awaitsChunks) {
      throw new IllegalStateException(this + ": nothing to load");
    }
    java.util.List<KeyedBackend.Stored> parts = backend.stored(keyGroup);
    if (parts.size() != versions.size()) {
      throw new io.sluice.core.codec.CorruptDataException(this + ": key group " + keyGroup + " has " + parts.size()
          + " stored versions, " + versions.size() + " were read");
    }
    for (int i = 0; i < parts.size(); i++) {
      KeyedBackend.Stored st = parts.get(i);
      byte[] bytes = versions.get(i);
      if (bytes.length != st.bytes()) {
        throw new io.sluice.core.codec.CorruptDataException(this + ": stored version " + st.version()
            + " of key group " + keyGroup + " has " + bytes.length + " bytes, its manifest says " + st.bytes());
      }
      ByteReader r = new ByteReader(bytes);
      scope.clear();
      backend.readGroup(keyGroup, r, scope);
      r.expectEnd(this + ": stored version " + st.version() + " of key group " + keyGroup);
    }
  }

  @Override
  public void finishLoad() {
    if (!awaitsChunks) {
      throw new IllegalStateException(this + ": nothing to load");
    }
    awaitsChunks = false;
    applyBody(pendingInline, 2);
    pendingInline = null;
    for (PendingChange c : pendingChanges) {
      applyBody(c.body(), c.version());
    }
    pendingChanges.clear();
  }


  @Override
  protected void resetBody() {
    backend.clear();
  }

  /** The keyed state, for tests. */
  KeyedBackend backend() {
    return backend;
  }
}
