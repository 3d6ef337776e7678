package io.sluice.core.dsl;

/**
 * The general keyed operator: keyed state, timers, any number of outputs per record, as Flink's
 * {@code KeyedProcessFunction}. Sluice creates one instance per operator instance from the
 * supplier given to {@link KeyedStage#process}, calls {@link #open} once, then the callbacks,
 * always from one thread at a time.
 *
 * <pre>{@code
 * class CountWithTimeout extends KeyedProcessFunction<String, Click, KV<String, Long>> {
 *   private ValueState<Long> count;
 *
 *   public void open(OpenContext ctx) {
 *     count = ctx.state(StateSpec.value("count"));
 *   }
 *
 *   public void processElement(Click c, Context<String> ctx, Collector<KV<String, Long>> out) {
 *     count.update(count.valueOr(0L) + 1);
 *     ctx.timers().registerEventTimeTimer(ctx.timestamp() + 60_000);
 *   }
 *
 *   public void onTimer(long time, TimeDomain domain, Context<String> ctx, Collector<KV<String, Long>> out) {
 *     out.collect(KV.of(ctx.key(), count.value()));
 *     count.clear();
 *   }
 * }
 * }</pre>
 *
 * <p>Determinism: state changes and outputs are persisted as they happen, so recovery never calls
 * the function again for records it already processed; but an exception makes Sluice retry the
 * whole input batch per the job's restart strategy.
 *
 * @param <K> key type
 * @param <I> input type
 * @param <O> output type
 */
public abstract class KeyedProcessFunction<K, I, O> {
  /** Declares state. Called once per operator instance before any record. */
  public void open(OpenContext ctx) throws Exception {}

  public abstract void processElement(I value, Context<K> ctx, Collector<O> out) throws Exception;

  /** Called when a timer of {@code ctx.key()} fires. */
  public void onTimer(long timestamp, TimeDomain domain, Context<K> ctx, Collector<O> out) throws Exception {}

  /** Registration of state handles. */
  public interface OpenContext {
    /** Registers the state and returns its handle; the handle reads and writes the current key's state. */
    <S> S state(StateSpec<S> spec);

    /** This instance's index in {@code [0, parallelism)}. */
    int instanceIndex();

    int parallelism();
  }

  /** What a callback can see of the current key and time. */
  public interface Context<K> {
    K key();

    /** The event time of the current record (or the timer's time in onTimer); Long.MIN_VALUE if none. */
    long timestamp();

    TimerService timers();
  }
}
