package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.ProcessWindowFunction;
import io.sluice.core.dsl.ReduceFn;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.TimeDomain;
import io.sluice.core.dsl.Window;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.internal.codec.ValueCodec;
import io.sluice.core.internal.plan.OpSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * INTERNAL API: event-time windows over keyed state, with Flink's semantics.
 *
 * <ul>
 *   <li>A record goes to every window it falls in; for session windows, to {@code [t, t + gap)},
 *       merged with every session of the key it overlaps or touches: {@code [a, b)} and
 *       {@code [b, c)} merge, so records exactly one gap apart are one session.
 *   <li>A window fires when the watermark reaches its {@link Window#maxTimestamp()} (an event-time
 *       timer per window), and is removed {@code allowedLateness} later (at its cleanup time; one
 *       that would overflow is {@code Long.MAX_VALUE}, the end of input).
 *   <li>A record for a window that fired but is within the allowed lateness updates it and fires
 *       it again at once, marked late. A record all of whose windows are past their lateness is
 *       late: it goes to the late side output, or is dropped and counted.
 * </ul>
 *
 * The windows of a key live in slot 0, sorted by start; a step's change holds only the windows it
 * changed or removed (see {@link WinsCodec}). The key's event-time timers are derived from its
 * windows — one at each unfired window's end, one at each window's end plus the allowed lateness —
 * and are never persisted.
 */
final class WindowLogic extends KeyedLogic {
  private final WindowDefinition def;
  private final long lateness;
  private final Emitter main;
  private final Emitter late;
  private final Acc acc;
  private final ValueCodec codec;
  private long droppedLate;

  /** One window of a key. */
  static final class Win {
    long start;
    long end;
    boolean fired;
    Object acc;
    /** Changed since the last commit. */
    boolean dirty = true;
    /**
     * Accumulators that only ever grow at the end ({@link Acc#appendOnly}): elements written so
     * far, or -1 (write the accumulator in full).
     */
    int committed = -1;

    Win(long start, long end, Object acc) {
      this.start = start;
      this.end = end;
      this.acc = acc;
    }

    long maxTimestamp() {
      return end - 1;
    }
  }

  /** The windows of a key, sorted by start, with the starts removed since the last commit. */
  static final class Wins implements Tracked {
    final ArrayList<Win> list = new ArrayList<>(2);
    /** Starts of windows removed since the last commit; null after a replacement (write in full). */
    ArrayList<Long> removed;

    @Override
    public void replaced() {
      removed = null;
    }

    void remove(int i) {
      Win w = list.remove(i);
      if (removed != null) {
        removed.add(w.start);
      }
    }
  }

  WindowLogic(String stage, OpSpec.WindowSpec spec, Emitter main, Emitter late, ValueCodec codec) {
    super(stage);
    this.def = spec.definition();
    this.lateness = spec.allowedLatenessMillis();
    this.main = main;
    this.late = late;
    this.codec = codec;
    this.acc = Acc.of(stage, spec.fn());
  }

  @Override
  void open() {
    backend.register(new KeyedBackend.Slot("windows", StateSpec.Kind.VALUE, 0, new WinsCodec()));
    backend.setTimerDeriver((slots, into) -> {
      Wins wins = (Wins) slots[0];
      if (wins == null) {
        return;
      }
      for (Win w : wins.list) {
        if (!w.fired) {
          into.add(w.maxTimestamp());
        }
        if (lateness > 0) {
          into.add(cleanupTime(w));
        }
      }
    });
  }

  /**
   * <pre>
   *   full  := count:varint {start:zigzag end:zigzag fired:u8 accumulator:value}      (as format 1)
   *   delta := puts:varint {start:unit-delta [length:varlong] fired:u8 accKind:u8 acc}
   *            removes:varint {start:unit-delta}
   *   accKind := 0 accumulator:value | 1 appended:varint {element:value}  (list accumulators)
   * </pre>
   * Starts in a delta are zig-zag differences to the previous start written in the same unit (a
   * step's change, a capture: {@link ValueCodec.Scope#writeUnits}), in units of the slide for
   * tumbling and sliding windows (their starts are multiples of it, and their length is the size,
   * not written) and of 1 ms for sessions.
   */
  final class WinsCodec implements KeyedBackend.SlotCodec {
    private final boolean fixed = def.kind() != WindowDefinition.Kind.SESSION;
    private final long unit = fixed ? def.slideMillis() : 1;

    @Override
    public void write(ByteWriter out, Object value, ValueCodec.Scope scope) {
      Wins w = (Wins) value;
      out.writeVarInt(w.list.size());
      for (Win x : w.list) {
        out.writeVarLongSigned(x.start).writeVarLongSigned(x.end).writeByte(x.fired ? 1 : 0);
        codec.write(out, x.acc, scope);
      }
    }

