package io.sluice.core.connector;

import java.util.Objects;

/** Drops every record. */
final class DiscardingSink<T> implements Sink<T> {
  private final String name;

  DiscardingSink(String name) {
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

  @Override
  public SinkWriter<T> createWriter(Context context) {
    return (id, records) -> { };
  }

  @Override
  public String describe() {
    return "discarding";
  }
}
