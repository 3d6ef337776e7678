package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.internal.codec.ValueCodec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * INTERNAL API: the keyed state of one operator instance, in memory, organised by key group, with
 * two change logs: the changes of the current step (persisted with the step's event) and the key
 * groups changed since the last capture (written to snapshot chunks).
 *
 * <p>Every key has an {@link Entry}: one slot per registered state, each slot's expiry (for TTL),
 * and the key's timers. A step's change holds <b>one entry per key it touched</b>, and in it only
 * the slots it touched; a value slot is written in full, while lists, maps and windows (slots whose
 * {@link SlotCodec} tracks changes) write only what changed since the last step: appended
 * elements, put and removed map keys, changed and removed windows. So a step's change grows with
 * the keys it touched, not with the records it consumed or the size of the state.
 *
 * <pre>
 *   body    := groups:varint { keyGroup:varint n:varint { key:value state } }
 *   change  := groups:varint { keyGroup:varint (n << 1 | longKeys):varlong { key state } }   (format 4)
 *              key: a value, or with longKeys (every key of the group a Long) the keys in ascending
 *              order, the first as a zig-zag varlong and each other as its difference to the previous
 *   state   := 0                                       the key has no state (any more)
 *            | 1 slots:varint {slotOp} [timers]        every slot: a key in full
 *            | 2 n:varint {slot:varint slotOp} [timerFlag:u8 [timers]]   the slots a step touched
 *            | 3 slotOp                                only slot 0, timers unchanged
 *            | 0x40|mask<<1|timerFlag ops:u8 {slotValue} [timers]   (change format 4)
 *                the slots a step touched, of an operator with at most 4 slots: bit i of mask
 *                for slot i; ops holds 2 bits per touched slot, lowest first (its slotOp tag)
 *   slotOp  := 0 (cleared) | 1 value [expiry:varlong] | 2 delta [expiry:varlong]
 *            | 3 altDelta [expiry:varlong]   (format 4; lists: the committed items kept, and appends)
 *   slotValue := what a slotOp holds after its tag
 *              (the expiry only for slots with a time-to-live)
 *   timers  := event:timerSet processing:timerSet
 *   timerSet := count:varint [first:zigzag delta:varlong{count-1}]
 * </pre>
 *
 * Timers are left out entirely when the operator derives them from its state (windows: a timer
 * per window end) or has none (reduce, aggregate): {@link #setTimerDeriver}. A snapshot of one key group (a capture) is
 * {@code n:varint {key state(0|1)}}.
 *
 * <p>Applying changes is idempotent per entry (full values and deltas against the previous step's
 * state), and replaying every step's change in order reproduces the live state exactly.
 *
 * <p>In isolation mode (dead letters), {@link #beginRecord()} starts an undo scope: the first touch
 * of an entry saves its encoded form, and {@link #rollbackRecord()} restores it.
 */
public final class KeyedBackend {
  /**
   * Encodes the value of one slot in full and, for values that track their changes, as a delta
   * since the value was last committed.
   */
  public interface SlotCodec {
    void write(ByteWriter out, Object value, ValueCodec.Scope scope);

    Object read(ByteReader in, ValueCodec.Scope scope);

    /** True if {@code value} changed only in ways a delta can say, and the delta is smaller than the value. */
    default boolean hasDelta(Object value) {
      return false;
    }

    default void writeDelta(ByteWriter out, Object value, ValueCodec.Scope scope) {
      throw new IllegalStateException("no delta format");
    }

    /** Applies a delta to {@code current} (null when absent); returns the new value (null: cleared). */
    default Object applyDelta(ByteReader in, Object current, ValueCodec.Scope scope) {
      throw new CorruptDataException("a delta for a state that has no delta format");
    }

    /** True if {@code value} is best written as the codec's second delta form (slot op 3). */
    default boolean hasAltDelta(Object value) {
      return false;
    }

    default void writeAltDelta(ByteWriter out, Object value, ValueCodec.Scope scope) {
      throw new IllegalStateException("no second delta format");
    }

    default Object applyAltDelta(ByteReader in, Object current, ValueCodec.Scope scope) {
      throw new CorruptDataException("a change in a second delta form to a state that has none");
    }

    /** Forgets the changes {@code value} tracked: it was written, or read back. */
    default void committed(Object value) {}
  }

  /** Derives the event-time timers of a key from its slots (operators whose timers are implied by their state). */
  public interface TimerDeriver {
    void timers(Object[] slots, TreeSet<Long> into);
  }

  /** The deriver of operators that use no timers. */
  public static final TimerDeriver NO_TIMERS = (slots, into) -> {};

  /** A registered slot. */
  public record Slot(String name, StateSpec.Kind kind, long ttlMillis, SlotCodec codec) {}

  /** The state of one key. */
  public static final class Entry {
    final Object key;
    final int keyGroup;
    final Object[] slots;
    long[] expiry;
    TreeSet<Long> eventTimers;
    TreeSet<Long> procTimers;
    /** In the current step's change list. */
    boolean inStep;
    /** Slots touched in the current step: bit i for slot i, bit 63 for every slot from 63 on. */
    long dirtySlots;
    boolean timersDirty;
    /** In its group's list of entries changed since the last capture. */
    boolean inCapture;
    /** Slots changed since the last capture (as {@link #dirtySlots}); -1: the entry is new, write it in full. */
    long captureSlots;
    boolean captureTimers;
    /** Still the live entry of its key (false once removed from the backend). */
    boolean live;
    Entry prev;
    Entry next;

    Entry(Object key, int keyGroup, int slotCount) {
      this.key = key;
      this.keyGroup = keyGroup;
      this.slots = new Object[slotCount];
    }

    public Object key() {
      return key;
    }

    public int keyGroup() {
      return keyGroup;
    }

    boolean isEmpty() {
      for (Object s : slots) {
        if (s != null) {
          return false;
        }
      }
      return (eventTimers == null || eventTimers.isEmpty()) && (procTimers == null || procTimers.isEmpty());
    }

    void markSlot(int slot) {
      dirtySlots |= 1L << Math.min(slot, 63);
    }

    boolean slotDirty(int slot) {
      return (dirtySlots & (1L << Math.min(slot, 63))) != 0;
    }
  }

  /** The entries of one key group, as an intrusive list, and those changed since the last capture. */
  private static final class Group {
    Entry head;
    int size;
    ArrayList<Entry> captured = new ArrayList<>();
    /** Bytes of entries' changes since the last capture (an estimate: the step changes' sizes). */
    long changedSinceCapture;
  }

  private final ValueCodec codec;
  private final KeyGroups keyGroups;
  private final int maxParallelism;
  private final int firstKeyGroup;
  private final int endKeyGroup;
  private final List<Slot> slots = new ArrayList<>();
  private final Map<Object, Entry> entries = new HashMap<>();
  private final Group[] groups;
  private final ArrayList<Entry> stepDirty = new ArrayList<>();
  private final TreeMap<Long, LinkedHashSet<Object>> eventTimers = new TreeMap<>();
  private final TreeMap<Long, LinkedHashSet<Object>> procTimers = new TreeMap<>();
  private final TreeMap<Long, LinkedHashSet<Object>> expiries = new TreeMap<>();
  private final Map<Object, byte[]> undo = new LinkedHashMap<>();
  private final ValueCodec.Scope undoScope = new ValueCodec.Scope();
  private final TreeSet<Long> derivedScratch = new TreeSet<>();
  private TimerDeriver timerDeriver;
  private boolean undoActive;
  private long now;
  private Object currentKey;
  private Entry current;

  /**
   * A backend for the key groups {@code [firstKeyGroup, endKeyGroup)} of {@code maxParallelism}.
   * An entry whose key falls outside the range is a routing error and fails the step.
   */
  public KeyedBackend(ValueCodec codec, int maxParallelism, int firstKeyGroup, int endKeyGroup) {
    if (firstKeyGroup < 0 || endKeyGroup > maxParallelism || firstKeyGroup >= endKeyGroup) {
      throw new IllegalArgumentException("invalid key-group range [" + firstKeyGroup + ", " + endKeyGroup + ") of "
          + maxParallelism);
    }
    this.codec = codec;
    this.keyGroups = new KeyGroups(codec, maxParallelism);
    this.maxParallelism = maxParallelism;
    this.firstKeyGroup = firstKeyGroup;
    this.endKeyGroup = endKeyGroup;
    this.groups = new Group[endKeyGroup - firstKeyGroup];
  }

  /** The key groups of instance {@code index} of {@code parallelism}: {@code [first, end)}. */
  public static int[] keyGroupRange(int index, int parallelism, int maxParallelism) {
    int first = (int) ((index * (long) maxParallelism + parallelism - 1) / parallelism);
    int end = (int) (((index + 1) * (long) maxParallelism + parallelism - 1) / parallelism);
    return new int[] {first, end};
  }

  /** Registers a slot; slots must be registered in the same order in every incarnation. */
  public int register(Slot slot) {
    for (Slot s : slots) {
      if (s.name().equals(slot.name())) {
        throw new IllegalArgumentException("state '" + slot.name() + "' is registered twice");
      }
    }
    if (!entries.isEmpty()) {
      throw new IllegalStateException("state '" + slot.name() + "' registered after keys were stored");
    }
    slots.add(slot.codec() != null ? slot : new Slot(slot.name(), slot.kind(), slot.ttlMillis(), defaultCodec(slot)));
    return slots.size() - 1;
  }

  private SlotCodec defaultCodec(Slot slot) {
    switch (slot.kind()) {
      case LIST:
        return new TrackedList.Codec(codec);
      case MAP:
        return new TrackedMap.Codec(codec);
      default:
        return new ValueSlotCodec(codec);
    }
  }

  /** Timers are implied by the slots: not persisted, re-derived whenever an entry is restored. */
  public void setTimerDeriver(TimerDeriver deriver) {
    this.timerDeriver = deriver;
  }

  public int slotCount() {
    return slots.size();
  }

  /** The states' names and kinds in registration order ({@code name:KIND}): what a savepoint's groups are written for. */
  public List<String> layout() {
    List<String> out = new ArrayList<>(slots.size());
    for (Slot s : slots) {
      out.add(s.name() + ":" + s.kind());
    }
    return out;
  }

  public int size() {
    return entries.size();
  }

  public int firstKeyGroup() {
    return firstKeyGroup;
  }

  public int endKeyGroup() {
    return endKeyGroup;
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

  // ---- access ------------------------------------------------------------------------------

  private Entry touch() {
    Entry e = current;
    if (e == null) {
      saveUndo(currentKey, null);
      int kg = keyGroups.keyGroup(currentKey);
      if (kg < firstKeyGroup || kg >= endKeyGroup) {
        throw new IllegalStateException("key " + currentKey + " is in key group " + kg + ", which this instance (key"
            + " groups [" + firstKeyGroup + ", " + endKeyGroup + ")) does not own: records were routed wrongly");
      }
      e = new Entry(currentKey, kg, slots.size());
      e.captureSlots = -1L; // not in the stored state: captured in full
      link(e);
      current = e;
    } else {
      saveUndo(currentKey, e);
    }
    if (!e.inStep) {
      e.inStep = true;
      stepDirty.add(e);
    }
    if (!e.inCapture) {
      e.inCapture = true;
      group(e.keyGroup).captured.add(e);
    }
    return e;
  }

  private Entry touchSlot(int slot) {
    Entry e = touch();
    e.markSlot(slot);
    return e;
  }

  private boolean expired(Entry e, int slot) {
    return e.expiry != null && e.expiry[slot] != 0 && e.expiry[slot] <= now;
  }

  /**
   * The current key's value of {@code slot}, null when absent or expired. A value that might be
   * mutable is marked as written: a function may change it in place.
   */
  public Object get(int slot) {
    if (current == null) {
      return null;
    }
    if (expired(current, slot)) {
      clearExpired(slot);
      return null;
    }
    Object v = current.slots[slot];
    if (v != null && !immutable(v)) {
      touchSlot(slot);
    }
    return v;
  }

  /** The current key's value of {@code slot} for reading only: not marked as written. */
  public Object peek(int slot) {
    if (current == null) {
      return null;
    }
    if (expired(current, slot)) {
      clearExpired(slot);
      return null;
    }
    return current.slots[slot];
  }

  private void clearExpired(int slot) {
    Entry e = touchSlot(slot);
    e.slots[slot] = null;
    e.expiry[slot] = 0;
  }

  /** Sets the current key's value of {@code slot} (null clears it), refreshing its time-to-live. */
  public void set(int slot, Object value) {
    if (value == null && (current == null || current.slots[slot] == null)) {
      return;
    }
    Entry e = touchSlot(slot);
    e.slots[slot] = value;
    if (value != null) {
      // a value set in full is written in full, whatever it tracked before
      SlotCodec sc = slots.get(slot).codec();
      sc.committed(value);
      if (value instanceof Tracked t) {
        t.replaced();
      }
    }
    refreshTtl(e, slot, value != null);
  }

  /**
   * The current key's value of {@code slot} for changing in place (a list, map or window set that
   * tracks its changes), created with {@code create} when absent or expired; refreshes its
   * time-to-live.
   */
  public Object update(int slot, java.util.function.Supplier<Object> create) {
    if (current != null && expired(current, slot)) {
      clearExpired(slot);
    }
    Entry e = touchSlot(slot);
    Object v = e.slots[slot];
    if (v == null) {
      v = create.get();
      e.slots[slot] = v;
    }
    refreshTtl(e, slot, true);
    return v;
  }

  private void refreshTtl(Entry e, int slot, boolean present) {
    long ttl = slots.get(slot).ttlMillis();
    if (ttl <= 0) {
      return;
    }
    if (e.expiry == null) {
      e.expiry = new long[slots.size()];
    }
    if (!present) {
      e.expiry[slot] = 0;
    } else {
      long at = now + ttl;
      if (e.expiry[slot] != at) {
        e.expiry[slot] = at;
        expiries.computeIfAbsent(at, k -> new LinkedHashSet<>()).add(e.key);
      }
    }
  }

  static boolean immutable(Object v) {
    return v instanceof String || v instanceof Long || v instanceof Integer || v instanceof Double
        || v instanceof Boolean || v instanceof Enum<?> || v instanceof Record || v instanceof Float
        || v instanceof Short || v instanceof Byte || v instanceof Character || v instanceof BigDecimal
        || v instanceof BigInteger;
  }

  // ---- timers ---------------------------------------------------------------------------

  public void registerEventTimer(long ts) {
    Entry e = touch();
    if (e.eventTimers == null) {
      e.eventTimers = new TreeSet<>();
    }
    if (e.eventTimers.add(ts)) {
      e.timersDirty = true;
      eventTimers.computeIfAbsent(ts, k -> new LinkedHashSet<>()).add(e.key);
    }
  }

  public void deleteEventTimer(long ts) {
    if (current == null || current.eventTimers == null || !current.eventTimers.contains(ts)) {
      return;
    }
    Entry e = touch();
    e.eventTimers.remove(ts);
    e.timersDirty = true;
    unindex(eventTimers, ts, e.key);
  }

  public void registerProcTimer(long ts) {
    Entry e = touch();
    if (e.procTimers == null) {
      e.procTimers = new TreeSet<>();
    }
    if (e.procTimers.add(ts)) {
      e.timersDirty = true;
      procTimers.computeIfAbsent(ts, k -> new LinkedHashSet<>()).add(e.key);
    }
  }

  public void deleteProcTimer(long ts) {
    if (current == null || current.procTimers == null || !current.procTimers.contains(ts)) {
      return;
    }
    Entry e = touch();
    e.procTimers.remove(ts);
    e.timersDirty = true;
    unindex(procTimers, ts, e.key);
  }

  /**
   * Makes the current key's event-time timers exactly those its slots imply (operators with a
   * {@link TimerDeriver}); call after changing the slots they derive from.
   */
  public void syncDerivedTimers() {
    if (current == null) {
      return;
    }
    derivedScratch.clear();
    timerDeriver.timers(current.slots, derivedScratch);
    TreeSet<Long> have = current.eventTimers;
    if (have == null ? derivedScratch.isEmpty() : have.equals(derivedScratch)) {
      return;
    }
    Entry e = touch();
    if (e.eventTimers != null) {
      for (long t : e.eventTimers) {
        if (!derivedScratch.contains(t)) {
          unindex(eventTimers, t, e.key);
        }
      }
    }
    for (long t : derivedScratch) {
      if (e.eventTimers == null || !e.eventTimers.contains(t)) {
        eventTimers.computeIfAbsent(t, k -> new LinkedHashSet<>()).add(e.key);
      }
    }
    e.eventTimers = derivedScratch.isEmpty() ? null : new TreeSet<>(derivedScratch);
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
    e.timersDirty = true;
    return new Due(key, ts);
  }

  public long nextProcTimer() {
    return procTimers.isEmpty() ? Long.MAX_VALUE : procTimers.firstKey();
  }

  public long nextExpiry() {
    return expiries.isEmpty() ? Long.MAX_VALUE : expiries.firstKey();
  }

  /** Clears slots whose time-to-live passed; returns how many were cleared. */
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
            Entry t = touchSlot(s);
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

  /**
   * Restores every entry touched since {@link #beginRecord()}, in place; restored entries are
   * written in full, and an entry the record created is emptied (and written as absent).
   */
  public void rollbackRecord() {
    undoActive = false;
    for (Map.Entry<Object, byte[]> u : undo.entrySet()) {
      Entry e = entries.get(u.getKey());
      if (e == null) {
        continue; // removed by the record? entries are removed only when a step's change is written
      }
      unindex(e);
      Arrays.fill(e.slots, null);
      e.expiry = null;
      e.eventTimers = null;
      e.procTimers = null;
      if (u.getValue() != null) {
        ByteReader r = new ByteReader(u.getValue());
        undoScope.clear();
        readFull(r, e, undoScope, true);
        index(e);
      }
      markAll(e);
    }
    undo.clear();
    current = entries.get(currentKey);
  }

  private void markAll(Entry e) {
    e.dirtySlots = -1L;
    e.timersDirty = true;
    e.captureSlots = -1L;
    if (!e.inStep) {
      e.inStep = true;
      stepDirty.add(e);
    }
    if (!e.inCapture) {
      e.inCapture = true;
      group(e.keyGroup).captured.add(e);
    }
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
      writeFull(w, e, undoScope, true);
      undo.put(key, w.toByteArray());
    }
  }

  // ---- membership --------------------------------------------------------------------------

  private Group group(int kg) {
    Group g = groups[kg - firstKeyGroup];
    if (g == null) {
      g = new Group();
      groups[kg - firstKeyGroup] = g;
    }
    return g;
  }

  private void link(Entry e) {
    entries.put(e.key, e);
    Group g = group(e.keyGroup);
    e.next = g.head;
    if (g.head != null) {
      g.head.prev = e;
    }
    g.head = e;
    g.size++;
    e.live = true;
  }

  /** Takes {@code e} out of the backend and its timer indexes. */
  private void remove(Entry e) {
    if (!e.live) {
      return;
    }
    entries.remove(e.key);
    Group g = group(e.keyGroup);
    if (e.prev != null) {
      e.prev.next = e.next;
    } else {
      g.head = e.next;
    }
    if (e.next != null) {
      e.next.prev = e.prev;
    }
    e.prev = null;
    e.next = null;
    g.size--;
    e.live = false;
    unindex(e);
    if (current == e) {
      current = null;
    }
  }

  // ---- the change of a step ------------------------------------------------------------------

  public boolean hasChanges() {
    return !stepDirty.isEmpty();
  }

  /**
   * Writes the entries the step touched, grouped by key group, and forgets the step's changes.
   * Entries left empty are written as absent and dropped.
   */
  public void writeChanges(ByteWriter out, ValueCodec.Scope scope) {
    int n = stepDirty.size();
    Entry[] sorted = stepDirty.toArray(new Entry[n]);
    if (n > 1) {
      // a counting sort by key group: groups are few and small integers
      int[] counts = new int[groups.length + 1];
      for (Entry e : sorted) {
        counts[e.keyGroup - firstKeyGroup + 1]++;
      }
      for (int i = 1; i < counts.length; i++) {
        counts[i] += counts[i - 1];
      }
      Entry[] out2 = new Entry[n];
      for (Entry e : stepDirty) {
        out2[counts[e.keyGroup - firstKeyGroup]++] = e;
      }
      sorted = out2;
    }
    int nGroups = 0;
    for (int i = 0; i < n; i++) {
      if (i == 0 || sorted[i].keyGroup != sorted[i - 1].keyGroup) {
        nGroups++;
      }
    }
    out.writeVarInt(nGroups);
    for (int i = 0; i < n; ) {
      int kg = sorted[i].keyGroup;
      int j = i;
      while (j < n && sorted[j].keyGroup == kg) {
        j++;
      }
      boolean longKeys = true;
      for (int k = i; k < j && longKeys; k++) {
        longKeys = sorted[k].key instanceof Long;
      }
      if (longKeys && j - i > 1) {
        Arrays.sort(sorted, i, j, BY_LONG_KEY);
      }
      out.writeVarInt(kg).writeVarLong((long) (j - i) << 1 | (longKeys ? 1 : 0));
      int start = out.size();
      long prev = 0;
      for (int k = i; k < j; k++) {
        Entry e = sorted[k];
        if (!longKeys) {
          codec.write(out, e.key, scope);
        } else if (k == i) {
          out.writeVarLongSigned((Long) e.key);
        } else {
          out.writeVarLong((Long) e.key - prev); // ascending and distinct: positive
        }
        if (longKeys) {
          prev = (Long) e.key;
        }
        writeStepEntry(out, e, scope);
      }
      group(kg).changedSinceCapture += out.size() - start;
      i = j;
    }
    stepDirty.clear();
  }

  private static final java.util.Comparator<Entry> BY_LONG_KEY = (a, b) -> Long.compare((Long) a.key, (Long) b.key);

  /** An entry of a step's change after its key (written by the caller). */
  private void writeStepEntry(ByteWriter out, Entry e, ValueCodec.Scope scope) {
    e.inStep = false;
    e.captureSlots |= e.dirtySlots;
    e.captureTimers |= e.timersDirty;
    if (e.isEmpty()) {
      out.writeByte(0);
      remove(e);
    } else if (e.dirtySlots == -1L) {
      out.writeByte(1);
      writeFull(out, e, scope, false);
      for (int s = 0; s < e.slots.length; s++) {
        if (e.slots[s] != null) {
          slots.get(s).codec().committed(e.slots[s]);
        }
      }
    } else if (e.dirtySlots == 1L && (timerDeriver != null || !e.timersDirty)) {
      out.writeByte(3);
      writeSlotOp(out, e, 0, scope, true);
    } else if (e.slots.length <= COMPACT_SLOTS) {
      writeCompactPatch(out, e, scope);
    } else {
      out.writeByte(2);
      int dirty = 0;
      for (int s = 0; s < e.slots.length; s++) {
        if (e.slotDirty(s)) {
          dirty++;
        }
      }
      out.writeVarInt(dirty);
      for (int s = 0; s < e.slots.length; s++) {
        if (e.slotDirty(s)) {
          out.writeVarInt(s);
          writeSlotOp(out, e, s, scope, true);
        }
      }
      if (timerDeriver == null) {
        if (e.timersDirty) {
          out.writeByte(1);
          writeTimers(out, e, scope);
        } else {
          out.writeByte(0);
        }
      }
    }
    e.dirtySlots = 0;
    e.timersDirty = false;
  }

  /** Entries of operators with at most this many slots write a step's patch compactly (state 0x40). */
  static final int COMPACT_SLOTS = 4;
  private static final int COMPACT = 0x40;

  /**
   * A step's patch in two bytes of framing: the touched slots and the timer flag in the state
   * byte, the slots' operations in the next; instead of a count, a slot number and an operation
   * byte per slot and a timer flag byte.
   */
  private void writeCompactPatch(ByteWriter out, Entry e, ValueCodec.Scope scope) {
    int mask = (int) e.dirtySlots & ((1 << COMPACT_SLOTS) - 1);
    boolean timers = timerDeriver == null && e.timersDirty;
    out.writeByte(COMPACT | mask << 1 | (timers ? 1 : 0));
    int ops = 0;
    for (int s = e.slots.length - 1; s >= 0; s--) {
      if ((mask & 1 << s) != 0) {
        ops = ops << 2 | slotOpTag(e, s, true);
      }
    }
    out.writeByte(ops);
    for (int s = 0; s < e.slots.length; s++) {
      if ((mask & 1 << s) != 0) {
        writeSlotValue(out, e, s, scope, ops & 3);
        ops >>>= 2;
      }
    }
    if (timers) {
      writeTimers(out, e, scope);
    }
  }

  /** The tag {@link #writeSlotOp} writes: 0 cleared, 1 in full, 2 a delta, 3 the second delta form. */
  private int slotOpTag(Entry e, int s, boolean delta) {
    Object v = e.slots[s];
    if (v == null) {
      return 0;
    }
    if (!delta) {
      return 1;
    }
    SlotCodec sc = slots.get(s).codec();
    return sc.hasAltDelta(v) ? 3 : sc.hasDelta(v) ? 2 : 1;
  }

  /** A slotOp without its tag ({@link #slotOpTag}): what follows it (nothing for a cleared slot). */
  private void writeSlotValue(ByteWriter out, Entry e, int s, ValueCodec.Scope scope, int tag) {
    Object v = e.slots[s];
    if (tag == 0) {
      return;
    }
    Slot slot = slots.get(s);
    SlotCodec sc = slot.codec();
    if (tag == 3) {
      sc.writeAltDelta(out, v, scope);
    } else if (tag == 2) {
      sc.writeDelta(out, v, scope);
    } else {
      sc.write(out, v, scope);
    }
    sc.committed(v);
    if (slot.ttlMillis() > 0) {
      scope.writeOptionalTime(out, e.expiry == null ? 0 : e.expiry[s]);
    }
  }

  private void writeSlotOp(ByteWriter out, Entry e, int s, ValueCodec.Scope scope, boolean delta) {
    int tag = slotOpTag(e, s, delta);
    out.writeByte(tag);
    writeSlotValue(out, e, s, scope, tag);
  }

  /** slotOp 0 (cleared) or 1 (the value in full, and its expiry if the slot has a time-to-live). */
  private void writeSlotInFull(ByteWriter out, Entry e, int s, ValueCodec.Scope scope) {
    Object v = e.slots[s];
    if (v == null) {
      out.writeByte(0);
      return;
    }
    Slot slot = slots.get(s);
    out.writeByte(1);
    slot.codec().write(out, v, scope);
    if (slot.ttlMillis() > 0) {
      scope.writeOptionalTime(out, e.expiry == null ? 0 : e.expiry[s]);
    }
  }

  /** state 1's body: every slot in full, then the timers (unless derived). Does not commit tracked values. */
  private void writeFull(ByteWriter out, Entry e, ValueCodec.Scope scope, boolean withTimers) {
    out.writeVarInt(e.slots.length);
    for (int s = 0; s < e.slots.length; s++) {
      writeSlotInFull(out, e, s, scope);
    }
    if (timerDeriver == null || withTimers) {
      writeTimers(out, e, scope);
    }
  }

  private static void writeTimers(ByteWriter out, Entry e, ValueCodec.Scope scope) {
    writeTimerSet(out, e.eventTimers, scope);
    writeTimerSet(out, e.procTimers, scope);
  }

  /** The first timer relative to the unit's time base ({@code scope}), the others to their predecessor. */
  private static void writeTimerSet(ByteWriter out, TreeSet<Long> timers, ValueCodec.Scope scope) {
    if (timers == null || timers.isEmpty()) {
      out.writeVarInt(0);
      return;
    }
    out.writeVarInt(timers.size());
    long prev = 0;
    boolean first = true;
    for (long t : timers) {
      if (first) {
        scope.writeTime(out, t);
        first = false;
      } else {
        out.writeVarLong(t - prev);
      }
      prev = t;
    }
  }

  /** Reads {@link #writeTimerSet}'s format; with a null {@code scope} the first timer is absolute (format 1). */
  private static TreeSet<Long> readTimerSet(ByteReader in, ValueCodec.Scope scope) {
    int n = in.readCount();
    if (n == 0) {
      return null;
    }
    TreeSet<Long> t = new TreeSet<>();
    long prev = scope == null ? in.readVarLongSigned() : scope.readTime(in);
    t.add(prev);
    for (int i = 1; i < n; i++) {
      prev += in.readVarLong();
      t.add(prev);
    }
    return t;
  }

  /** Applies a snapshot body written by {@link #writeAll} or {@link #writeSinceCapture}, or a format-2 change. */
  public void readChanges(ByteReader in, ValueCodec.Scope scope) {
    readChanges(in, scope, false);
  }

  /**
   * Applies a step's change written by {@link #writeChanges} ({@code stepFormat}: change format 4,
   * where a group's count says whether its keys are longs, ascending, as differences) or a body of
   * format 2 (a snapshot's, or an older change).
   */
  public void readChanges(ByteReader in, ValueCodec.Scope scope, boolean stepFormat) {
    int nGroups = in.readCount();
    for (int g = 0; g < nGroups; g++) {
      int kg = in.readVarInt();
      checkGroup(kg);
      int start = in.position();
      boolean longKeys = false;
      int n;
      if (stepFormat) {
        long h = in.readVarLong();
        longKeys = (h & 1) != 0;
        if ((h >>> 1) > in.remaining()) {
          throw new CorruptDataException("keyed state change: " + (h >>> 1) + " entries in key group " + kg
              + " with " + in.remaining() + " bytes left at offset " + in.position());
        }
        n = (int) (h >>> 1);
      } else {
        n = in.readCount();
      }
      readEntries(in, kg, n, scope, true, longKeys);
      group(kg).changedSinceCapture += in.position() - start;
    }
    current = entries.get(currentKey);
  }

  private void checkGroup(int kg) {
    if (kg < firstKeyGroup || kg >= endKeyGroup) {
      throw new CorruptDataException("keyed state of key group " + kg + ", which this instance (key groups ["
          + firstKeyGroup + ", " + endKeyGroup + ") of " + maxParallelism + ") does not own");
    }
  }

  /**
   * Applies {@code n} entries of key group {@code kg}. Changes (not stored chunks) are also
   * {@code captured}: they are not in the stored state yet, so the next capture must hold them.
   */
  private void readEntries(ByteReader in, int kg, int n, ValueCodec.Scope scope, boolean captured) {
    readEntries(in, kg, n, scope, captured, false);
  }

  /** {@link #readEntries}; with {@code longKeys}, the keys are longs, ascending, the first zig-zag, then differences. */
  private void readEntries(ByteReader in, int kg, int n, ValueCodec.Scope scope, boolean captured, boolean longKeys) {
    long prev = 0;
    for (int i = 0; i < n; i++) {
      Object key;
      if (!longKeys) {
        key = codec.read(in, scope);
      } else {
        prev = i == 0 ? in.readVarLongSigned() : prev + in.readVarLong();
        key = prev;
      }
      int state = in.readUnsignedByte();
      Entry old = entries.get(key);
      if (state == 0) {
        if (old != null) {
          remove(old);
        }
        if (captured) {
          // a tombstone for the next capture: the key may be in the stored state
          Entry gone = old != null ? old : new Entry(key, kg, 0);
          markCaptured(gone);
        }
      } else if (state == 1) {
        if (old != null) {
          remove(old);
        }
        Entry e = new Entry(key, kg, slots.size());
        readFull(in, e, scope, false);
        link(e);
        index(e);
        if (captured) {
          markCaptured(e);
          e.captureSlots = -1L;
        }
      } else if (state == 2 || state == 3 || (state & ~0x1F) == COMPACT) {
        Entry e = old;
        if (e == null) {
          e = new Entry(key, kg, slots.size());
          link(e);
        } else {
          unindex(e);
        }
        long touched;
        boolean timers = false;
        if (state == 2) {
          touched = readPatch(in, e, scope);
          timers = patchSetTimers;
        } else if (state != 3) {
          touched = readCompactPatch(in, state, e, scope);
          timers = patchSetTimers;
        } else {
          readSlotOp(in, e, 0, scope);
          touched = 1L;
          if (timerDeriver != null) {
            derive(e);
          }
        }
        index(e);
        if (captured) {
          markCaptured(e);
          e.captureSlots |= touched;
          e.captureTimers |= timers;
        }
      } else {
        throw new CorruptDataException("keyed state change: invalid presence flag " + state);
      }
    }
  }

  private void markCaptured(Entry e) {
    if (!e.inCapture) {
      e.inCapture = true;
      group(e.keyGroup).captured.add(e);
    }
  }

  private int checkSlots(int n, Object key) {
    if (n > slots.size()) {
      throw new CorruptDataException("keyed state of key " + key + " has " + n + " slots, but the operator registers "
          + slots.size() + ": the pipeline's state declarations changed");
    }
    return n;
  }

  private void readFull(ByteReader in, Entry e, ValueCodec.Scope scope, boolean withTimers) {
    int n = checkSlots(in.readCount(), e.key);
    for (int s = 0; s < n; s++) {
      int op = in.readUnsignedByte();
      if (op == 1) {
        readSlotValue(in, e, s, scope, 1);
      } else if (op != 0) {
        throw new CorruptDataException("keyed state slot: invalid presence flag " + op);
      }
    }
    if (timerDeriver == null || withTimers) {
      e.eventTimers = readTimerSet(in, scope);
      e.procTimers = readTimerSet(in, scope);
    }
    if (timerDeriver != null) {
      derive(e);
    }
  }

  /** Set by {@link #readPatch}: the patch set the timers. */
  private boolean patchSetTimers;

  /** Applies a patch; returns the slots it set (as {@link Entry#dirtySlots}); see {@link #patchSetTimers}. */
  private long readPatch(ByteReader in, Entry e, ValueCodec.Scope scope) {
    int n = in.readCount();
    long touched = 0;
    for (int i = 0; i < n; i++) {
      int s = in.readVarInt();
      if (s < 0 || s >= slots.size()) {
        throw new CorruptDataException("keyed state of key " + e.key + " changes slot " + s + ", but the operator"
            + " registers " + slots.size() + ": the pipeline's state declarations changed");
      }
      readSlotOp(in, e, s, scope);
      touched |= 1L << Math.min(s, 63);
    }
    patchSetTimers = false;
    if (timerDeriver == null) {
      int flag = in.readUnsignedByte();
      if (flag == 1) {
        e.eventTimers = readTimerSet(in, scope);
        e.procTimers = readTimerSet(in, scope);
        patchSetTimers = true;
      } else if (flag != 0) {
        throw new CorruptDataException("keyed state timers: invalid flag " + flag);
      }
    } else {
      derive(e);
    }
    return touched;
  }

  /** Applies {@link #writeCompactPatch}'s patch; as {@link #readPatch}. */
  private long readCompactPatch(ByteReader in, int state, Entry e, ValueCodec.Scope scope) {
    int mask = (state >> 1) & ((1 << COMPACT_SLOTS) - 1);
    if (32 - Integer.numberOfLeadingZeros(mask) > slots.size()) {
      throw new CorruptDataException("keyed state of key " + e.key + " changes slots " + Integer.toBinaryString(mask)
          + " (a bit per slot), but the operator registers " + slots.size()
          + ": the pipeline's state declarations changed");
    }
    int ops = in.readUnsignedByte();
    for (int s = 0; s < COMPACT_SLOTS; s++) {
      if ((mask & 1 << s) != 0) {
        applySlotOp(in, e, s, ops & 3, scope);
        ops >>>= 2;
      }
    }
    if (ops != 0) {
      throw new CorruptDataException("keyed state of key " + e.key + ": operations for slots it does not change");
    }
    patchSetTimers = false;
    if ((state & 1) != 0) {
      if (timerDeriver != null) {
        throw new CorruptDataException("keyed state of key " + e.key + ": timers for an operator that derives them");
      }
      e.eventTimers = readTimerSet(in, scope);
      e.procTimers = readTimerSet(in, scope);
      patchSetTimers = true;
    } else if (timerDeriver != null) {
      derive(e);
    }
    return mask;
  }

  private void readSlotOp(ByteReader in, Entry e, int s, ValueCodec.Scope scope) {
    applySlotOp(in, e, s, in.readUnsignedByte(), scope);
  }

  private void applySlotOp(ByteReader in, Entry e, int s, int op, ValueCodec.Scope scope) {
    if (op == 0) {
      e.slots[s] = null;
      if (e.expiry != null) {
        e.expiry[s] = 0;
      }
    } else if (op >= 1 && op <= 3) {
      readSlotValue(in, e, s, scope, op);
    } else {
      throw new CorruptDataException("keyed state slot: invalid operation " + op);
    }
  }

  /** The value of a slotOp with tag {@code op} (1 in full, 2 a delta, 3 the second delta form). */
  private void readSlotValue(ByteReader in, Entry e, int s, ValueCodec.Scope scope, int op) {
    Slot slot = slots.get(s);
    SlotCodec sc = slot.codec();
    Object v = op == 3 ? sc.applyAltDelta(in, e.slots[s], scope)
        : op == 2 ? sc.applyDelta(in, e.slots[s], scope) : sc.read(in, scope);
    if (v != null) {
      sc.committed(v);
    }
    e.slots[s] = v;
    if (slot.ttlMillis() > 0) {
      long exp = scope.readOptionalTime(in);
      if (exp != 0 || e.expiry != null) {
        if (e.expiry == null) {
          e.expiry = new long[slots.size()];
        }
        e.expiry[s] = exp;
      }
    }
  }

  private void derive(Entry e) {
    derivedScratch.clear();
    timerDeriver.timers(e.slots, derivedScratch);
    e.eventTimers = derivedScratch.isEmpty() ? null : new TreeSet<>(derivedScratch);
  }

  /**
   * Applies the keyed body of a format-1 change or snapshot: {@code count {key present:u8 [entry]}}
   * with {@code entry := slots:varint {present:u8 [value expiry:varlong]} timers}, every entry in
   * full. Slot values were encoded as format 2's full values are.
   */
  public void readLegacyChanges(ByteReader in, ValueCodec.Scope scope) {
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      Object key = codec.read(in, scope);
      int present = in.readUnsignedByte();
      Entry old = entries.get(key);
      if (old != null) {
        remove(old);
        markCaptured(old);
      }
      if (present == 1) {
        int kg = keyGroups.keyGroup(key);
        checkGroup(kg);
        Entry e = new Entry(key, kg, slots.size());
        int slotCount = checkSlots(in.readCount(), key);
        for (int s = 0; s < slotCount; s++) {
          int p = in.readUnsignedByte();
          if (p == 1) {
            SlotCodec sc = slots.get(s).codec();
            e.slots[s] = sc.read(in, scope);
            sc.committed(e.slots[s]);
            long exp = in.readVarLong();
            if (exp != 0) {
              if (e.expiry == null) {
                e.expiry = new long[slots.size()];
              }
              e.expiry[s] = exp;
            }
          } else if (p != 0) {
            throw new CorruptDataException("keyed state slot: invalid presence flag " + p);
          }
        }
        e.eventTimers = readTimerSet(in, null);
        e.procTimers = readTimerSet(in, null);
        if (timerDeriver != null) {
          derive(e);
        }
        link(e);
        index(e);
        markCaptured(e);
      } else if (present != 0) {
        throw new CorruptDataException("keyed state change: invalid presence flag " + present);
      }
    }
    current = entries.get(currentKey);
  }

  // ---- snapshots ---------------------------------------------------------------------------

  /** Writes every entry in full, grouped by key group (a snapshot); changes no change log. */
  public void writeAll(ByteWriter out, ValueCodec.Scope scope) {
    writeAll(out, scope, false);
  }

  /** {@link #writeAll} with entries sorted by their encoded key: equal states give equal bytes. */
  public void writeAllSorted(ByteWriter out, ValueCodec.Scope scope) {
    writeAll(out, scope, true);
  }

  private void writeAll(ByteWriter out, ValueCodec.Scope scope, boolean sorted) {
    int nGroups = 0;
    for (Group g : groups) {
      if (g != null && nonEmpty(g) > 0) {
        nGroups++;
      }
    }
    out.writeVarInt(nGroups);
    for (int i = 0; i < groups.length; i++) {
      Group g = groups[i];
      if (g == null || nonEmpty(g) == 0) {
        continue;
      }
      out.writeVarInt(firstKeyGroup + i);
      writeGroupEntries(out, g, scope, sorted);
    }
  }

  private static int nonEmpty(Group g) {
    int n = 0;
    for (Entry e = g.head; e != null; e = e.next) {
      if (!e.isEmpty()) {
        n++;
      }
    }
    return n;
  }

  private void writeGroupEntries(ByteWriter out, Group g, ValueCodec.Scope scope, boolean sorted) {
    List<Entry> list = new ArrayList<>(g.size);
    for (Entry e = g.head; e != null; e = e.next) {
      if (!e.isEmpty()) {
        list.add(e);
      }
    }
    if (sorted) {
      byte[][] keys = new byte[list.size()][];
      Integer[] order = new Integer[list.size()];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = codec.toBytes(list.get(i).key);
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
      List<Entry> s = new ArrayList<>(list.size());
      for (Integer i : order) {
        s.add(list.get(i));
      }
      list = s;
    } else {
      Collections.reverse(list); // the list is newest first: write in creation order
    }
    out.writeVarInt(list.size());
    for (Entry e : list) {
      codec.write(out, e.key, scope);
      out.writeByte(1);
      writeFull(out, e, scope, false);
    }
  }

  // ---- captures: incremental snapshots by key group ------------------------------------------

  /** Key groups with changes since their last capture (or that need a new base), ascending. */
  public int[] changedGroups() {
    int n = 0;
    for (int i = 0; i < groups.length; i++) {
      if (changed(i)) {
        n++;
      }
    }
    int[] out = new int[n];
    for (int i = 0, k = 0; i < groups.length; i++) {
      if (changed(i)) {
        out[k++] = firstKeyGroup + i;
      }
    }
    return out;
  }

  private boolean changed(int i) {
    return groups[i] != null && !groups[i].captured.isEmpty() || needsBase.get(i);
  }

  /** Key groups that hold entries, ascending. */
  public int[] occupiedGroups() {
    int n = 0;
    for (Group g : groups) {
      if (g != null && g.size > 0) {
        n++;
      }
    }
    int[] out = new int[n];
    for (int i = 0, k = 0; i < groups.length; i++) {
      if (groups[i] != null && groups[i].size > 0) {
        out[k++] = firstKeyGroup + i;
      }
    }
    return out;
  }

  /** An estimate of the bytes changed in {@code keyGroup} since its last capture. */
  public long changedBytes(int keyGroup) {
    Group g = groups[keyGroup - firstKeyGroup];
    return g == null ? 0 : g.changedSinceCapture;
  }

  /**
   * Writes the entries of {@code keyGroup} changed since its last capture ({@code delta}) or all of
   * them, each in full or as absent: {@code n:varint {key state(0|1)}}. Forgets the group's
   * changes since the last capture unless {@code keep} (a write that only looks).
   */
  public void writeGroup(int keyGroup, boolean delta, boolean keep, ByteWriter out, ValueCodec.Scope scope) {
    checkGroup(keyGroup);
    Group g = group(keyGroup); // created empty if it never held a key
    if (!delta) {
      writeGroupEntries(out, g, scope, false);
    } else {
      out.writeVarInt(g.captured.size());
      for (Entry e : g.captured) {
        codec.write(out, e.key, scope);
        if (!e.live || e.isEmpty()) {
          out.writeByte(0);
        } else if (e.captureSlots == -1L) {
          out.writeByte(1);
          writeFull(out, e, scope, false);
        } else {
          writeCapturePatch(out, e, scope);
        }
      }
    }
    if (!keep) {
      for (Entry e : g.captured) {
        e.inCapture = false;
        e.captureSlots = 0;
        e.captureTimers = false;
      }
      g.captured = new ArrayList<>();
      g.changedSinceCapture = 0;
    }
  }

  /** state 2 with the slots changed since the last capture, each in full (op 1 or 0), and the timers if they changed. */
  private void writeCapturePatch(ByteWriter out, Entry e, ValueCodec.Scope scope) {
    out.writeByte(2);
    int n = 0;
    for (int s = 0; s < e.slots.length; s++) {
      if (captureSlot(e, s)) {
        n++;
      }
    }
    out.writeVarInt(n);
    for (int s = 0; s < e.slots.length; s++) {
      if (!captureSlot(e, s)) {
        continue;
      }
      out.writeVarInt(s);
      writeSlotInFull(out, e, s, scope);
    }
    if (timerDeriver == null) {
      if (e.captureTimers) {
        out.writeByte(1);
        writeTimers(out, e, scope);
      } else {
        out.writeByte(0);
      }
    }
  }

  private static boolean captureSlot(Entry e, int s) {
    return (e.captureSlots & (1L << Math.min(s, 63))) != 0;
  }

  /** Applies a capture of {@code keyGroup} written by {@link #writeGroup}. */
  public void readGroup(int keyGroup, ByteReader in, ValueCodec.Scope scope) {
    checkGroup(keyGroup);
    readEntries(in, keyGroup, in.readCount(), scope, false);
    current = entries.get(currentKey);
  }

  // ---- the stored state: key groups in snapshot chunks ---------------------------------------

  /**
   * One stored version of a key group: its entries in full ({@code full}, a base) or those changed
   * since the previous version (a delta), written as {@code chunks} chunks of {@code bytes} bytes in
   * all, in the format of {@link #writeGroup}.
   */
  public record Stored(long version, int chunks, long bytes, boolean full) {}

  /** The stored versions of one key group: a base, then deltas in version order. */
  private final List<List<Stored>> stored = new ArrayList<>();
  /** Key groups whose next capture must be a base: a capture of them failed, or they were never stored. */
  private final java.util.BitSet needsBase = new java.util.BitSet();

  private List<Stored> storedOf(int kg) {
    while (stored.size() <= kg - firstKeyGroup) {
      stored.add(List.of());
    }
    return stored.get(kg - firstKeyGroup);
  }

  /** The stored versions of {@code keyGroup}: a base first, then deltas. */
  public List<Stored> stored(int keyGroup) {
    checkGroup(keyGroup);
    return storedOf(keyGroup);
  }

  /** Key groups with stored versions, ascending. */
  public int[] storedGroups() {
    int n = 0;
    for (List<Stored> l : stored) {
      if (!l.isEmpty()) {
        n++;
      }
    }
    int[] out = new int[n];
    for (int i = 0, k = 0; i < stored.size(); i++) {
      if (!stored.get(i).isEmpty()) {
        out[k++] = firstKeyGroup + i;
      }
    }
    return out;
  }

  /** A key group's capture: its bytes and what its stored versions become once they are durable. */
  public record GroupCapture(int keyGroup, byte[] bytes, Stored written, List<Stored> storedAfter) {}

  /**
   * Captures every key group changed since its last capture at {@code version}: its changed entries
   * as a delta, or all its entries as a new base when its deltas would outgrow its base (or it has
   * none). The captured changes are forgotten here: call {@link #captureWritten} when the bytes are
   * durable, or {@link #captureFailed} when they could not be written.
   *
   * <p>When a key group is stored anew bounds both what a recovery reads and what storing costs:
   * once its deltas would add up to more than its base (a recovery reads at most twice the group,
   * and a base is rewritten only after as many bytes of deltas: about 2 bytes stored per byte
   * changed), or once it has {@code maxDeltas} deltas (a recovery's reads per group stay bounded;
   * small deltas are cheap to keep, so this is large).
   *
   * @param maxDeltas a key group gets a new base once it has this many deltas
   * @param maxBytes stop adding key groups once the capture holds this many bytes (the others are
   *     taken by the next capture)
   */
  public List<GroupCapture> capture(long version, int maxDeltas, long maxBytes, ValueCodec.Scope scope) {
    List<GroupCapture> out = new ArrayList<>();
    ByteWriter w = new ByteWriter(1024);
    long total = 0;
    for (int kg : changedGroups()) {
      if (total >= maxBytes) {
        break; // the rest in the next capture: a capture's bytes are held in memory until written
      }
      List<Stored> have = storedOf(kg);
      long baseBytes = have.isEmpty() ? 0 : have.get(0).bytes();
      long deltaBytes = 0;
      for (int i = 1; i < have.size(); i++) {
        deltaBytes += have.get(i).bytes();
      }
      boolean base = have.isEmpty() || needsBase.get(kg - firstKeyGroup) || have.size() > maxDeltas
          || deltaBytes + changedBytes(kg) > Math.max(baseBytes, 64 * 1024);
      w.reset();
      scope.clear();
      writeGroup(kg, !base, false, w, scope);
      byte[] bytes = w.toByteArray();
      Stored written = new Stored(version, 0, bytes.length, base);
      List<Stored> after = new ArrayList<>(base ? List.of() : have);
      after.add(written);
      out.add(new GroupCapture(kg, bytes, written, after));
      needsBase.clear(kg - firstKeyGroup);
      total += bytes.length;
    }
    return out;
  }

  /** The captures are durable, in {@code chunks[i]} chunks each: they become the stored state. */
  public void captureWritten(List<GroupCapture> captures, int[] chunks) {
    for (int i = 0; i < captures.size(); i++) {
      GroupCapture c = captures.get(i);
      List<Stored> after = new ArrayList<>(c.storedAfter());
      Stored w = c.written();
      after.set(after.size() - 1, new Stored(w.version(), chunks[i], w.bytes(), w.full()));
      stored.set(c.keyGroup() - firstKeyGroup, List.copyOf(after));
    }
  }

  /** The captures could not be written: their changes are forgotten, so their groups get a new base next. */
  public void captureFailed(List<GroupCapture> captures) {
    for (GroupCapture c : captures) {
      needsBase.set(c.keyGroup() - firstKeyGroup);
    }
  }

  /**
   * The manifest of the stored state: {@code groups:varint {keyGroup:varint n:varint
   * {version:varlong chunks:varint bytes:varlong full:u8}}}.
   */
  public void writeManifest(ByteWriter out) {
    int[] gs = storedGroups();
    out.writeVarInt(gs.length);
    for (int kg : gs) {
      List<Stored> l = storedOf(kg);
      out.writeVarInt(kg).writeVarInt(l.size());
      for (Stored x : l) {
        out.writeVarLong(x.version()).writeVarInt(x.chunks()).writeVarLong(x.bytes()).writeByte(x.full() ? 1 : 0);
      }
    }
  }

  public void readManifest(ByteReader in) {
    stored.clear();
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      int kg = in.readVarInt();
      checkGroup(kg);
      int parts = in.readCount();
      List<Stored> l = new ArrayList<>(parts);
      for (int k = 0; k < parts; k++) {
        long version = in.readVarLong();
        int chunks = in.readVarInt();
        long bytes = in.readVarLong();
        int full = in.readUnsignedByte();
        if (full > 1 || (k == 0) != (full == 1)) {
          throw new CorruptDataException("snapshot manifest of key group " + kg + ": part " + k + " is "
              + (full == 1 ? "a base" : "a delta") + ", but the first part must be the only base");
        }
        l.add(new Stored(version, chunks, bytes, full == 1));
      }
      storedOf(kg);
      stored.set(kg - firstKeyGroup, List.copyOf(l));
    }
  }

  /** Every group that holds keys is to be stored as a new base at its next capture (state restored from elsewhere). */
  public void storeEverythingAnew() {
    for (int i = 0; i < groups.length; i++) {
      if (groups[i] != null && groups[i].size > 0) {
        needsBase.set(i);
      }
    }
  }

  /**
   * True if the stored state plus {@link #writeSinceCapture} is the whole state: no key group
   * waits for a new base (after a failed or partial capture, or a restore from a full snapshot).
   */
  public boolean storedIsComplete() {
    return needsBase.isEmpty();
  }

  /** Bytes of the entries changed since their groups' last capture (an estimate). */
  public long changedSinceCapture() {
    long n = 0;
    for (Group g : groups) {
      if (g != null) {
        n += g.changedSinceCapture;
      }
    }
    return n;
  }

  /**
   * Writes the entries changed since their groups' last capture, grouped by key group (the body
   * format of {@link #writeChanges}), without forgetting them: what a snapshot holds besides the
   * stored chunks.
   */
  public void writeSinceCapture(ByteWriter out, ValueCodec.Scope scope) {
    writeSinceCapture(out, scope, Long.MAX_VALUE);
  }

  /** {@link #writeSinceCapture(ByteWriter, ValueCodec.Scope)}, stopping with false once it exceeds {@code limit} bytes. */
  public boolean writeSinceCapture(ByteWriter out, ValueCodec.Scope scope, long limit) {
    int[] gs = changedGroups();
    out.writeVarInt(gs.length);
    for (int kg : gs) {
      out.writeVarInt(kg);
      writeGroup(kg, true, true, out, scope);
      if (out.size() > limit) {
        return false;
      }
    }
    return true;
  }

  public void clear() {
    entries.clear();
    Arrays.fill(groups, null);
    stored.clear();
    needsBase.clear();
    stepDirty.clear();
    eventTimers.clear();
    procTimers.clear();
    expiries.clear();
    current = null;
  }

  private void index(Entry e) {
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

  private void unindex(Entry e) {
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

  /** Every key's entry (for tests and debugging). */
  public Map<Object, Entry> entries() {
    return Collections.unmodifiableMap(entries);
  }
}