    @Override
    public Object read(ByteReader in, ValueCodec.Scope scope) {
      int n = in.readCount();
      Wins w = new Wins();
      for (int i = 0; i < n; i++) {
        long s = in.readVarLongSigned();
        long e = in.readVarLongSigned();
        boolean fired = fired(in.readUnsignedByte());
        Win x = new Win(s, e, acc.decoded(codec.read(in, scope)));
        x.fired = fired;
        w.list.add(x);
      }
      return w;
    }

    private boolean fired(int flag) {
      if (flag > 1) {
        throw new CorruptDataException("window state: invalid fired flag " + flag);
      }
      return flag == 1;
    }

    @Override
    public boolean hasDelta(Object value) {
      return ((Wins) value).removed != null;
    }

    @Override
    public void writeDelta(ByteWriter out, Object value, ValueCodec.Scope scope) {
      Wins w = (Wins) value;
      int puts = 0;
      for (Win x : w.list) {
        if (x.dirty) {
          puts++;
        }
      }
      out.writeVarInt(puts);
      for (Win x : w.list) {
        if (!x.dirty) {
          continue;
        }
        writeStart(out, x.start, scope);
        if (!fixed) {
          out.writeVarLong(x.end - x.start);
        }
        out.writeByte(x.fired ? 1 : 0);
        if (x.committed >= 0 && x.acc instanceof List<?> l && x.committed <= l.size()) {
          out.writeByte(1).writeVarInt(l.size() - x.committed);
          for (int i = x.committed; i < l.size(); i++) {
            codec.write(out, l.get(i), scope);
          }
        } else {
          out.writeByte(0);
          codec.write(out, x.acc, scope);
        }
      }
      out.writeVarInt(w.removed.size());
      for (long start : w.removed) {
        writeStart(out, start, scope);
      }
    }

    /** A window start relative to the previous one written in the unit: in slides (fixed windows) or ms. */
    private void writeStart(ByteWriter out, long start, ValueCodec.Scope scope) {
      if (fixed) {
        scope.writeUnits(out, start / unit);
      } else {
        scope.writeTime(out, start);
      }
    }

    private long readStart(ByteReader in, ValueCodec.Scope scope) {
      return fixed ? scope.readUnits(in) * unit : scope.readTime(in);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object applyDelta(ByteReader in, Object current, ValueCodec.Scope scope) {
      Wins w = current == null ? new Wins() : (Wins) current;
      int puts = in.readCount();
      List<Win> put = new ArrayList<>(puts);
      for (int i = 0; i < puts; i++) {
        long start = readStart(in, scope);
        long end = fixed ? start + def.sizeMillis() : start + in.readVarLong();
        boolean fired = fired(in.readUnsignedByte());
        int kind = in.readUnsignedByte();
        Object a;
        if (kind == 0) {
          a = acc.decoded(codec.read(in, scope));
        } else if (kind == 1) {
          Win old = find(w, start);
          if (old == null || !(old.acc instanceof List<?>)) {
            throw new CorruptDataException("window state: elements appended to window [" + start + ", " + end
                + ") that holds no list");
          }
          a = old.acc;
          int n = in.readCount();
          for (int k = 0; k < n; k++) {
            ((List<Object>) a).add(codec.read(in, scope));
          }
        } else {
          throw new CorruptDataException("window state: invalid accumulator kind " + kind);
        }
        Win x = new Win(start, end, a);
        x.fired = fired;
        put.add(x);
      }
      int removes = in.readCount();
      for (int i = 0; i < removes; i++) {
        long start = readStart(in, scope);
        for (int k = 0; k < w.list.size(); k++) {
          if (w.list.get(k).start == start) {
            w.list.remove(k);
            break;
          }
        }
      }
      for (Win x : put) {
        for (int k = 0; k < w.list.size(); k++) {
          if (w.list.get(k).start == x.start) {
            w.list.remove(k);
            break;
          }
        }
        insert(w, x);
      }
      return w.list.isEmpty() ? null : w;
    }

    @Override
    public void committed(Object value) {
      Wins w = (Wins) value;
      for (Win x : w.list) {
        x.dirty = false;
        x.committed = acc.appendOnly() ? ((List<?>) x.acc).size() : -1;
      }
      if (w.removed == null) {
        w.removed = new ArrayList<>();
      } else {
        w.removed.clear();
      }
    }
  }

  long droppedLate() {
    return droppedLate;
  }

  private Wins wins() {
    return (Wins) backend.update(0, Wins::new);
  }

  /**
   * When window {@code w} is removed: {@code allowedLateness} after its max timestamp, or
   * {@code Long.MAX_VALUE} if that overflows (so a lateness of {@code Long.MAX_VALUE} ms keeps
   * windows to the end of input instead of making every record late).
   */
  private long cleanupTime(Win w) {
    return cleanupTime(w.maxTimestamp());
  }

