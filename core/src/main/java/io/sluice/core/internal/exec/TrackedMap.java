package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.codec.ValueCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Map state: the keys put or removed since the last commit are a delta. The map keeps insertion
 * order, as {@link io.sluice.core.dsl.MapState} promises, and replaying the deltas must give the
 * same order: new keys and keys removed and put again (which move to the end) are written in the
 * order they were last inserted, and a key that moved says so.
 */
public final class TrackedMap implements Tracked {
  final LinkedHashMap<Object, Object> items;
  /** Keys put or removed since the last commit, or null after a replacement. */
  LinkedHashSet<Object> changed;
  /** Keys removed and put again since the last commit: they moved to the end of the map. */
  Set<Object> moved;

  TrackedMap(LinkedHashMap<Object, Object> items) {
    this.items = items;
  }

  public Map<Object, Object> items() {
    return items;
  }

  void put(Object k, Object v) {
    if (changed != null && changed.contains(k) && !items.containsKey(k)) {
      // removed since the last commit, and back: at the end now, so last among the changes too
      changed.remove(k);
      if (moved == null) {
        moved = new HashSet<>();
      }
      moved.add(k);
    }
    items.put(k, v);
    if (changed != null) {
      changed.add(k);
    }
  }

  void remove(Object k) {
    items.remove(k);
    if (changed != null) {
      changed.add(k);
    }
  }

  @Override
  public void replaced() {
    changed = null;
    moved = null;
  }

  static final class Codec implements KeyedBackend.SlotCodec {
    private final ValueCodec codec;

    Codec(ValueCodec codec) {
      this.codec = codec;
    }

    @Override
    public void write(ByteWriter out, Object value, ValueCodec.Scope scope) {
      codec.write(out, ((TrackedMap) value).items, scope);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object read(ByteReader in, ValueCodec.Scope scope) {
      Object v = codec.read(in, scope);
      if (!(v instanceof Map<?, ?>)) {
        throw new CorruptDataException("map state holds a " + (v == null ? "null" : "non-map value"));
      }
      return new TrackedMap(new LinkedHashMap<>((Map<Object, Object>) v));
    }

    @Override
    public boolean hasDelta(Object value) {
      TrackedMap m = (TrackedMap) value;
      return m.changed != null && m.changed.size() < m.items.size();
    }

    // delta := n:varint {key present:u8 [value]}
    // present: 0 removed, 1 put (in place, or appended if new), 2 removed and put again: moved to
    // the end (format 4)
    @Override
    public void writeDelta(ByteWriter out, Object value, ValueCodec.Scope scope) {
      TrackedMap m = (TrackedMap) value;
      out.writeVarInt(m.changed.size());
      for (Object k : m.changed) {
        codec.write(out, k, scope);
        if (m.items.containsKey(k)) {
          out.writeByte(m.moved != null && m.moved.contains(k) ? 2 : 1);
          codec.write(out, m.items.get(k), scope);
        } else {
          out.writeByte(0);
        }
      }
    }

    @Override
    public Object applyDelta(ByteReader in, Object current, ValueCodec.Scope scope) {
      if (current == null) {
        throw new CorruptDataException("a change to map state that does not exist");
      }
      TrackedMap m = (TrackedMap) current;
      int n = in.readCount();
      for (int i = 0; i < n; i++) {
        Object k = codec.read(in, scope);
        int present = in.readUnsignedByte();
        if (present == 1) {
          m.items.put(k, codec.read(in, scope));
        } else if (present == 2) {
          m.items.remove(k);
          m.items.put(k, codec.read(in, scope));
        } else if (present == 0) {
          m.items.remove(k);
        } else {
          throw new CorruptDataException("map state change: invalid presence flag " + present);
        }
      }
      return m.items.isEmpty() ? null : m;
    }

    @Override
    public void committed(Object value) {
      TrackedMap m = (TrackedMap) value;
      if (m.changed == null) {
        m.changed = new LinkedHashSet<>();
      } else {
        m.changed.clear();
      }
      m.moved = null;
    }
  }
}
