package io.sluice.core.connector;

import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs records at INFO under the logger {@code io.sluice.sink.<name>}. At-least-once. */
final class LoggingSink<T> implements Sink<T> {
  private final String name;

  LoggingSink(String name) {
    this.name = Objects.requireNonNull(name, "sink name");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return DeliveryGuarantee.AT_LEAST_ONCE;
  }

  @Override
  public SinkWriter<T> createWriter(Context context) {
    Logger log = LoggerFactory.getLogger("io.sluice.sink." + name);
    return (id, records) -> {
      for (T r : records) {
        log.info("{} [{}]: {}", name, context.instanceIndex(), r);
      }
    };
  }

  @Override
  public String describe() {
    return "logging";
  }
}
