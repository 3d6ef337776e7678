package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.codec.ValueCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** List state: appends since the last commit are a delta. */
public final class TrackedList implements Tracked {
  final ArrayList<Object> items;
  /** Items already written (a prefix), or -1 after a replacement. */
  int committed = -1;

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
      return l.committed > 0 && l.committed <= l.items.size();
    }

    // delta := appended:varint {value}
    @Override
    public void writeDelta(ByteWriter out, Object value, ValueCodec.Scope scope) {
      TrackedList l = (TrackedList) value;
      out.writeVarInt(l.items.size() - l.committed);
      for (int i = l.committed; i < l.items.size(); i++) {
        codec.write(out, l.items.get(i), scope);
      }
    }

    @Override
    public Object applyDelta(ByteReader in, Object current, ValueCodec.Scope scope) {
      if (current == null) {
        throw new CorruptDataException("an append to list state that does not exist");
      }
      TrackedList l = (TrackedList) current;
      int n = in.readCount();
      for (int i = 0; i < n; i++) {
        l.items.add(codec.read(in, scope));
      }
      return l;
    }

    @Override
    public void committed(Object value) {
      TrackedList l = (TrackedList) value;
      l.committed = l.items.size();
    }
  }
}
