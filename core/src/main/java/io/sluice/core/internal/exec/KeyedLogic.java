package io.sluice.core.internal.exec;

import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.ListState;
import io.sluice.core.dsl.MapState;
import io.sluice.core.dsl.ReduceFn;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.TimeDomain;
import io.sluice.core.dsl.TimerService;
import io.sluice.core.dsl.ValueState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** INTERNAL API: what a keyed step does with one record or one timer of the current key. */
abstract class KeyedLogic {
  protected final String stage;
  protected KeyedBackend backend;
  protected LongSupplier watermark;

  KeyedLogic(String stage) {
    this.stage = stage;
  }

  void bind(KeyedBackend backend, LongSupplier watermark) {
    this.backend = backend;
    this.watermark = watermark;
  }

  /** Registers state slots, in a fixed order. */
  abstract void open();

  /** Handles a record; the backend's current key is {@code key}. */
  abstract void processElement(Object key, Object record, long timestamp);

  void onTimer(Object key, long timestamp, TimeDomain domain) {}

  /** A running reduction: slot 0 holds the accumulated value. */
  static final class Reduce extends KeyedLogic {
    private final ReduceFn<Object> fn;
    private final Emitter out;

    Reduce(String stage, ReduceFn<Object> fn, Emitter out) {
      super(stage);
      this.fn = fn;
      this.out = out;
    }

    @Override
    void open() {
      backend.register(new KeyedBackend.Slot("reduce", StateSpec.Kind.VALUE, 0, null));
      backend.setTimerDeriver(KeyedBackend.NO_TIMERS);
    }

    @Override
    void processElement(Object key, Object record, long timestamp) {
      Object acc = backend.peek(0);
      Object next;
      if (acc == null) {
        next = record;
      } else {
        try {
          next = fn.apply(acc, record);
        } catch (Exception ex) {
          throw new UserCodeException(stage, record, ex);
        }
        if (next == null) {
          throw new UserCodeException(stage, record, new NullPointerException("reduce returned null"));
        }
      }
      backend.set(0, next);
      out.emit(next, timestamp);
    }
  }

  /** A running aggregation: slot 0 holds the accumulator; emits (key, result). */
  static final class Aggregate extends KeyedLogic {
    private final AggregateFunction<Object, Object, Object> fn;
    private final Emitter out;

    Aggregate(String stage, AggregateFunction<Object, Object, Object> fn, Emitter out) {
      super(stage);
      this.fn = fn;
      this.out = out;
    }

    @Override
    void open() {
      backend.register(new KeyedBackend.Slot("aggregate", StateSpec.Kind.VALUE, 0, null));
      backend.setTimerDeriver(KeyedBackend.NO_TIMERS);
    }

    @Override
    void processElement(Object key, Object record, long timestamp) {
      Object result;
      try {
        Object acc = backend.peek(0);
        if (acc == null) {
          acc = fn.createAccumulator();
        }
        acc = fn.add(acc, record);
        backend.set(0, acc);
        result = fn.result(acc);
      } catch (Exception ex) {
        throw new UserCodeException(stage, record, ex);
      }
      out.emit(KV.of(key, result), timestamp);
    }
  }

  /** A user {@link KeyedProcessFunction} with its state handles and timers. */
  static final class Process extends KeyedLogic {
    private final Supplier<? extends KeyedProcessFunction<Object, Object, Object>> factory;
    private final Emitter out;
    private final int instance;
    private final int parallelism;
    private KeyedProcessFunction<Object, Object, Object> fn;
    private long currentTimestamp;
    private final Collector<Object> collector;
    private final KeyedProcessFunction.Context<Object> context;

    Process(String stage, Supplier<? extends KeyedProcessFunction<Object, Object, Object>> factory, Emitter out,
        int instance, int parallelism) {
      super(stage);
      this.factory = factory;
      this.out = out;
      this.instance = instance;
      this.parallelism = parallelism;
      this.collector = r -> {
        if (r == null) {
          throw new UserCodeException(stage, null, new NullPointerException("process function emitted null"));
        }
        this.out.emit(r, currentTimestamp);
      };
      TimerService timers = new TimerService() {
        @Override
        public long currentWatermark() {
          return watermark.getAsLong();
        }

        @Override
        public long currentProcessingTime() {
          return backend.now();
        }

        @Override
        public void registerEventTimeTimer(long timestamp) {
          backend.registerEventTimer(timestamp);
        }

        @Override
        public void deleteEventTimeTimer(long timestamp) {
          backend.deleteEventTimer(timestamp);
        }

        @Override
        public void registerProcessingTimeTimer(long timestamp) {
          backend.registerProcTimer(timestamp);
        }

        @Override
        public void deleteProcessingTimeTimer(long timestamp) {
          backend.deleteProcTimer(timestamp);
        }
      };
      this.context = new KeyedProcessFunction.Context<>() {
        @Override
        public Object key() {
          return backend.currentKey();
        }

        @Override
        public long timestamp() {
          return currentTimestamp;
        }

        @Override
        public TimerService timers() {
          return timers;
        }
      };
    }

