package io.sluice.core.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what {@link ByteWriter} wrote. Every read checks bounds and fails with
 * {@link CorruptDataException} naming the offset, never with an index exception deep inside.
 */
public final class ByteReader {
  private final byte[] buf;
  private final int end;
  private int pos;

  public ByteReader(byte[] buf) {
    this(buf, 0, buf.length);
  }

  public ByteReader(byte[] buf, int off, int len) {
    this.buf = buf;
    this.pos = off;
    this.end = off + len;
  }

  public int position() {
    return pos;
  }

  public int remaining() {
    return end - pos;
  }

  public boolean hasRemaining() {
    return pos < end;
  }

  private void need(int n) {
    if (n < 0 || pos + n > end) {
      throw new CorruptDataException(
          "truncated data: need " + n + " bytes at offset " + pos + ", have " + (end - pos));
    }
  }

  public int readByte() {
    need(1);
    return buf[pos++];
  }

  public int readUnsignedByte() {
    return readByte() & 0xFF;
  }

  public boolean readBoolean() {
    int b = readByte();
    if (b != 0 && b != 1) {
      throw new CorruptDataException("invalid boolean " + b + " at offset " + (pos - 1));
    }
    return b == 1;
  }

  public int readInt() {
    need(4);
    int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16)
        | ((buf[pos + 2] & 0xFF) << 8) | (buf[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  public long readLong() {
    need(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (buf[pos + i] & 0xFF);
    }
    pos += 8;
    return v;
  }

  public double readDouble() {
    return Double.longBitsToDouble(readLong());
  }

  public long readVarLong() {
    long result = 0;
    int shift = 0;
    while (true) {
      if (shift > 63) {
        throw new CorruptDataException("varint too long at offset " + pos);
      }
      int b = readByte();
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
      shift += 7;
    }
  }

  public int readVarInt() {
    long v = readVarLong();
    if (v > 0xFFFFFFFFL || v < 0) {
      throw new CorruptDataException("varint out of int range at offset " + pos);
    }
    return (int) v;
  }

  /** A non-negative varint used as a length or count; rejects values larger than what remains. */
  public int readLength() {
    int n = readVarInt();
    if (n < 0 || n > remaining()) {
      throw new CorruptDataException("length " + n + " exceeds the " + remaining()
          + " bytes remaining at offset " + pos);
    }
    return n;
  }

  /** A count of items that each take at least one byte. */
  public int readCount() {
    return readLength();
  }

  public long readVarLongSigned() {
    long v = readVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  public byte[] readByteArray() {
    int n = readLength();
    byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return out;
  }

  public String readString() {
    int n = readLength();
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  /** The next {@code n} bytes, as they are. */
  public byte[] readRaw(int n) {
    need(n);
    byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return out;
  }

  public void skip(int n) {
    need(n);
    pos += n;
  }

  /** Fails unless every byte was consumed: trailing garbage means a format mismatch. */
  public void expectEnd(String what) {
    if (pos != end) {
      throw new CorruptDataException(
          what + ": " + (end - pos) + " unexpected trailing bytes at offset " + pos);
    }
  }
}
