package io.sluice.core.internal.engine;

import io.sluice.core.internal.codec.BatchCodec;
import io.sluice.core.internal.exec.RecordBatch;

/**
 * INTERNAL API: a record batch in a message, decoded, encoded, or both. Encoding happens at most
 * once and only when needed: for the journal (outputs of stateful operators) or when the message
 * leaves the JVM; a batch sent to an instance in the same JVM travels as objects. Both forms are
 * immutable once set.
 */
public final class BatchPayload {
  private volatile RecordBatch decoded;
  private volatile byte[] bytes;

  private BatchPayload(RecordBatch decoded, byte[] bytes) {
    this.decoded = decoded;
    this.bytes = bytes;
  }

  public static BatchPayload of(RecordBatch batch) {
    return new BatchPayload(batch, null);
  }

  public static BatchPayload ofBytes(byte[] bytes) {
    return new BatchPayload(null, bytes);
  }

  public static BatchPayload of(RecordBatch batch, byte[] bytes) {
    return new BatchPayload(batch, bytes);
  }

  /** The records, decoding them with {@code codec} if only the bytes are here. */
  public RecordBatch decoded(BatchCodec codec) {
    RecordBatch d = decoded;
    if (d == null) {
      synchronized (codec) {
        d = codec.fromBytes(bytes);
      }
      decoded = d;
    }
    return d;
  }

  /** The bytes, encoding the records with {@code codec} if only the records are here. */
  public byte[] bytes(BatchCodec codec) {
    byte[] b = bytes;
    if (b == null) {
      synchronized (codec) {
        b = codec.toBytes(decoded);
      }
      bytes = b;
    }
    return b;
  }

  public boolean hasBytes() {
    return bytes != null;
  }

  public boolean hasRecords() {
    return decoded != null;
  }

  /** The number of records, if known without decoding; -1 otherwise. */
  public int sizeIfDecoded() {
    RecordBatch d = decoded;
    return d == null ? -1 : d.size();
  }

  @Override
  public String toString() {
    return "BatchPayload(" + (decoded != null ? decoded.size() + " records" : "") + (bytes != null ? " "
        + bytes.length + " bytes" : "") + ")";
  }
}
