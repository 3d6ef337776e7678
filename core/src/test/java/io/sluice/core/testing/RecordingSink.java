package io.sluice.core.testing;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** A test sink that remembers which sink instance received which records (idempotent by batch id). */
final class RecordingSink<T> implements Sink<T> {
  private static final Comparator<BatchId> ORDER = Comparator.comparingInt(BatchId::sinkInstance)
      .thenComparing(BatchId::upstream).thenComparingInt(BatchId::upstreamInstance).thenComparingLong(BatchId::sequence);
  private static final Map<String, ConcurrentSkipListMap<BatchId, List<Object>>> STORE = new ConcurrentHashMap<>();
  private final String name;

  RecordingSink(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return DeliveryGuarantee.EXACTLY_ONCE;
  }

  @Override
  public SinkWriter<T> createWriter(Context context) {
    var store = STORE.computeIfAbsent(context.jobId() + "/" + name, k -> new ConcurrentSkipListMap<>(ORDER));
    return (id, records) -> store.put(id, List.copyOf(records));
  }

  /** What sink instance {@code instance} received, in batch order. */
  @SuppressWarnings("unchecked")
  List<T> received(String jobId, int instance) {
    List<T> out = new ArrayList<>();
    var store = STORE.getOrDefault(jobId + "/" + name, new ConcurrentSkipListMap<>(ORDER));
    store.forEach((id, records) -> {
      if (id.sinkInstance() == instance) {
        out.addAll((List<T>) records);
      }
    });
    return out;
  }
}