  private long cleanupTime(long maxTimestamp) {
    long t = maxTimestamp + lateness;
    return t >= maxTimestamp ? t : Long.MAX_VALUE;
  }

  /** True if a window with this max timestamp is past its cleanup time: records for it are late. */
  private boolean isLate(long maxTimestamp) {
    long wm = watermark.getAsLong();
    return wm != Long.MIN_VALUE && cleanupTime(maxTimestamp) <= wm;
  }

  @Override
  void processElement(Object key, Object record, long ts) {
    if (ts == RecordBatch.NO_TIMESTAMP) {
      throw new UserCodeException(stage, record, new IllegalStateException("record has no event time"));
    }
    Wins wins = wins();
    boolean accepted = def.kind() == WindowDefinition.Kind.SESSION
        ? addToSession(key, wins, record, ts)
        : addToFixed(key, wins, record, ts);
    done(wins);
    if (!accepted) {
      droppedLate++;
      late.emit(record, ts);
    }
  }

  /** After a change of the key's windows: an empty set is cleared, timers follow the windows. */
  private void done(Wins wins) {
    if (wins.list.isEmpty()) {
      backend.set(0, null);
    }
    backend.syncDerivedTimers();
  }

  private boolean addToFixed(Object key, Wins wins, Object record, long ts) {
    long size = def.sizeMillis();
    long slide = def.slideMillis();
    long lastStart = ts - Math.floorMod(ts, slide);
    boolean accepted = false;
    for (long start = lastStart; start > ts - size; start -= slide) {
      long end = start + size;
      if (isLate(end - 1)) {
        continue;
      }
      accepted = true;
      Win w = find(wins, start);
      if (w == null) {
        w = new Win(start, end, acc.create());
        insert(wins, w);
      }
      w.acc = acc.add(w.acc, record);
      w.dirty = true;
      if (w.maxTimestamp() <= watermark.getAsLong()) {
        emit(key, w, true);
      }
    }
    return accepted;
  }

  private boolean addToSession(Object key, Wins wins, Object record, long ts) {
    // as Flink: merge first, then decide lateness on the merged window; a record inside a session
    // that has not expired joins it even if its own [ts, ts + gap) is behind the watermark.
    // The merged session covers the record's window and every session that touches it, directly or
    // through another one (sessions restored from state written before touching sessions merged
    // may touch each other).
    long start = ts;
    long end = ts + def.sizeMillis();
    for (boolean grew = true; grew; ) {
      grew = false;
      for (Win w : wins.list) {
        if (touches(w, start, end) && (w.start < start || w.end > end)) {
          start = Math.min(start, w.start);
          end = Math.max(end, w.end);
          grew = true;
        }
      }
    }
    if (isLate(end - 1)) {
      return false;
    }
    Win merged = new Win(start, end, acc.add(acc.create(), record));
    for (int i = 0; i < wins.list.size(); ) {
      Win w = wins.list.get(i);
      if (touches(w, start, end)) {
        merged.acc = acc.merge(w.acc, merged.acc);
        wins.remove(i);
      } else {
        i++;
      }
    }
    insert(wins, merged);
    if (merged.maxTimestamp() <= watermark.getAsLong()) {
      emit(key, merged, true);
    }
    return true;
  }

  /**
   * True if session {@code w} overlaps or touches {@code [start, end)}: as Flink's sessions, a
   * window ending exactly where the other starts merges with it, so records exactly one gap apart
   * are one session.
   */
  private static boolean touches(Win w, long start, long end) {
    return w.start <= end && start <= w.end;
  }

  private static Win find(Wins wins, long start) {
    for (Win w : wins.list) {
      if (w.start == start) {
        return w;
      }
    }
    return null;
  }

  private static void insert(Wins wins, Win w) {
    int i = 0;
    while (i < wins.list.size() && wins.list.get(i).start < w.start) {
      i++;
    }
    wins.list.add(i, w);
  }

  @Override
  void onTimer(Object key, long t, TimeDomain domain) {
    Wins wins = wins();
    for (int i = 0; i < wins.list.size(); ) {
      Win w = wins.list.get(i);
      if (!w.fired && w.maxTimestamp() <= t) {
        emit(key, w, false);
      }
      if (cleanupTime(w) <= t) {
        wins.remove(i);
      } else {
        i++;
      }
    }
    done(wins);
  }

  private void emit(Object key, Win w, boolean lateFiring) {
    if (!w.fired) {
      w.fired = true;
      w.dirty = true;
    }
    acc.emit(key, w, lateFiring, main);
  }

  /** The three flavours of window functions behind one accumulator interface. */
  abstract static class Acc {
    final String stage;

