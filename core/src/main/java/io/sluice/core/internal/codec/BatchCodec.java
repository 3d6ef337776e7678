package io.sluice.core.internal.codec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.exec.RecordBatch;

/**
 * INTERNAL API: the binary form of a {@link RecordBatch}, version 1.
 *
 * <pre>
 *   batch      := version:u8(=1) flags:u8 count:varint [timestamps] value{count}
 *   flags      := bit 0: records carry event timestamps
 *   timestamps := first:zigzag-varlong delta{count-1}:zigzag-varlong
 *   value      := {@link ValueCodec} encoding, one type scope for the whole batch
 * </pre>
 *
 * Timestamps are delta-encoded: records of a batch are usually close in time, so most deltas
 * take one or two bytes.
 */
public final class BatchCodec {
  public static final int VERSION = 1;
  private static final int F_TIMESTAMPS = 1;

  private final ValueCodec values;
  private final ValueCodec.Scope scope = new ValueCodec.Scope();

  public BatchCodec(ValueCodec values) {
    this.values = values;
  }

  /** Not thread-safe: one codec per thread (or per instance). */
  public void write(ByteWriter out, RecordBatch batch) {
    int n = batch.size();
    out.writeByte(VERSION).writeByte(batch.timestamped() ? F_TIMESTAMPS : 0).writeVarInt(n);
    if (batch.timestamped() && n > 0) {
      long prev = batch.timestamp(0);
      out.writeVarLongSigned(prev);
      for (int i = 1; i < n; i++) {
        long t = batch.timestamp(i);
        out.writeVarLongSigned(t - prev);
        prev = t;
      }
    }
    scope.clear();
    for (int i = 0; i < n; i++) {
      values.write(out, batch.get(i), scope);
    }
  }

  public byte[] toBytes(RecordBatch batch) {
    ByteWriter w = new ByteWriter(64 + batch.size() * 16);
    write(w, batch);
    return w.toByteArray();
  }

  public RecordBatch read(ByteReader in) {
    int version = in.readUnsignedByte();
    if (version != VERSION) {
      throw new CorruptDataException("record batch format version " + version + " is not supported (expected "
          + VERSION + ")");
    }
    int flags = in.readUnsignedByte();
    if ((flags & ~F_TIMESTAMPS) != 0) {
      throw new CorruptDataException("record batch has unknown flags " + flags);
    }
    int n = in.readCount();
    boolean ts = (flags & F_TIMESTAMPS) != 0;
    long[] stamps = null;
    if (ts && n > 0) {
      stamps = new long[n];
      long prev = in.readVarLongSigned();
      stamps[0] = prev;
      for (int i = 1; i < n; i++) {
        prev += in.readVarLongSigned();
        stamps[i] = prev;
      }
    }
    RecordBatch b = new RecordBatch(n, ts);
    scope.clear();
    for (int i = 0; i < n; i++) {
      b.add(values.read(in, scope), stamps == null ? RecordBatch.NO_TIMESTAMP : stamps[i]);
    }
    return b;
  }

  public RecordBatch fromBytes(byte[] bytes) {
    ByteReader r = new ByteReader(bytes);
    RecordBatch b = read(r);
    r.expectEnd("record batch");
    return b;
  }
}
