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
 *       merged with every session of the key it touches.
 *   <li>A window fires when the watermark reaches its {@link Window#maxTimestamp()} (an event-time
 *       timer per window), and is removed {@code allowedLateness} later.
 *   <li>A record for a window that fired but is within the allowed lateness updates it and fires
 *       it again at once, marked late. A record all of whose windows are past their lateness is
 *       late: it goes to the late side output, or is dropped and counted.
 * </ul>
 *
 * The windows of a key live in slot 0 as a list sorted by start, encoded as
 * {@code count {start:zigzag end:zigzag fired:u8 accumulator:value}}.
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

    Win(long start, long end, Object acc) {
      this.start = start;
      this.end = end;
      this.acc = acc;
    }

    long maxTimestamp() {
      return end - 1;
    }
  }

  /** The windows of a key, sorted by start. */
  static final class Wins {
    final ArrayList<Win> list = new ArrayList<>(2);
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
    backend.register(new KeyedBackend.Slot("windows", StateSpec.Kind.VALUE, 0, new KeyedBackend.SlotCodec() {
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
          int fired = in.readUnsignedByte();
          if (fired > 1) {
            throw new CorruptDataException("window state: invalid fired flag " + fired);
          }
          Win x = new Win(s, e, acc.decoded(codec.read(in, scope)));
          x.fired = fired == 1;
          w.list.add(x);
        }
        return w;
      }
    }));
  }

  long droppedLate() {
    return droppedLate;
  }

  private Wins wins() {
    Object v = backend.get(0);
    return v == null ? new Wins() : (Wins) v;
  }

  private boolean isLate(long maxTimestamp) {
    long wm = watermark.getAsLong();
    return wm != Long.MIN_VALUE && maxTimestamp + lateness <= wm;
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
    backend.set(0, wins.list.isEmpty() ? null : wins);
    if (!accepted) {
      droppedLate++;
      late.emit(record, ts);
    }
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
        registerTimers(w);
      }
      w.acc = acc.add(w.acc, record);
      if (w.maxTimestamp() <= watermark.getAsLong()) {
        emit(key, w, true);
      }
    }
    return accepted;
  }

  private boolean addToSession(Object key, Wins wins, Object record, long ts) {
    // as Flink: merge first, then decide lateness on the merged window; a record inside a session
    // that has not expired joins it even if its own [ts, ts + gap) is behind the watermark
    long end = ts + def.sizeMillis();
    for (Win w : wins.list) {
      if (w.start < ts + def.sizeMillis() && ts < w.end) {
        end = Math.max(end, w.end);
      }
    }
    if (isLate(end - 1)) {
      return false;
    }
    Win merged = new Win(ts, ts + def.sizeMillis(), acc.add(acc.create(), record));
    for (int i = 0; i < wins.list.size(); ) {
      Win w = wins.list.get(i);
      if (w.start < merged.end && merged.start < w.end) {
        merged.start = Math.min(merged.start, w.start);
        merged.end = Math.max(merged.end, w.end);
        merged.acc = acc.merge(w.acc, merged.acc);
        wins.list.remove(i);
      } else {
        i++;
      }
    }
    insert(wins, merged);
    registerTimers(merged);
    if (merged.maxTimestamp() <= watermark.getAsLong()) {
      emit(key, merged, true);
    }
    return true;
  }

  private void registerTimers(Win w) {
    backend.registerEventTimer(w.maxTimestamp());
    if (lateness > 0) {
      backend.registerEventTimer(w.maxTimestamp() + lateness);
    }
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
      if (w.maxTimestamp() + lateness <= t) {
        wins.list.remove(i);
      } else {
        i++;
      }
    }
    backend.set(0, wins.list.isEmpty() ? null : wins);
  }

  private void emit(Object key, Win w, boolean lateFiring) {
    w.fired = true;
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
