package io.sluice.core.connector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A sink that keeps what it receives in this JVM's memory, per job, keyed by batch id (so a batch
 * written twice is kept once). For tests and single-JVM runs; it does not survive the JVM.
 *
 * @param <T> the record type
 */
public final class CollectingSink<T> implements Sink<T> {
  private static final Comparator<BatchId> ORDER = Comparator.comparing(BatchId::upstream)
      .thenComparingInt(BatchId::upstreamInstance).thenComparingLong(BatchId::sequence)
      .thenComparingInt(BatchId::sinkInstance);
  private static final Map<String, ConcurrentSkipListMap<BatchId, List<Object>>> STORE = new ConcurrentHashMap<>();
  private static final Map<String, Boolean> ENDED = new ConcurrentHashMap<>();

  private final String name;

  CollectingSink(String name) {
    this.name = Objects.requireNonNull(name, "sink name");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return DeliveryGuarantee.EXACTLY_ONCE;
  }

  private String slot(String jobId) {
    return jobId + "/" + name;
  }

  @Override
  public SinkWriter<T> createWriter(Context context) {
    String slot = slot(context.jobId());
    ConcurrentSkipListMap<BatchId, List<Object>> store = STORE.computeIfAbsent(slot,
        k -> new ConcurrentSkipListMap<>(ORDER));
    return new SinkWriter<>() {
      @Override
      public void write(BatchId id, List<T> records) {
        store.put(id, List.copyOf(records));
      }

      @Override
      public void endOfStream() {
        ENDED.put(slot + "/" + context.instanceIndex(), true);
      }
    };
  }

  /** Everything written for {@code jobId}, ordered by upstream instance and batch sequence. */
  @SuppressWarnings("unchecked")
  public List<T> results(String jobId) {
    List<T> out = new ArrayList<>();
    ConcurrentSkipListMap<BatchId, List<Object>> store = STORE.get(slot(jobId));
    if (store != null) {
      for (List<Object> batch : store.values()) {
        out.addAll((List<T>) batch);
      }
    }
    return out;
  }

  /** True once instance {@code instance} saw the end of every input. */
  public boolean ended(String jobId, int instance) {
    return ENDED.containsKey(slot(jobId) + "/" + instance);
  }

  /** Forgets what was collected for {@code jobId}. */
  public void clear(String jobId) {
    STORE.remove(slot(jobId));
    ENDED.keySet().removeIf(k -> k.startsWith(slot(jobId) + "/"));
  }

  @Override
  public String describe() {
    return "collecting(in memory)";
  }
}
