package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.codec.ValueCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * List state: appends since the last commit are a delta; so is a replacement that keeps some of
 * the committed items in their order (a list pruned of the items a timer handled), as which
 * committed items it keeps and what it appends.
 */
public final class TrackedList implements Tracked {
  final ArrayList<Object> items;
  /** Items already written (a prefix), or -1 after a replacement. */
  int committed = -1;
  /**
   * After {@link #retain}: which of the {@link #committed} items are kept (bit i for item i);
   * {@code items} is then the kept ones ({@link #kept} of them) followed by appended ones. Null:
   * every committed item is kept, and is the prefix.
   */
  BitSet keep;
  int kept;

  TrackedList(ArrayList<Object> items) {
    this.items = items;
  }

  public List<Object> items() {
    return items;
  }

  void add(Object v) {
    items.add(v);
  }

  @Override
  public void replaced() {
    committed = -1;
    keep = null;
  }

  /**
   * Replaces the items by {@code values}, tracking it as a delta when {@code values} starts with
   * some of the committed items in their order (the same objects or equal immutable values; a
   * mutable one may have changed in place, so it counts as new). False, changing nothing, when it
   * keeps none: then a write in full is smaller.
   */
  boolean retain(List<?> values) {
    if (committed <= 0) {
      return false;
    }
    int prefix = keep == null ? committed : kept; // items[0, prefix): committed items still kept
    BitSet next = new BitSet(committed);
    int j = 0;
    int original = keep == null ? 0 : keep.nextSetBit(0);
    for (int i = 0; i < prefix; i++) {
      if (j < values.size() && same(items.get(i), values.get(j))) {
        next.set(original);
        j++;
      }
      original = keep == null ? original + 1 : keep.nextSetBit(original + 1);
    }
    if (j == 0) {
      return false;
    }
    keep = next;
    kept = j;
    items.clear();
    items.addAll(values);
    return true;
  }

  private static boolean same(Object committedItem, Object value) {
    if (!Values.deeplyImmutable(committedItem)) {
      return false;
    }
    return committedItem == value || committedItem.equals(value);
  }

  static final class Codec implements KeyedBackend.SlotCodec {
    private final ValueCodec codec;

    Codec(ValueCodec codec) {
      this.codec = codec;
    }

    @Override
    public void write(ByteWriter out, Object value, ValueCodec.Scope scope) {
      codec.write(out, ((TrackedList) value).items, scope);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object read(ByteReader in, ValueCodec.Scope scope) {
      Object v = codec.read(in, scope);
      if (!(v instanceof List<?>)) {
        throw new CorruptDataException("list state holds a " + (v == null ? "null" : "non-list value"));
      }
      return new TrackedList(new ArrayList<>((List<Object>) v));
    }

    @Override
    public boolean hasDelta(Object value) {
      TrackedList l = (TrackedList) value;
      return l.keep == null && l.committed > 0 && l.committed <= l.items.size();
    }

    @Override
    public boolean hasAltDelta(Object value) {
      TrackedList l = (TrackedList) value;
      // worth it while the kept items (a byte or more each) outweigh the bitmap (a bit per item)
      return l.keep != null && (long) l.kept * 8 >= l.committed;
    }

    // altDelta := committed:varint keep:bytes(ceil(committed / 8), bit i of byte i / 8 for item i)
    //             appended:varint {value}
    @Override
    public void writeAltDelta(ByteWriter out, Object value, ValueCodec.Scope scope) {
      TrackedList l = (TrackedList) value;
      out.writeVarInt(l.committed);
      byte[] bits = Arrays.copyOf(l.keep.toByteArray(), (l.committed + 7) / 8);
      out.writeRaw(bits);
      writeAppended(out, l, l.kept, scope);
    }

    /** {@code appended:varint {value}}: the items from {@code from} on. */
    private void writeAppended(ByteWriter out, TrackedList l, int from, ValueCodec.Scope scope) {
      out.writeVarInt(l.items.size() - from);
      for (int i = from; i < l.items.size(); i++) {
        codec.write(out, l.items.get(i), scope);
      }
    }

    private void readAppended(ByteReader in, List<Object> into, ValueCodec.Scope scope) {
      int n = in.readCount();
      for (int i = 0; i < n; i++) {
        into.add(codec.read(in, scope));
      }
    }

    @Override
    public Object applyAltDelta(ByteReader in, Object current, ValueCodec.Scope scope) {
      if (current == null) {
        throw new CorruptDataException("a change to list state that does not exist");
      }
      TrackedList l = (TrackedList) current;
      int n = in.readCount();
      if (n != l.items.size()) {
        throw new CorruptDataException("a change to list state keeps items of a list of " + n + ", but the list holds "
            + l.items.size());
      }
      byte[] bits = in.readRaw((n + 7) / 8);
      ArrayList<Object> kept = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if ((bits[i >> 3] & 1 << (i & 7)) != 0) {
          kept.add(l.items.get(i));
        }
      }
      readAppended(in, kept, scope);
      l.items.clear();
      l.items.addAll(kept);
      return l.items.isEmpty() ? null : l;
    }

    // delta := appended:varint {value}
    @Override
    public void writeDelta(ByteWriter out, Object value, ValueCodec.Scope scope) {
      writeAppended(out, (TrackedList) value, ((TrackedList) value).committed, scope);
    }

    @Override
    public Object applyDelta(ByteReader in, Object current, ValueCodec.Scope scope) {
      if (current == null) {
        throw new CorruptDataException("an append to list state that does not exist");
      }
      TrackedList l = (TrackedList) current;
      readAppended(in, l.items, scope);
      return l;
    }

    @Override
    public void committed(Object value) {
      TrackedList l = (TrackedList) value;
      l.committed = l.items.size();
      l.keep = null;
    }
  }
}
