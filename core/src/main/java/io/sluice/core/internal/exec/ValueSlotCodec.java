package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.internal.codec.ValueCodec;

/** A plain value: always written in full. */
final class ValueSlotCodec implements KeyedBackend.SlotCodec {
  private final ValueCodec codec;

  ValueSlotCodec(ValueCodec codec) {
    this.codec = codec;
  }

  @Override
  public void write(ByteWriter out, Object value, ValueCodec.Scope scope) {
    codec.write(out, value, scope);
  }

  @Override
  public Object read(ByteReader in, ValueCodec.Scope scope) {
    return codec.read(in, scope);
  }
}