    @Override
    void open() {
      try {
        fn = factory.get();
      } catch (RuntimeException e) {
        throw new UserCodeException(stage + " (creating the function)", null, e);
      }
      if (fn == null) {
        throw new UserCodeException(stage, null, new NullPointerException("the function factory returned null"));
      }
      try {
        fn.open(new KeyedProcessFunction.OpenContext() {
          @Override
          @SuppressWarnings("unchecked")
          public <S> S state(StateSpec<S> spec) {
            long ttl = spec.ttl().map(d -> d.toMillis()).orElse(0L);
            int slot = backend.register(new KeyedBackend.Slot(spec.name(), spec.kind(), ttl, null));
            switch (spec.kind()) {
              case VALUE:
                return (S) new ValueHandle(backend, slot);
              case LIST:
                return (S) new ListHandle(backend, slot);
              default:
                return (S) new MapHandle(backend, slot);
            }
          }

          @Override
          public int instanceIndex() {
            return instance;
          }

          @Override
          public int parallelism() {
            return parallelism;
          }
        });
      } catch (UserCodeException e) {
        throw e;
      } catch (Exception e) {
        throw new UserCodeException(stage + " (open)", null, e);
      }
    }

    @Override
    void processElement(Object key, Object record, long timestamp) {
      currentTimestamp = timestamp;
      try {
        fn.processElement(record, context, collector);
      } catch (UserCodeException e) {
        throw e;
      } catch (Exception e) {
        throw new UserCodeException(stage, record, e);
      }
    }

    @Override
    void onTimer(Object key, long timestamp, TimeDomain domain) {
      currentTimestamp = domain == TimeDomain.EVENT_TIME ? timestamp : RecordBatch.NO_TIMESTAMP;
      try {
        fn.onTimer(timestamp, domain, context, collector);
      } catch (UserCodeException e) {
        throw e;
      } catch (Exception e) {
        throw new UserCodeException(stage + " (timer " + domain + " " + timestamp + " of key " + key + ")", null, e);
      }
    }
  }

  static final class ValueHandle implements ValueState<Object> {
    private final KeyedBackend backend;
    private final int slot;

    ValueHandle(KeyedBackend backend, int slot) {
      this.backend = backend;
      this.slot = slot;
    }

    @Override
    public Object value() {
      return backend.get(slot);
    }

    @Override
    public void update(Object value) {
      backend.set(slot, value);
    }

    @Override
    public void clear() {
      backend.set(slot, null);
    }
  }

  static final class ListHandle implements ListState<Object> {
    private final KeyedBackend backend;
    private final int slot;

    ListHandle(KeyedBackend backend, int slot) {
      this.backend = backend;
      this.slot = slot;
    }

    @Override
    public List<Object> get() {
      Object v = backend.peek(slot);
      // a snapshot, as documented: add() appends to the stored list in place
      return v == null ? List.of()
          : Collections.unmodifiableList(new ArrayList<>(((TrackedList) v).items()));
    }

    @Override
    public void add(Object value) {
      ((TrackedList) backend.update(slot, () -> new TrackedList(new ArrayList<>())))
          .add(value);
    }

    @Override
    public void update(List<Object> values) {
      if (values != null && !values.isEmpty() && backend.peek(slot) instanceof TrackedList l && l.committed > 0) {
        // keeping some of the stored items: written as which it keeps, not in full
        TrackedList live = (TrackedList) backend.update(slot, () -> l);
        if (live == l && l.retain(values)) {
          return;
        }
      }
      backend.set(slot, values == null || values.isEmpty() ? null : new TrackedList(new ArrayList<>(values)));
    }

    @Override
    public void clear() {
      backend.set(slot, null);
    }
  }

  static final class MapHandle implements MapState<Object, Object> {
    private final KeyedBackend backend;
    private final int slot;

    MapHandle(KeyedBackend backend, int slot) {
      this.backend = backend;
      this.slot = slot;
    }

    private Map<Object, Object> view() {
      Object v = backend.peek(slot);
      return v == null ? Map.of() : ((TrackedMap) v).items();
    }

    private TrackedMap mutable() {
      return (TrackedMap) backend.update(slot, () -> new TrackedMap(new LinkedHashMap<>()));
    }

    @Override
    public Object get(Object key) {
      return view().get(key);
    }

    @Override
    public void put(Object key, Object value) {
      mutable().put(key, value);
    }

    @Override
    public void remove(Object key) {
      if (!view().containsKey(key)) {
        return;
      }
      TrackedMap m = mutable();
      m.remove(key);
      if (m.items().isEmpty()) {
        backend.set(slot, null);
      }
    }

    @Override
    public boolean contains(Object key) {
      return view().containsKey(key);
    }

    @Override
    public Map<Object, Object> entries() {
      // a snapshot, as documented: put() and remove() change the stored map in place
      return Collections.unmodifiableMap(new LinkedHashMap<>(view()));
    }

    @Override
    public void clear() {
      backend.set(slot, null);
    }
  }
}
