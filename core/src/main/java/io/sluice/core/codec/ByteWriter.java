package io.sluice.core.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer with the primitives of Sluice's binary formats
 * (big-endian fixed-width integers, unsigned LEB128 varints, zig-zag signed varints,
 * length-prefixed UTF-8 strings and byte arrays).
 *
 * <p>Not thread-safe. A writer may be {@link #reset() reset} and reused to avoid garbage on hot
 * paths.
 */
public final class ByteWriter {
  private byte[] buf;
  private int pos;

  public ByteWriter() {
    this(256);
  }

  public ByteWriter(int initialCapacity) {
    this.buf = new byte[Math.max(16, initialCapacity)];
  }

  public int size() {
    return pos;
  }

  public ByteWriter reset() {
    pos = 0;
    return this;
  }

  /** A copy of the bytes written so far. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  /** The backing array; only the first {@link #size()} bytes are meaningful. */
  public byte[] array() {
    return buf;
  }

  private void ensure(int more) {
    int need = pos + more;
    if (need > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
    }
  }

  public ByteWriter writeByte(int b) {
    ensure(1);
    buf[pos++] = (byte) b;
    return this;
  }

  public ByteWriter writeBoolean(boolean b) {
    return writeByte(b ? 1 : 0);
  }

  public ByteWriter writeBytes(byte[] bytes, int off, int len) {
    ensure(len);
    System.arraycopy(bytes, off, buf, pos, len);
    pos += len;
    return this;
  }

  public ByteWriter writeRaw(byte[] bytes) {
    return writeBytes(bytes, 0, bytes.length);
  }

  public ByteWriter writeInt(int v) {
    ensure(4);
    buf[pos] = (byte) (v >>> 24);
    buf[pos + 1] = (byte) (v >>> 16);
    buf[pos + 2] = (byte) (v >>> 8);
    buf[pos + 3] = (byte) v;
    pos += 4;
    return this;
  }

  public ByteWriter writeLong(long v) {
    ensure(8);
    for (int i = 7; i >= 0; i--) {
      buf[pos + i] = (byte) v;
      v >>>= 8;
    }
    pos += 8;
    return this;
  }

  public ByteWriter writeDouble(double v) {
    return writeLong(Double.doubleToRawLongBits(v));
  }

  /** Unsigned LEB128; negative values take 10 bytes, so prefer {@link #writeVarLongSigned}. */
  public ByteWriter writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
    return this;
  }

  public ByteWriter writeVarInt(int v) {
    ensure(5);
    while ((v & ~0x7F) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
    return this;
  }

  /** Zig-zag encoded so that small negative numbers stay small. */
  public ByteWriter writeVarLongSigned(long v) {
    return writeVarLong((v << 1) ^ (v >> 63));
  }

  public ByteWriter writeByteArray(byte[] bytes) {
    writeVarInt(bytes.length);
    return writeRaw(bytes);
  }

  /** A length-prefixed UTF-8 string; ASCII strings take a fast path without an intermediate array. */
  public ByteWriter writeString(String s) {
    // one pass: copy optimistically as ASCII (byte length = char length), and start over as UTF-8
    // at the first char that is not ASCII
    int n = s.length();
    int start = pos;
    writeVarInt(n);
    ensure(n);
    byte[] b = buf;
    int p = pos;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        pos = start;
        return writeByteArray(s.getBytes(StandardCharsets.UTF_8));
      }
      b[p + i] = (byte) c;
    }
    pos = p + n;
    return this;
  }
}
