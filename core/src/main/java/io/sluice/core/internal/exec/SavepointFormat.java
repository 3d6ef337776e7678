package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * INTERNAL API: how an {@link OperatorSavepoint} is stored: a small header per operator, and its
 * parts (key groups, or source splits) each stored on its own, as the state store stores key
 * groups (in chunks of at most 1 MiB), so that a restoring instance reads only the parts of its
 * range.
 *
 * <pre>
 *   header := version:u8(1) kind:u8(1 keyed, 2 source)
 *             keyed:  maxParallelism:varint layout:count{string} parts:count{keyGroup:varint bytes:varlong}
 *             source: splits:varint parts:count{split:varint bytes:varlong}
 * </pre>
 */
public final class SavepointFormat {
  private static final int VERSION = 1;
  private static final int KEYED = 1;
  private static final int SOURCE = 2;

  private SavepointFormat() {}

  /** Parts are stored in chunks of at most this many bytes (a reader derives a part's chunk count from its size). */
  public static final int CHUNK_BYTES = 1 << 20;

  /** The header of {@code s}: what it is and which parts it has, with their sizes. */
  public static byte[] header(OperatorSavepoint s) {
    return write(headerOf(s));
  }

  /** The header of {@code s}, not yet written. */
  public static Header headerOf(OperatorSavepoint s) {
    TreeMap<Integer, Long> sizes = new TreeMap<>();
    if (s instanceof OperatorSavepoint.Keyed k) {
      k.groups().forEach((g, b) -> sizes.put(g, (long) b.length));
      return new Header(true, k.maxParallelism(), k.layout(), 0, sizes);
    }
    OperatorSavepoint.Source src = (OperatorSavepoint.Source) s;
    src.positions().forEach((g, b) -> sizes.put(g, (long) b.length));
    return new Header(false, 0, List.of(), src.splits(), sizes);
  }

  /** {@code h} as bytes: see the class comment. */
  public static byte[] write(Header h) {
    ByteWriter w = new ByteWriter(64).writeByte(VERSION);
    if (h.keyed()) {
      w.writeByte(KEYED).writeVarInt(h.maxParallelism()).writeVarInt(h.layout().size());
      for (String slot : h.layout()) {
        w.writeString(slot);
      }
    } else {
      w.writeByte(SOURCE).writeVarInt(h.splits());
    }
    w.writeVarInt(h.parts().size());
    for (Map.Entry<Integer, Long> e : h.parts().entrySet()) {
      w.writeVarInt(e.getKey()).writeVarLong(e.getValue());
    }
    return w.toByteArray();
  }

  /** How many chunks a part of {@code bytes} bytes is stored in. */
  public static int chunkCount(long bytes) {
    return (int) Math.max(1, (bytes + CHUNK_BYTES - 1) / CHUNK_BYTES);
  }

  /** A header read back: the operator's kind and shape, and the parts stored with their sizes. */
  public record Header(boolean keyed, int maxParallelism, List<String> layout, int splits,
      SortedMap<Integer, Long> parts) {
    public Header {
      layout = List.copyOf(layout);
      parts = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(parts));
    }

    /** The bytes of every part together. */
    public long bytes() {
      return parts.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * This header and {@code other} (another instance's part of the same operator) together;
     * fails, saying why, if they disagree on the operator's shape or both hold one part.
     */
    public Header merge(Header other, String operator) {
      if (other.keyed != keyed || other.maxParallelism != maxParallelism || !other.layout.equals(layout)
          || other.splits != splits) {
        throw new IllegalArgumentException("the instances of operator '" + operator + "' disagree on their state: "
            + this + " and " + other);
      }
      TreeMap<Integer, Long> all = new TreeMap<>(parts);
      for (Map.Entry<Integer, Long> e : other.parts.entrySet()) {
        if (all.put(e.getKey(), e.getValue()) != null) {
          throw new IllegalArgumentException("operator '" + operator + "': part " + e.getKey()
              + " is held by two instances");
        }
      }
      return new Header(keyed, maxParallelism, layout, splits, all);
    }

    @Override
    public String toString() {
      return keyed ? "keyed state " + layout + " in " + parts.size() + " key group(s) of " + maxParallelism
          : "positions of " + parts.size() + " of " + splits + " split(s)";
    }

    /** The savepoint of this header with the parts read ({@code parts}: every part of interest, by number). */
    public OperatorSavepoint with(SortedMap<Integer, byte[]> read) {
      for (Map.Entry<Integer, byte[]> e : read.entrySet()) {
        Long size = parts.get(e.getKey());
        if (size == null || size != e.getValue().length) {
          throw new CorruptDataException("savepoint part " + e.getKey() + " has " + e.getValue().length
              + " bytes, its header says " + size);
        }
      }
      return keyed ? new OperatorSavepoint.Keyed(layout, maxParallelism, read)
          : new OperatorSavepoint.Source(splits, read);
    }
  }

  public static Header readHeader(byte[] bytes, String what) {
    ByteReader r = new ByteReader(bytes);
    int version = r.readUnsignedByte();
    if (version != VERSION) {
      throw new CorruptDataException(what + ": unknown savepoint header version " + version);
    }
    int kind = r.readUnsignedByte();
    int maxParallelism = 0;
    int splits = 0;
    List<String> layout = List.of();
    if (kind == KEYED) {
      maxParallelism = r.readVarInt();
      int n = r.readCount();
      List<String> l = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        l.add(r.readString());
      }
      layout = l;
    } else if (kind == SOURCE) {
      splits = r.readVarInt();
    } else {
      throw new CorruptDataException(what + ": unknown savepoint part kind " + kind);
    }
    int n = r.readCount();
    TreeMap<Integer, Long> parts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      parts.put(r.readVarInt(), r.readVarLong());
    }
    r.expectEnd(what + " savepoint header");
    return new Header(kind == KEYED, maxParallelism, layout, splits, parts);
  }
}
