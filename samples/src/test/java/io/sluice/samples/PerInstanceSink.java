package io.sluice.samples;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test sink that keeps each batch under its id, as the file sink does with its parts, so that
 * what each sink instance wrote can be read back separately. Exactly-once: a batch written again
 * replaces itself.
 */
final class PerInstanceSink implements Sink<String> {
  private static final Map<String, Map<String, List<String>>> BATCHES = new ConcurrentHashMap<>();
  private final String name;

  PerInstanceSink(String name) {
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
  public SinkWriter<String> createWriter(Context context) {
    Map<String, List<String>> job = BATCHES.computeIfAbsent(context.jobId() + "/" + name,
        j -> new ConcurrentHashMap<>());
    return (BatchId id, List<String> records) -> job.put(id.asFileName(), List.copyOf(records));
  }

  /** The lines of job {@code jobId} per sink instance, each in batch-id order (as file parts sort). */
  Map<Integer, List<String>> linesByInstance(String jobId) {
    Map<Integer, List<String>> out = new TreeMap<>();
    new TreeMap<>(BATCHES.getOrDefault(jobId + "/" + name, Map.of())).forEach((id, lines) ->
        out.computeIfAbsent(Integer.parseInt(id.substring(0, 4)), i -> new ArrayList<>()).addAll(lines));
    return out;
  }
}
