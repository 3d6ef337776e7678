package io.sluice.persistence.runtime;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * INTERNAL API: how a journal event's bytes are stored ({@code sluice.journal.compression}). The
 * journal's database spends its CPU per byte it takes in, syncs, flushes and compacts, and recovery
 * reads every byte again; events are mostly encoded records and keyed changes, which LZ4 shrinks
 * to about 0.6 of their size. Each stored event says which codec it used, so any setting reads any event:
 *
 * <pre>
 *   stored := codec:u8(0) body                                  -- as it is
 *           | codec:u8(1 lz4 | 2 deflate) length:varint packed   -- body of {@code length} bytes, compressed
 * </pre>
 *
 * An event under {@link #MIN_BYTES}, or one that would not shrink by an eighth, is stored as it is.
 */
final class EventCompression {
  static final int NONE = 0;
  static final int LZ4 = 1;
  static final int DEFLATE = 2;
  /** Smaller events are stored as they are: acknowledgements and markers gain nothing. */
  static final int MIN_BYTES = 256;
  /** No event body is larger: a length above it is corrupt data, not a reason to allocate. */
  static final int MAX_BODY = 64 << 20;

  private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
  /**
   * Each serializing thread compresses into its own buffer, kept up to this size (a step's event
   * stays near sluice.runtime.step-bytes, 4 MiB): events of a few MiB are G1 humongous objects, and
   * a second one per event (the compressed copy, wasted when the event does not shrink) would double
   * what the journal path allocates. Larger events, up to the 15 MiB an event may have, get a
   * buffer of their own.
   */
  private static final int SCRATCH_KEPT = 8 << 20;
  private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

  private final int codec;
  private final LZ4Compressor lz4;

  private EventCompression(int codec) {
    this.codec = codec;
    this.lz4 = codec == LZ4 ? FACTORY.fastCompressor() : null;
  }

  static final EventCompression OFF = new EventCompression(NONE);

  /** The codec setting {@code value} names: {@code lz4}, {@code deflate} or {@code none}. */
  static EventCompression of(String value) {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "lz4":
        return new EventCompression(LZ4);
      case "deflate":
        return new EventCompression(DEFLATE);
      case "none":
      case "off":
        return OFF;
      default:
        throw new IllegalArgumentException("sluice.journal.compression must be lz4, deflate or none, was '"
            + value + "'");
    }
  }

  int codec() {
    return codec;
  }

  /** The stored form of the event body {@code body} (its first {@code body.size()} bytes). */
  byte[] pack(ByteWriter body) {
    int n = body.size();
    byte[] raw = body.array();
    if (codec != NONE && n >= MIN_BYTES) {
      byte[] stored = codec == LZ4 ? lz4(raw, n) : deflate(raw, n);
      if (stored != null) {
        return stored;
      }
    }
    byte[] out = new byte[n + 1];
    out[0] = NONE;
    System.arraycopy(raw, 0, out, 1, n);
    return out;
  }

  /** Writes the header (codec and body length) at the start of {@code buf}; returns its length. */
  private int header(byte[] buf, int n) {
    buf[0] = (byte) codec;
    int at = 1;
    int v = n;
    while ((v & ~0x7f) != 0) {
      buf[at++] = (byte) ((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    buf[at++] = (byte) v;
    return at;
  }

  /** A buffer of at least {@code size} bytes for this thread's compression. */
  private static byte[] scratch(int size) {
    byte[] b = SCRATCH.get();
    if (b != null && b.length >= size) {
      return b;
    }
    b = new byte[size];
    if (size <= SCRATCH_KEPT) {
      SCRATCH.set(b);
    }
    return b;
  }

  /** The stored bytes of {@code raw[0, n)} compressed, or null if they would not save an eighth. */
  private byte[] lz4(byte[] raw, int n) {
    byte[] buf = scratch(6 + lz4.maxCompressedLength(n));
    int h = header(buf, n);
    int len = h + lz4.compress(raw, 0, n, buf, h, buf.length - h);
    return len > n - n / 8 ? null : Arrays.copyOf(buf, len);
  }

  private byte[] deflate(byte[] raw, int n) {
    int limit = n - n / 8;
    byte[] buf = scratch(limit);
    int len = header(buf, n);
    Deflater d = new Deflater(1);
    try {
      d.setInput(raw, 0, n);
      d.finish();
      while (!d.finished() && len < limit) {
        len += d.deflate(buf, len, limit - len);
      }
      return d.finished() ? Arrays.copyOf(buf, len) : null;
    } finally {
      d.end();
    }
  }

  /** A reader of the event body in {@code stored}, whatever codec wrote it. */
  static ByteReader unpack(byte[] stored) {
    if (stored.length == 0) {
      throw new CorruptDataException("an empty stored event");
    }
    int c = stored[0] & 0xff;
    if (c == NONE) {
      return new ByteReader(stored, 1, stored.length - 1);
    }
    ByteReader r = new ByteReader(stored);
    r.readUnsignedByte();
    int n = r.readVarInt();
    if (n < 0 || n > MAX_BODY) {
      throw new CorruptDataException("a compressed event of " + n + " bytes (at most " + MAX_BODY + ")");
    }
    int off = r.position();
    byte[] body = new byte[n];
    if (c == LZ4) {
      LZ4SafeDecompressor dec = FACTORY.safeDecompressor();
      int got;
      try {
        got = dec.decompress(stored, off, stored.length - off, body, 0, n);
      } catch (RuntimeException e) {
        throw new CorruptDataException("a corrupt lz4 event: " + e.getMessage());
      }
      if (got != n) {
        throw new CorruptDataException("an lz4 event of " + got + " bytes, not " + n);
      }
    } else if (c == DEFLATE) {
      Inflater inf = new Inflater();
      try {
        inf.setInput(stored, off, stored.length - off);
        int got = 0;
        while (got < n && !inf.finished()) {
          int k = inf.inflate(body, got, n - got);
          if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
            break;
          }
          got += k;
        }
        if (got != n || !inf.finished() || inf.getRemaining() != 0) {
          throw new CorruptDataException("a deflate event of " + got + " bytes, not " + n);
        }
      } catch (DataFormatException e) {
        throw new CorruptDataException("a corrupt deflate event: " + e.getMessage());
      } finally {
        inf.end();
      }
    } else {
      throw new CorruptDataException("event codec " + c + " is unknown (0 none, 1 lz4, 2 deflate): written by a"
          + " newer version of Sluice?");
    }
    return new ByteReader(body);
  }
}