    Acc(String stage) {
      this.stage = stage;
    }

    static Acc of(String stage, OpSpec.WindowFn fn) {
      if (fn instanceof OpSpec.WindowReduce r) {
        return new ReduceAcc(stage, r.fn());
      }
      if (fn instanceof OpSpec.WindowAggregate a) {
        return new AggregateAcc(stage, a.fn());
      }
      return new ProcessAcc(stage, ((OpSpec.WindowProcess) fn).fn());
    }

    abstract Object create();

    abstract Object add(Object acc, Object record);

    abstract Object merge(Object a, Object b);

    abstract void emit(Object key, Win w, boolean late, Emitter out);

    /** Turns a decoded accumulator into the in-memory form. */
    Object decoded(Object acc) {
      return acc;
    }

    /**
     * Whether the accumulator is a list that Sluice itself only appends to, so a change may hold
     * just the elements appended since the last commit. Never true for a user's accumulator: a
     * user function may sort, replace or trim a list, and only the whole list replays that.
     */
    boolean appendOnly() {
      return false;
    }
  }

  static final class ReduceAcc extends Acc {
    private final ReduceFn<Object> fn;

    ReduceAcc(String stage, ReduceFn<Object> fn) {
      super(stage);
      this.fn = fn;
    }

    @Override
    Object create() {
      return null;
    }

    @Override
    Object add(Object acc, Object record) {
      return merge(acc, record);
    }

    @Override
    Object merge(Object a, Object b) {
      if (a == null) {
        return b;
      }
      if (b == null) {
        return a;
      }
      try {
        Object r = fn.apply(a, b);
        if (r == null) {
          throw new NullPointerException("reduce returned null");
        }
        return r;
      } catch (Exception e) {
        throw new UserCodeException(stage, b, e);
      }
    }

    @Override
    void emit(Object key, Win w, boolean late, Emitter out) {
      out.emit(new WindowResult<>(key, w.start, w.end, w.acc, late), w.maxTimestamp());
    }
  }

  static final class AggregateAcc extends Acc {
    private final AggregateFunction<Object, Object, Object> fn;

    AggregateAcc(String stage, AggregateFunction<Object, Object, Object> fn) {
      super(stage);
      this.fn = fn;
    }

    @Override
    Object create() {
      try {
        return fn.createAccumulator();
      } catch (RuntimeException e) {
        throw new UserCodeException(stage + " (createAccumulator)", null, e);
      }
    }

    @Override
    Object add(Object acc, Object record) {
      try {
        return fn.add(acc, record);
      } catch (Exception e) {
        throw new UserCodeException(stage, record, e);
      }
    }

    @Override
    Object merge(Object a, Object b) {
      try {
        return fn.merge(a, b);
      } catch (Exception e) {
        throw new UserCodeException(stage + " (merge)", null, e);
      }
    }

    @Override
    void emit(Object key, Win w, boolean late, Emitter out) {
      Object r;
      try {
        r = fn.result(w.acc);
      } catch (Exception e) {
        throw new UserCodeException(stage + " (result of window [" + w.start + ", " + w.end + ") of key " + key + ")",
            null, e);
      }
      out.emit(new WindowResult<>(key, w.start, w.end, r, late), w.maxTimestamp());
    }
  }

  static final class ProcessAcc extends Acc {
    private final ProcessWindowFunction<Object, Object, Object> fn;

    ProcessAcc(String stage, ProcessWindowFunction<Object, Object, Object> fn) {
      super(stage);
      this.fn = fn;
    }

    @Override
    Object create() {
      return new ArrayList<>();
    }

    @Override
    @SuppressWarnings("unchecked")
    Object add(Object acc, Object record) {
      ((ArrayList<Object>) acc).add(record);
      return acc;
    }

    @Override
    @SuppressWarnings("unchecked")
    Object merge(Object a, Object b) {
      ArrayList<Object> out = new ArrayList<>((List<Object>) a);
      out.addAll((List<Object>) b);
      return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    Object decoded(Object acc) {
      return new ArrayList<>((List<Object>) acc);
    }

    @Override
    boolean appendOnly() {
      return true;
    }

    @Override
    @SuppressWarnings("unchecked")
    void emit(Object key, Win w, boolean late, Emitter out) {
      Collector<Object> c = r -> {
        if (r == null) {
          throw new UserCodeException(stage, null, new NullPointerException("window function emitted null"));
        }
        out.emit(r, w.maxTimestamp());
      };
      try {
        fn.process(key, new Window(w.start, w.end), Collections.unmodifiableList((List<Object>) w.acc), c);
      } catch (UserCodeException e) {
        throw e;
      } catch (Exception e) {
        throw new UserCodeException(stage + " (window [" + w.start + ", " + w.end + ") of key " + key + ")", null, e);
      }
    }
  }
}
