package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.internal.codec.ValueCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * INTERNAL API: the keyed state of one operator instance, in memory, with a change log.
 *
 * <p>Every key has an {@link Entry}: one slot per registered state, each slot's expiry (for TTL),
 * and the key's timers. A step marks every entry it touches dirty; {@link #writeChanges} then
 * writes the dirty entries in full (absolute values, so applying a change twice is harmless) and
 * {@link #readChanges} applies them on replay. A snapshot is the same format with every entry.
 *
 * <p>In isolation mode (dead letters), {@link #beginRecord()} starts an undo scope: the first
 * touch of an entry saves its encoded form, and {@link #rollbackRecord()} restores it.
 */
public final class KeyedBackend {
  /** Encodes the value of one slot; internal operators (windows) bring their own. */
  public interface SlotCodec {
    void write(ByteWriter out, Object value, ValueCodec.Scope scope);

    Object read(ByteReader in, ValueCodec.Scope scope);
  }

  /** A registered slot. */
  public record Slot(String name, StateSpec.Kind kind, long ttlMillis, SlotCodec codec) {}

  /** The state of one key. */
  public static final class Entry {
    final Object key;
    Object[] slots;
    long[] expiry;
    TreeSet<Long> eventTimers;
    TreeSet<Long> procTimers;
    boolean dirty;

    Entry(Object key, int slotCount) {
      this.key = key;
      this.slots = new Object[slotCount];
    }

    public Object key() {
      return key;
    }

    boolean isEmpty() {
      for (Object s : slots) {
        if (s != null) {
          return false;
        }
      }
      return (eventTimers == null || eventTimers.isEmpty()) && (procTimers == null || procTimers.isEmpty());
    }
  }

  private final ValueCodec codec;
  private final List<Slot> slots = new ArrayList<>();
  private final Map<Object, Entry> entries = new HashMap<>();
  private final List<Entry> dirty = new ArrayList<>();
  private final TreeMap<Long, LinkedHashSet<Object>> eventTimers = new TreeMap<>();
  private final TreeMap<Long, LinkedHashSet<Object>> procTimers = new TreeMap<>();
  private final TreeMap<Long, LinkedHashSet<Object>> expiries = new TreeMap<>();
  private final Map<Object, byte[]> undo = new LinkedHashMap<>();
  private final ValueCodec.Scope undoScope = new ValueCodec.Scope();
  private boolean undoActive;
  private long now;
  private Object currentKey;
  private Entry current;

  public KeyedBackend(ValueCodec codec) {
    this.codec = codec;
  }

  /** Registers a slot; slots must be registered in the same order in every incarnation. */
  public int register(Slot slot) {
    for (Slot s : slots) {
      if (s.name().equals(slot.name())) {
        throw new IllegalArgumentException("state '" + slot.name() + "' is registered twice");
      }
    }
    slots.add(slot);
    return slots.size() - 1;
  }

  public int slotCount() {
    return slots.size();
  }

  public int size() {
    return entries.size();
  }

  /** The processing time of the current step (TTL and processing-time timers). */
  public void setNow(long now) {
    this.now = now;
  }

  public long now() {
    return now;
  }

  public void setCurrentKey(Object key) {
    this.currentKey = key;
    this.current = entries.get(key);
  }

  public Object currentKey() {
    return currentKey;
  }

  /** The current key's entry for reading and writing, created if absent, marked dirty. */
  public Entry touch() {
    Entry e = current;
    if (e == null) {
      saveUndo(currentKey, null);
      e = new Entry(currentKey, slots.size());
      entries.put(currentKey, e);
      current = e;
    } else {
      saveUndo(currentKey, e);
    }
    if (!e.dirty) {
      e.dirty = true;
      dirty.add(e);
    }
    return e;
  }

  /** The current key's slot value, null when absent or expired. Marks the entry dirty when present. */
  public Object get(int slot) {
    if (current == null) {
      return null;
    }
    Entry e = touch();
    if (e.expiry != null && e.expiry[slot] != 0 && e.expiry[slot] <= now) {
      e.slots[slot] = null;
      e.expiry[slot] = 0;
    }
    return e.slots[slot];
  }

  /** Sets the current key's slot value (null clears it), refreshing its TTL. */
  public void set(int slot, Object value) {
    if (value == null && current == null) {
      return;
    }
    Entry e = touch();
    e.slots[slot] = value;
    long ttl = slots.get(slot).ttlMillis();
    if (ttl > 0) {
      if (e.expiry == null) {
        e.expiry = new long[slots.size()];
      }
      if (value == null) {
        e.expiry[slot] = 0;
      } else {
        long at = now + ttl;
        e.expiry[slot] = at;
        expiries.computeIfAbsent(at, k -> new LinkedHashSet<>()).add(e.key);
      }
    }
  }

  // ---- timers ---------------------------------------------------------------------------

  public void registerEventTimer(long ts) {
    Entry e = touch();
    if (e.eventTimers == null) {
      e.eventTimers = new TreeSet<>();
    }
    if (e.eventTimers.add(ts)) {
      eventTimers.computeIfAbsent(ts, k -> new LinkedHashSet<>()).add(e.key);
    }
  }

  public void deleteEventTimer(long ts) {
    if (current == null || current.eventTimers == null || !current.eventTimers.contains(ts)) {
      return;
    }
    Entry e = touch();
    e.eventTimers.remove(ts);
    unindex(eventTimers, ts, e.key);
  }

  public void registerProcTimer(long ts) {
    Entry e = touch();
    if (e.procTimers == null) {
      e.procTimers = new TreeSet<>();
    }
    if (e.procTimers.add(ts)) {
      procTimers.computeIfAbsent(ts, k -> new LinkedHashSet<>()).add(e.key);
    }
  }

  public void deleteProcTimer(long ts) {
    if (current == null || current.procTimers == null || !current.procTimers.contains(ts)) {
      return;
    }
    Entry e = touch();
    e.procTimers.remove(ts);
    unindex(procTimers, ts, e.key);
  }

  private static void unindex(TreeMap<Long, LinkedHashSet<Object>> index, long ts, Object key) {
    LinkedHashSet<Object> set = index.get(ts);
    if (set != null) {
      set.remove(key);
      if (set.isEmpty()) {
        index.remove(ts);
      }
    }
  }

  /** A due timer: the key and its time. */
  public record Due(Object key, long timestamp) {}

  /**
   * Removes and returns the earliest event-time timer at or before {@code upTo}, or null. The
   * current key is set to the timer's key.
   */
  public Due pollEventTimer(long upTo) {
    return poll(eventTimers, upTo, true);
  }

  public Due pollProcTimer(long upTo) {
    return poll(procTimers, upTo, false);
  }

  private Due poll(TreeMap<Long, LinkedHashSet<Object>> index, long upTo, boolean event) {
    Map.Entry<Long, LinkedHashSet<Object>> first = index.firstEntry();
    if (first == null || first.getKey() > upTo) {
      return null;
    }
    long ts = first.getKey();
    Iterator<Object> it = first.getValue().iterator();
    Object key = it.next();
    it.remove();
    if (first.getValue().isEmpty()) {
      index.remove(ts);
    }
    setCurrentKey(key);
    Entry e = touch();
    (event ? e.eventTimers : e.procTimers).remove(ts);
    return new Due(key, ts);
  }

  public long nextProcTimer() {
    return procTimers.isEmpty() ? Long.MAX_VALUE : procTimers.firstKey();
  }

  public long nextExpiry() {
    return expiries.isEmpty() ? Long.MAX_VALUE : expiries.firstKey();
  }

  /** Clears slots whose TTL passed; returns how many were cleared. */
  public int expire(long upTo) {
    int cleared = 0;
    while (!expiries.isEmpty() && expiries.firstKey() <= upTo) {
      Map.Entry<Long, LinkedHashSet<Object>> first = expiries.pollFirstEntry();
      for (Object key : first.getValue()) {
        Entry e = entries.get(key);
        if (e == null || e.expiry == null) {
          continue;
        }
        for (int s = 0; s < e.expiry.length; s++) {
          if (e.expiry[s] != 0 && e.expiry[s] <= upTo) {
            setCurrentKey(key);
            Entry t = touch();
            t.slots[s] = null;
            t.expiry[s] = 0;
            cleared++;
          }
        }
      }
    }
    return cleared;
  }

  // ---- undo (isolation mode) ------------------------------------------------------------

  public void beginRecord() {
    undo.clear();
    undoActive = true;
  }

  public void commitRecord() {
    undo.clear();
    undoActive = false;
  }

  /** Restores every entry touched since {@link #beginRecord()}. */
  public void rollbackRecord() {
    undoActive = false;
    for (Map.Entry<Object, byte[]> u : undo.entrySet()) {
      Entry old = entries.remove(u.getKey());
      if (old != null) {
        unindexAll(old);
      }
      if (u.getValue() != null) {
        ByteReader r = new ByteReader(u.getValue());
        undoScope.clear();
        Entry restored = readEntryBody(r, u.getKey(), undoScope);
        entries.put(u.getKey(), restored);
        indexAll(restored);
        restored.dirty = true;
        dirty.add(restored);
      } else if (old != null) {
        // did not exist before the record: leave a tombstone in the change log
        Entry gone = new Entry(u.getKey(), slots.size());
        gone.dirty = true;
        dirty.add(gone);
      }
    }
    dirty.removeIf(e -> entries.get(e.key) != e && !e.isEmpty());
    undo.clear();
    current = entries.get(currentKey);
  }

  private void saveUndo(Object key, Entry e) {
    if (!undoActive || undo.containsKey(key)) {
      return;
    }
    if (e == null) {
      undo.put(key, null);
    } else {
      ByteWriter w = new ByteWriter(64);
      undoScope.clear();
      writeEntryBody(w, e, undoScope);
      undo.put(key, w.toByteArray());
    }
  }

  // ---- change log and snapshots ----------------------------------------------------------

  public boolean hasChanges() {
    return !dirty.isEmpty();
  }

  /** Writes the dirty entries and clears the dirty set. Empty entries are written as deletions and dropped. */
  public void writeChanges(ByteWriter out, ValueCodec.Scope scope) {
    out.writeVarInt(dirty.size());
    for (Entry e : dirty) {
      codec.write(out, e.key, scope);
      e.dirty = false;
      if (e.isEmpty()) {
        out.writeByte(0);
        if (entries.get(e.key) == e) {
          entries.remove(e.key);
        }
      } else {
        out.writeByte(1);
        writeEntryBody(out, e, scope);
      }
    }
    dirty.clear();
  }

  /** Writes every entry (a snapshot); does not change the dirty set. */
  public void writeAll(ByteWriter out, ValueCodec.Scope scope) {
    int n = 0;
    for (Entry e : entries.values()) {
      if (!e.isEmpty()) {
        n++;
      }
    }
    out.writeVarInt(n);
    for (Entry e : entries.values()) {
      if (!e.isEmpty()) {
        codec.write(out, e.key, scope);
        out.writeByte(1);
        writeEntryBody(out, e, scope);
      }
    }
  }

  /** {@link #writeAll} with entries sorted by their encoded key: equal states give equal bytes. */
  public void writeAllSorted(ByteWriter out, ValueCodec.Scope scope) {
    List<Object[]> sorted = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (!e.isEmpty()) {
        sorted.add(new Object[] {codec.toBytes(e.key), e});
      }
    }
    sorted.sort((a, b) -> java.util.Arrays.compareUnsigned((byte[]) a[0], (byte[]) b[0]));
    out.writeVarInt(sorted.size());
    for (Object[] x : sorted) {
      Entry e = (Entry) x[1];
      codec.write(out, e.key, scope);
      out.writeByte(1);
      writeEntryBody(out, e, scope);
    }
  }

  /** Applies changes (or a snapshot) written by {@link #writeChanges} or {@link #writeAll}. */
  public void readChanges(ByteReader in, ValueCodec.Scope scope) {
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      Object key = codec.read(in, scope);
      int present = in.readUnsignedByte();
      Entry old = entries.remove(key);
      if (old != null) {
        unindexAll(old);
      }
      if (present == 1) {
        Entry e = readEntryBody(in, key, scope);
        entries.put(key, e);
        indexAll(e);
      } else if (present != 0) {
        throw new CorruptDataException("keyed state change: invalid presence flag " + present);
      }
    }
    current = entries.get(currentKey);
  }

  public void clear() {
    entries.clear();
    dirty.clear();
    eventTimers.clear();
    procTimers.clear();
    expiries.clear();
    current = null;
  }

  // entry := slotCount:varint {present:u8 [value expiry:varlong]}  timers(event) timers(proc)
  // timers := count:varint first:zigzag delta{count-1}:varlong
  private void writeEntryBody(ByteWriter out, Entry e, ValueCodec.Scope scope) {
    out.writeVarInt(e.slots.length);
    for (int s = 0; s < e.slots.length; s++) {
      Object v = e.slots[s];
      if (v == null) {
        out.writeByte(0);
      } else {
        out.writeByte(1);
        SlotCodec sc = slots.get(s).codec();
        if (sc == null) {
          codec.write(out, v, scope);
        } else {
          sc.write(out, v, scope);
        }
        out.writeVarLong(e.expiry == null ? 0 : e.expiry[s]);
      }
    }
    writeTimers(out, e.eventTimers);
    writeTimers(out, e.procTimers);
  }

  private static void writeTimers(ByteWriter out, TreeSet<Long> timers) {
    if (timers == null || timers.isEmpty()) {
      out.writeVarInt(0);
      return;
    }
    out.writeVarInt(timers.size());
    long prev = 0;
    boolean first = true;
    for (long t : timers) {
      if (first) {
        out.writeVarLongSigned(t);
        first = false;
      } else {
        out.writeVarLong(t - prev);
      }
      prev = t;
    }
  }

  private Entry readEntryBody(ByteReader in, Object key, ValueCodec.Scope scope) {
    int n = in.readCount();
    if (n > slots.size()) {
      throw new CorruptDataException("keyed state of key " + key + " has " + n + " slots, but the operator registers "
          + slots.size() + ": the pipeline's state declarations changed");
    }
    Entry e = new Entry(key, slots.size());
    for (int s = 0; s < n; s++) {
      int present = in.readUnsignedByte();
      if (present == 1) {
        SlotCodec sc = slots.get(s).codec();
        e.slots[s] = sc == null ? codec.read(in, scope) : sc.read(in, scope);
        long exp = in.readVarLong();
        if (exp != 0) {
          if (e.expiry == null) {
            e.expiry = new long[slots.size()];
          }
          e.expiry[s] = exp;
        }
      } else if (present != 0) {
        throw new CorruptDataException("keyed state slot: invalid presence flag " + present);
      }
    }
    e.eventTimers = readTimers(in);
    e.procTimers = readTimers(in);
    return e;
  }

  private static TreeSet<Long> readTimers(ByteReader in) {
    int n = in.readCount();
    if (n == 0) {
      return null;
    }
    TreeSet<Long> t = new TreeSet<>();
    long prev = in.readVarLongSigned();
    t.add(prev);
    for (int i = 1; i < n; i++) {
      prev += in.readVarLong();
      t.add(prev);
    }
    return t;
  }

  private void indexAll(Entry e) {
    if (e.eventTimers != null) {
      for (long t : e.eventTimers) {
        eventTimers.computeIfAbsent(t, k -> new LinkedHashSet<>()).add(e.key);
      }
    }
    if (e.procTimers != null) {
      for (long t : e.procTimers) {
        procTimers.computeIfAbsent(t, k -> new LinkedHashSet<>()).add(e.key);
      }
    }
    if (e.expiry != null) {
      for (long x : e.expiry) {
        if (x != 0) {
          expiries.computeIfAbsent(x, k -> new LinkedHashSet<>()).add(e.key);
        }
      }
    }
  }

  private void unindexAll(Entry e) {
    if (e.eventTimers != null) {
      for (long t : e.eventTimers) {
        unindex(eventTimers, t, e.key);
      }
    }
    if (e.procTimers != null) {
      for (long t : e.procTimers) {
        unindex(procTimers, t, e.key);
      }
    }
  }

  /** Visits every key (for tests and debugging). */
  public Map<Object, Entry> entries() {
    return java.util.Collections.unmodifiableMap(entries);
  }
}
