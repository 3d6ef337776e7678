package io.sluice.core.internal.codec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.Codec;
import io.sluice.core.codec.CodecRegistry;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.KV;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * INTERNAL API: the self-describing encoding of user values (records, keys, state, accumulators).
 *
 * <p>Format, version 1. Every value starts with a tag byte:
 *
 * <pre>
 *   0 null           1 true            2 false
 *   3 int   (zig-zag varint)           4 long   (zig-zag varint)
 *   5 double (8 bytes, IEEE 754 big-endian)
 *   6 string (varint length, UTF-8)    7 byte[] (varint length, bytes)
 *   8 KV     (key value, value value)  9 list   (varint count, values)
 *  10 map    (varint count, key value, value value ...)
 *  11 set    (varint count, values)   12 float (4 bytes)   13 short (zig-zag varint)
 *  14 byte   (1 byte)                 15 char  (varint)
 *  16 long near (version 2): zig-zag varint difference to the scope's last large long
 *  29 record definition with its schema (version 3): string logical name, varint n, then per
 *     component its name (string) and kind (one byte: 0 tagged, 1 long, 2 int, 3 double,
 *     4 boolean, 5 short, 6 byte, 7 char, 8 float), then the value as tag 32+n would encode it
 *     (components in the schema's order, primitive ones untagged as in tag 30)
 *  30 type definition of a record with primitive components (version 2): string name, then the
 *     value as tag 32+n would encode it, its primitive components untagged
 *  31 type definition: string logical name, then the value as tag 32+n would encode it
 *  32+n a value of the n-th type defined earlier in the same {@link Scope}
 * </pre>
 *
 * A user type is a record (its components in declaration order, each as a tagged value; since
 * version 2, a component of a primitive type as the value without its tag: zig-zag varint for
 * long, int, short, varint for char, one byte for byte and boolean, IEEE 754 for double and
 * float; a long component as {@code near} below), an enum
 * (its constant's name) or a registered {@link Codec} (whatever that codec writes). Type names are
 * defined once per scope (one record batch, one state change set, one snapshot) so that a batch of
 * a thousand records names its record type once.
 *
 * <p><b>Large longs near each other</b> (version 2). Longs of 2^24 or more in magnitude are
 * mostly points in time (epoch milliseconds take six bytes), and the longs of one unit (a step's
 * change, a batch) tend to be close together. So each such long becomes the scope's <i>base</i>,
 * and a long is written as its difference to the base when that is smaller: tag 16 for a tagged
 * long; for a record's long component, {@code near}: until the unit has a base, the long as in
 * version 1 (zig-zag varint); after, a varint of 65 bits: the zig-zag value {@code z} of the long
 * or of the difference, shifted left by one, with a flag in bit 0 (1: a difference).
 *
 * <p><b>Record evolution</b> (version 3). A record is defined with its schema, the names and kinds
 * of its components, once per scope. A reader maps the written components to the record's current
 * ones by name: a component that is no longer there is skipped, one that was not written gets
 * {@code null} (zero or {@code false} if primitive; a compact constructor can substitute another
 * default), and a number may widen (int to long, float to double, ...). Anything else (a component
 * whose type changed incompatibly, a null for a primitive) fails naming the record and the component.
 * A record or enum is written under its logical name from the {@link CodecRegistry}; never under its
 * Java class name. Data of versions 1 and 2 written under a class name stays readable.
 *
 * <p>The same value in a fresh scope always gives the same bytes, which key hashing relies on (it
 * uses {@link Scope#forKeyHashing()}, version 1's form), with one caveat: maps and sets are
 * written in iteration order, so a HashMap used as a key is not canonical.
 *
 * <p>Lists, sets and maps are read back as mutable {@link ArrayList}, {@link LinkedHashSet} and
 * {@link LinkedHashMap}: an accumulator that a user function mutates in place (which
 * {@link io.sluice.core.dsl.AggregateFunction} allows) must behave the same after a recovery.
 */
public final class ValueCodec {
  public static final int VERSION = 3;

  static final int T_NULL = 0;
  static final int T_TRUE = 1;
  static final int T_FALSE = 2;
  static final int T_INT = 3;
  static final int T_LONG = 4;
  static final int T_DOUBLE = 5;
  static final int T_STRING = 6;
  static final int T_BYTES = 7;
  static final int T_KV = 8;
  static final int T_LIST = 9;
  static final int T_MAP = 10;
  static final int T_SET = 11;
  static final int T_FLOAT = 12;
  static final int T_SHORT = 13;
  static final int T_BYTE = 14;
  static final int T_CHAR = 15;
  static final int T_LONG_NEAR = 16;
  static final int T_DEFINE_RECORD = 29;
  static final int T_DEFINE_PACKED = 30;
  static final int T_DEFINE = 31;
  static final int T_USER = 32;

  /** The read plan of a version 2 record definition (primitive components untagged, by position). */
  private static final Object PACKED = new Object();

  private final CodecRegistry registry;
  private final ClassLoader classLoader;
  private final Map<Class<?>, UserType> byClass = new ConcurrentHashMap<>();
  private final Map<String, UserType> byName = new ConcurrentHashMap<>();
  /** Types read from versions 1 and 2 under their class names: apart, so that no logical name resolves to them. */
  private final Map<String, UserType> byClassName = new ConcurrentHashMap<>();

  public ValueCodec(CodecRegistry registry, ClassLoader classLoader) {
    this.registry = registry;
    this.classLoader = classLoader;
  }

  public CodecRegistry registry() {
    return registry;
  }

  /**
   * The types defined so far in one encoded unit. Writing and reading must use one scope per unit,
   * and read values in the order they were written.
   */
  public static final class Scope {
    // Most units define no user type (keys, numbers, strings) or a handful: small arrays searched
    // linearly, allocated on first use, cost nothing for the common case (a scope per key hash).
    private static final int LINEAR = 8;
    private UserType[] written;
    private int writtenCount;
    private IdentityHashMap<UserType, Integer> writtenIndex;
    private UserType[] read;
    /** Per type read: null (version 1), {@link #PACKED} (version 2) or the record's read plan (version 3). */
    private Object[] readPlans;
    private int readCount;
    /** Writes records' primitive components untagged (version 2); false for the frozen form keys are hashed by. */
    private final boolean packed;
    /** The last time (ms) written or read in this unit: times are written as differences to it. */
    private long timeBase;
    /** The same for times in units of a window slide. */
    private long unitBase;
    /** The last large long written or read in this unit (version 2's near longs). */
    private long longBase;

    /**
     * Writes a point in time (epoch ms) as the zig-zag difference to the previous one written in
     * this unit (the first: to 0). Times in one unit (a step's change, a key group's capture) are
     * close together, so most take one to three bytes instead of six.
     */
    public void writeTime(ByteWriter out, long t) {
      out.writeVarLongSigned(t - timeBase);
      timeBase = t;
    }

    public long readTime(ByteReader in) {
      timeBase += in.readVarLongSigned();
      return timeBase;
    }

    /** {@link #writeTime} of a time that may be absent (0 for none). */
    public void writeOptionalTime(ByteWriter out, long t) {
      if (t == 0) {
        out.writeVarLong(0);
      } else {
        long d = t - timeBase;
        out.writeVarLong(((d << 1) ^ (d >> 63)) + 1);
        timeBase = t;
      }
    }

    public long readOptionalTime(ByteReader in) {
      long z = in.readVarLong();
      if (z == 0) {
        return 0;
      }
      z -= 1;
      timeBase += (z >>> 1) ^ -(z & 1);
      return timeBase;
    }

    /** {@link #writeTime} for counts of window slides (their own base). */
    public void writeUnits(ByteWriter out, long u) {
      out.writeVarLongSigned(u - unitBase);
      unitBase = u;
    }

    public long readUnits(ByteReader in) {
      unitBase += in.readVarLongSigned();
      return unitBase;
    }

    public Scope() {
      this(true);
    }

    private Scope(boolean packed) {
      this.packed = packed;
    }

    /**
     * A scope that writes version 1's form of records, whatever the current version: the bytes
     * keys are hashed by to their key groups, which must not change when the format does.
     */
    public static Scope forKeyHashing() {
      return new Scope(false);
    }

    public void clear() {
      timeBase = 0;
      unitBase = 0;
      longBase = 0;
      if (writtenCount > 0) {
        Arrays.fill(written, 0, writtenCount, null);
        writtenCount = 0;
        writtenIndex = null;
      }
      if (readCount > 0) {
        Arrays.fill(read, 0, readCount, null);
        Arrays.fill(readPlans, 0, readCount, null);
        readCount = 0;
      }
    }

    /** The index of {@code t} among the types written in this scope, or -1. */
    int writtenIndexOf(UserType t) {
      if (writtenIndex != null) {
        Integer i = writtenIndex.get(t);
        return i == null ? -1 : i;
      }
      for (int i = 0; i < writtenCount; i++) {
        if (written[i] == t) {
          return i;
        }
      }
      return -1;
    }

    int writtenCount() {
      return writtenCount;
    }

    void addWritten(UserType t) {
      if (written == null) {
        written = new UserType[4];
      } else if (writtenCount == written.length) {
        written = Arrays.copyOf(written, writtenCount * 2);
      }
      written[writtenCount] = t;
      if (writtenIndex != null) {
        writtenIndex.put(t, writtenCount);
      } else if (writtenCount + 1 > LINEAR) {
        writtenIndex = new IdentityHashMap<>();
        for (int i = 0; i <= writtenCount; i++) {
          writtenIndex.put(written[i], i);
        }
      }
      writtenCount++;
    }

    void addRead(UserType t, Object plan) {
      if (read == null) {
        read = new UserType[4];
        readPlans = new Object[4];
      } else if (readCount == read.length) {
        read = Arrays.copyOf(read, readCount * 2);
        readPlans = Arrays.copyOf(readPlans, readCount * 2);
      }
      readPlans[readCount] = plan;
      read[readCount++] = t;
    }

    Object readPlan(int i) {
      return readPlans[i];
    }

    int readCount() {
      return readCount;
    }

    UserType readType(int i) {
      return read[i];
    }
  }

  /** Writes one value with its own scope (for keys and single values). */
  public void writeStandalone(ByteWriter out, Object value) {
    write(out, value, new Scope());
  }

  public Object readStandalone(ByteReader in) {
    return read(in, new Scope());
  }

  public byte[] toBytes(Object value) {
    ByteWriter w = new ByteWriter(32);
    writeStandalone(w, value);
    return w.toByteArray();
  }

  public Object fromBytes(byte[] bytes) {
    ByteReader r = new ByteReader(bytes);
    Object v = readStandalone(r);
    r.expectEnd("value");
    return v;
  }

  public void write(ByteWriter out, Object v, Scope scope) {
    if (v == null) {
      out.writeByte(T_NULL);
    } else if (v instanceof String s) {
      out.writeByte(T_STRING).writeString(s);
    } else if (v instanceof Long l) {
      writeTaggedLong(out, l, scope);
    } else if (v instanceof Integer i) {
      out.writeByte(T_INT).writeVarLongSigned(i);
    } else if (v instanceof Boolean b) {
      out.writeByte(b ? T_TRUE : T_FALSE);
    } else if (v instanceof Double d) {
      out.writeByte(T_DOUBLE).writeDouble(d);
    } else if (v instanceof KV<?, ?> kv) {
      out.writeByte(T_KV);
      write(out, kv.key(), scope);
      write(out, kv.value(), scope);
    } else if (v instanceof byte[] b) {
      out.writeByte(T_BYTES).writeByteArray(b);
    } else if (v instanceof List<?> list) {
      out.writeByte(T_LIST).writeVarInt(list.size());
      for (Object o : list) {
        write(out, o, scope);
      }
    } else if (v instanceof Set<?> set) {
      out.writeByte(T_SET).writeVarInt(set.size());
      for (Object o : set) {
        write(out, o, scope);
      }
    } else if (v instanceof Map<?, ?> map) {
      out.writeByte(T_MAP).writeVarInt(map.size());
      for (Map.Entry<?, ?> e : map.entrySet()) {
        write(out, e.getKey(), scope);
        write(out, e.getValue(), scope);
      }
    } else if (v instanceof Float f) {
      out.writeByte(T_FLOAT).writeInt(Float.floatToRawIntBits(f));
    } else if (v instanceof Short s) {
      out.writeByte(T_SHORT).writeVarLongSigned(s);
    } else if (v instanceof Byte b) {
      out.writeByte(T_BYTE).writeByte(b);
    } else if (v instanceof Character c) {
      out.writeByte(T_CHAR).writeVarInt(c);
    } else {
      writeUser(out, v, scope);
    }
  }

  /** Longs this large update the scope's base; those near it are written as differences. */
  private static boolean large(long v) {
    return v >= 1L << 24 || v <= -(1L << 24);
  }

  private static long zigZag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static long unZigZag(long z) {
    return (z >>> 1) ^ -(z & 1);
  }

  private static void writeTaggedLong(ByteWriter out, long v, Scope scope) {
    if (scope.packed && large(v)) {
      long d = v - scope.longBase;
      scope.longBase = v;
      if (Long.compareUnsigned(zigZag(d), zigZag(v)) < 0) {
        out.writeByte(T_LONG_NEAR).writeVarLongSigned(d);
        return;
      }
    }
    out.writeByte(T_LONG).writeVarLongSigned(v);
  }

  /** A record's long component in a packed record: {@code near} (see the class comment). */
  static void writeNearLong(ByteWriter out, long v, Scope scope) {
    long base = scope.longBase;
    if (large(v)) {
      scope.longBase = v;
    }
    if (base == 0) {
      out.writeVarLong(zigZag(v)); // no large long yet in this unit: as version 1
      return;
    }
    long z = zigZag(v);
    int flag = 0;
    if (large(v)) {
      long zd = zigZag(v - base); // exact modulo 2^64, like the reader's sum
      if (Long.compareUnsigned(zd, z) < 0) {
        z = zd;
        flag = 1;
      }
    }
    // the 65 bits z:flag as a varint: 9 groups of 7 bits, then the last 2 bits (z's top bit, and 0)
    long lo = z << 1 | flag;
    int hi = (int) (z >>> 63);
    for (int i = 0; i < 9; i++) {
      long rest = lo >>> 7;
      if (rest == 0 && hi == 0) {
        out.writeByte((int) lo);
        return;
      }
      out.writeByte((int) (lo & 0x7F) | 0x80);
      lo = rest;
    }
    out.writeByte((int) lo | hi << 1);
  }

  static long readNearLong(ByteReader in, Scope scope) {
    long base = scope.longBase;
    long v;
    if (base == 0) {
      v = in.readVarLongSigned();
    } else {
      long lo = 0;
      int hi = 0;
      for (int shift = 0; ; shift += 7) {
        int b = in.readUnsignedByte();
        if (shift == 63) {
          if (b > 3) {
            throw new CorruptDataException("long too long at offset " + (in.position() - 1));
          }
          lo |= (long) (b & 1) << 63;
          hi = b >> 1;
          break;
        }
        lo |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      long z = lo >>> 1 | (long) hi << 63;
      v = (lo & 1) != 0 ? base + unZigZag(z) : unZigZag(z);
    }
    if (large(v)) {
      scope.longBase = v;
    }
    return v;
  }

  public Object read(ByteReader in, Scope scope) {
    int tag = in.readUnsignedByte();
    switch (tag) {
      case T_NULL:
        return null;
      case T_TRUE:
        return Boolean.TRUE;
      case T_FALSE:
        return Boolean.FALSE;
      case T_INT:
        return (int) in.readVarLongSigned();
      case T_LONG: {
        long v = in.readVarLongSigned();
        if (large(v)) {
          scope.longBase = v;
        }
        return v;
      }
      case T_LONG_NEAR: {
        long v = scope.longBase + in.readVarLongSigned();
        scope.longBase = v;
        return v;
      }
      case T_DOUBLE:
        return in.readDouble();
      case T_STRING:
        return in.readString();
      case T_BYTES:
        return in.readByteArray();
      case T_KV:
        return new KV<>(read(in, scope), read(in, scope));
      case T_LIST: {
        int n = in.readCount();
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(read(in, scope));
        }
        return list;
      }
      case T_SET: {
        int n = in.readCount();
        Set<Object> set = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
          set.add(read(in, scope));
        }
        return set;
      }
      case T_MAP: {
        int n = in.readCount();
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          map.put(read(in, scope), read(in, scope));
        }
        return map;
      }
      case T_FLOAT:
        return Float.intBitsToFloat(in.readInt());
      case T_SHORT:
        return (short) in.readVarLongSigned();
      case T_BYTE:
        return (byte) in.readByte();
      case T_CHAR:
        return (char) in.readVarInt();
      case T_DEFINE_RECORD: {
        String name = in.readString();
        UserType t = typeNamed(name, false);
        if (!(t instanceof RecordType rt)) {
          throw new CorruptDataException("type '" + name + "' is defined as a record in encoded data, but the job"
              + " registers it as " + (t instanceof EnumType ? "an enum" : "a type with its own codec"));
        }
        RecordType.Plan plan = rt.plan(in);
        scope.addRead(t, plan);
        return rt.read(this, in, scope, plan);
      }
      case T_DEFINE:
      case T_DEFINE_PACKED: {
        UserType t = typeNamed(in.readString(), true);
        boolean packed = tag == T_DEFINE_PACKED;
        if (packed && !(t instanceof RecordType)) {
          throw new CorruptDataException("type '" + t.name + "' is defined as a record with primitive components,"
              + " but it is not a record");
        }
        scope.addRead(t, packed ? PACKED : null);
        return t.read(this, in, scope, packed);
      }
      default:
        if (tag >= T_USER) {
          int idx = tag - T_USER;
          if (idx >= scope.readCount()) {
            throw new CorruptDataException("reference to undefined type #" + idx + " at offset "
                + (in.position() - 1));
          }
          Object plan = scope.readPlan(idx);
          if (plan instanceof RecordType.Plan p) {
            return ((RecordType) scope.readType(idx)).read(this, in, scope, p);
          }
          return scope.readType(idx).read(this, in, scope, plan == PACKED);
        }
        throw new CorruptDataException("unknown value tag " + tag + " at offset " + (in.position() - 1));
    }
  }

  private void writeUser(ByteWriter out, Object v, Scope scope) {
    UserType t = typeOf(v.getClass());
    // version 3: a record with its schema, its primitive components untagged; version 1 (key hashing): all tagged
    boolean packed = scope.packed && t instanceof RecordType;
    int idx = scope.writtenIndexOf(t);
    if (idx < 0) {
      int n = scope.writtenCount();
      if (T_USER + n > 255) {
        throw new IllegalStateException("more than " + (255 - T_USER) + " distinct user types in one batch");
      }
      scope.addWritten(t);
      if (packed) {
        out.writeByte(T_DEFINE_RECORD).writeString(t.name).writeRaw(((RecordType) t).schema);
      } else {
        out.writeByte(T_DEFINE).writeString(t.name);
      }
    } else {
      out.writeByte(T_USER + idx);
    }
    t.write(this, out, v, scope, packed);
  }

  /** The last class looked up and its type: batches are usually of one record type. */
  private record LastType(Class<?> type, UserType userType) {}

  private volatile LastType last;

  private UserType typeOf(Class<?> c) {
    LastType l = last;
    if (l != null && l.type() == c) {
      return l.userType();
    }
    UserType t = byClass.get(c);
    if (t == null) {
      t = resolve(c);
      byClass.put(c, t);
      byName.putIfAbsent(t.name, t);
    }
    last = new LastType(c, t);
    return t;
  }

  /**
   * The type defined under {@code name}: a logical name of the job's registry, or — only in a
   * definition of versions 1 and 2 ({@code legacy}), which wrote unregistered records and enums
   * under their class names — a record or enum class of that name. Version 3 names only logically.
   */
  private UserType typeNamed(String name, boolean legacy) {
    UserType t = byName.get(name);
    if (t != null) {
      return t;
    }
    var entry = registry.byName(name);
    if (entry.isPresent()) {
      return typeOf(entry.get().type());
    }
    if (!legacy) {
      throw new CorruptDataException("unknown type '" + name
          + "' in encoded data: no type is registered under this name in the job's CodecRegistry");
    }
    t = byClassName.get(name);
    if (t != null) {
      return t;
    }
    Class<?> c;
    try {
      c = Class.forName(name, false, classLoader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new CorruptDataException("unknown type '" + name
          + "' in encoded data: no type is registered under this name in the job's CodecRegistry", e);
    }
    if (c.isRecord()) {
      t = RecordType.of(name, c);
    } else if (c.isEnum()) {
      t = new EnumType(name, c);
    } else {
      throw new CorruptDataException("type '" + name + "' in encoded data is not a record or enum and"
          + " has no registered codec");
    }
    UserType raced = byClassName.putIfAbsent(name, t);
    return raced != null ? raced : t;
  }

  private UserType resolve(Class<?> c) {
    if (c.isAnonymousClass() && c.getSuperclass() != null && c.getSuperclass().isEnum()) {
      return typeOf(c.getSuperclass()); // an enum constant with a body
    }
    var entry = registry.byType(c);
    if (entry.isPresent()) {
      CodecRegistry.Entry e = entry.get();
      if (e.codec() != null) {
        return new CodecType(e.name(), e.codec());
      }
      return c.isRecord() ? RecordType.of(e.name(), c) : new EnumType(e.name(), c);
    }
    if (c.isRecord() || c.isEnum()) {
      throw new IllegalArgumentException((c.isRecord() ? "record " : "enum ") + c.getName()
          + " has no logical type name: Sluice does not write Java class names into persisted data, so that a"
          + " class can be renamed or moved. Name it in the job's settings: JobConfig.withType(" + c.getSimpleName()
          + ".class, \"<name>\") (or CodecRegistry.withName)");
    }
    throw new IllegalArgumentException("no codec for " + c.getName()
        + ": make it a record, or register it with CodecRegistry.withCodec(" + c.getSimpleName()
        + ".class, \"<name>\", codec) or withJackson(" + c.getSimpleName() + ".class, \"<name>\")"
        + " in the job's settings");
  }

  private abstract static class UserType {
    final String name;

    UserType(String name) {
      this.name = name;
    }

    abstract void write(ValueCodec vc, ByteWriter out, Object v, Scope scope, boolean packed);

    abstract Object read(ValueCodec vc, ByteReader in, Scope scope, boolean packed);
  }

  private static final class CodecType extends UserType {
    private final Codec<Object> codec;

    @SuppressWarnings("unchecked")
    CodecType(String name, Codec<?> codec) {
      super(name);
      this.codec = (Codec<Object>) codec;
    }

    @Override
    void write(ValueCodec vc, ByteWriter out, Object v, Scope scope, boolean packed) {
      codec.write(out, v);
    }

    @Override
    Object read(ValueCodec vc, ByteReader in, Scope scope, boolean packed) {
      try {
        return codec.read(in);
      } catch (CorruptDataException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new CorruptDataException("codec for type '" + name + "' failed to read: " + e, e);
      }
    }
  }

  private static final class EnumType extends UserType {
    private final Map<String, Object> constants = new LinkedHashMap<>();

    EnumType(String name, Class<?> c) {
      super(name);
      for (Object o : c.getEnumConstants()) {
        constants.put(((Enum<?>) o).name(), o);
      }
    }

    @Override
    void write(ValueCodec vc, ByteWriter out, Object v, Scope scope, boolean packed) {
      out.writeString(((Enum<?>) v).name());
    }

    @Override
    Object read(ValueCodec vc, ByteReader in, Scope scope, boolean packed) {
      String c = in.readString();
      Object o = constants.get(c);
      if (o == null) {
        throw new CorruptDataException("enum " + name + " has no constant " + c);
      }
      return o;
    }
  }

  private static final class RecordType extends UserType {
    /** The kinds of a schema's components: 0 tagged, then the primitive types in this order. */
    private static final Class<?>[] KINDS = {
        null, long.class, int.class, double.class, boolean.class, short.class, byte.class, char.class, float.class};
    private static final int MAX_PLANS = 64;

    private final MethodHandle[] accessors;
    private final Class<?>[] componentTypes;
    private final Class<?>[] boxedTypes;
    private final String[] componentNames;
    private final MethodHandle constructor;
    /** Version 3's schema as written after the name: component count, then name and kind of each. */
    final byte[] schema;
    /** Read plans by the schema they were made for (a record has few versions in a job's data). */
    private final Map<String, Plan> plans = new ConcurrentHashMap<>();

    private RecordType(String name, MethodHandle[] accessors, Class<?>[] componentTypes, String[] componentNames,
        MethodHandle constructor) {
      super(name);
      this.accessors = accessors;
      this.componentTypes = componentTypes;
      this.boxedTypes = boxed(componentTypes);
      this.componentNames = componentNames;
      this.constructor = constructor;
      ByteWriter w = new ByteWriter(16 + 8 * componentNames.length).writeVarInt(componentNames.length);
      for (int i = 0; i < componentNames.length; i++) {
        w.writeString(componentNames[i]).writeByte(kindOf(componentTypes[i]));
      }
      this.schema = w.toByteArray();
    }

    private static int kindOf(Class<?> type) {
      for (int k = 1; k < KINDS.length; k++) {
        if (KINDS[k] == type) {
          return k;
        }
      }
      return 0;
    }

    /**
     * How to read values written under one schema into this record: which current component each
     * written one fills (or none), and what the components that were not written get.
     */
    static final class Plan {
      final int[] target;
      final int[] kinds;
      final String[] names;
      final boolean identity;
      final Object[] missing;

      Plan(int[] target, int[] kinds, String[] names, boolean identity, Object[] missing) {
        this.target = target;
        this.kinds = kinds;
        this.names = names;
        this.identity = identity;
        this.missing = missing;
      }
    }

    /** Reads a schema (after the name of a version 3 definition) and returns its read plan. */
    Plan plan(ByteReader in) {
      int n = in.readCount();
      String[] names = new String[n];
      int[] kinds = new int[n];
      StringBuilder key = new StringBuilder();
      for (int i = 0; i < n; i++) {
        names[i] = in.readString();
        kinds[i] = in.readUnsignedByte();
        if (kinds[i] >= KINDS.length) {
          throw new CorruptDataException("record " + name + ": component '" + names[i] + "' has unknown kind "
              + kinds[i] + " at offset " + (in.position() - 1));
        }
        key.append(names[i]).append('\u0000').append((char) ('0' + kinds[i]));
      }
      Plan p = plans.get(key.toString());
      if (p == null) {
        p = makePlan(names, kinds);
        if (plans.size() < MAX_PLANS) {
          plans.put(key.toString(), p);
        }
      }
      return p;
    }

    private Plan makePlan(String[] names, int[] kinds) {
      Map<String, Integer> current = new LinkedHashMap<>();
      for (int j = 0; j < componentNames.length; j++) {
        current.put(componentNames[j], j);
      }
      int[] target = new int[names.length];
      boolean[] filled = new boolean[componentNames.length];
      boolean identity = names.length == componentNames.length;
      for (int i = 0; i < names.length; i++) {
        Integer j = current.get(names[i]);
        if (j != null && filled[j]) {
          throw new CorruptDataException("record " + name + ": component '" + names[i] + "' is written twice");
        }
        target[i] = j == null ? -1 : j;
        if (j != null) {
          filled[j] = true;
          if (kinds[i] != 0) {
            // a primitive written: the current component must take it, widened if need be
            Class<?> from = KINDS[kinds[i]];
            Class<?> boxedFrom = MethodType.methodType(from).wrap().returnType();
            if (!boxedTypes[j].isAssignableFrom(boxedFrom) && !widens(boxedFrom, boxedTypes[j])) {
              throw new CorruptDataException("record " + name + ": component '" + names[i] + "' was written as "
                  + from + " and cannot be read as " + componentTypes[j].getTypeName());
            }
          }
        }
        identity &= target[i] == i && kinds[i] == kindOf(componentTypes[i]);
      }
      Object[] missing = new Object[componentNames.length];
      for (int j = 0; j < componentNames.length; j++) {
        if (!filled[j] && componentTypes[j].isPrimitive()) {
          missing[j] = zero(componentTypes[j]);
        }
      }
      return new Plan(target, kinds, names, identity, missing);
    }

    private static Object zero(Class<?> primitive) {
      if (primitive == boolean.class) {
        return false;
      } else if (primitive == char.class) {
        return (char) 0;
      } else if (primitive == long.class) {
        return 0L;
      } else if (primitive == int.class) {
        return 0;
      } else if (primitive == double.class) {
        return 0.0;
      } else if (primitive == float.class) {
        return 0.0f;
      } else if (primitive == short.class) {
        return (short) 0;
      } else {
        return (byte) 0;
      }
    }

    /** The boxed numeric types in the order of Java's widening conversions (char widens from int up). */
    private static final List<Class<?>> NUMBERS = List.of(
        Byte.class, Short.class, Integer.class, Long.class, Float.class, Double.class);

    /** Whether a Java widening conversion takes a {@code from} to a {@code to} (both boxed). */
    private static boolean widens(Class<?> from, Class<?> to) {
      int t = NUMBERS.indexOf(to);
      if (from == Character.class) {
        return t >= NUMBERS.indexOf(Integer.class);
      }
      int f = NUMBERS.indexOf(from);
      return f >= 0 && t > f;
    }

    /** {@code v} widened to {@code to} (see {@link #widens}). */
    private static Object widen(Object v, Class<?> to) {
      if (to == Double.class) {
        return v instanceof Character c ? (double) c : ((Number) v).doubleValue();
      } else if (to == Float.class) {
        return v instanceof Character c ? (float) c : ((Number) v).floatValue();
      }
      long l = v instanceof Character c ? c : ((Number) v).longValue();
      if (to == Long.class) {
        return l;
      } else if (to == Integer.class) {
        return (int) l;
      }
      return (short) l;
    }

    /** A component read as written, as the current component {@code j} takes it. */
    private Object fit(Object v, int j, String writtenName) {
      Class<?> to = boxedTypes[j];
      if (v == null) {
        if (componentTypes[j].isPrimitive()) {
          throw new CorruptDataException("record " + name + ": component '" + writtenName
              + "' is null in encoded data but is a " + componentTypes[j] + " now");
        }
        return null;
      }
      if (to.isInstance(v)) {
        return v;
      }
      if (!widens(v.getClass(), to)) {
        throw new CorruptDataException("record " + name + ": component '" + writtenName + "' holds a "
            + v.getClass().getSimpleName() + " in encoded data, which cannot be read as "
            + componentTypes[j].getTypeName());
      }
      return widen(v, to);
    }

    /** Reads a value written in version 3 under the schema {@code plan} was made for. */
    Object read(ValueCodec vc, ByteReader in, Scope scope, Plan plan) {
      if (plan.identity) {
        return read(vc, in, scope, true);
      }
      Object[] args = plan.missing.clone();
      int[] target = plan.target;
      for (int i = 0; i < target.length; i++) {
        int k = plan.kinds[i];
        Object v = k == 0 ? vc.read(in, scope) : readPrimitive(in, KINDS[k], i, scope);
        int j = target[i];
        if (j >= 0) {
          args[j] = fit(v, j, plan.names[i]);
        }
      }
      return construct(args);
    }

    static RecordType of(String name, Class<?> c) {
      RecordComponent[] rc = c.getRecordComponents();
      MethodHandle[] acc = new MethodHandle[rc.length];
      Class<?>[] types = new Class<?>[rc.length];
      String[] names = new String[rc.length];
      try {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (int i = 0; i < rc.length; i++) {
          var m = rc[i].getAccessor();
          m.setAccessible(true);
          acc[i] = lookup.unreflect(m).asType(MethodType.methodType(Object.class, Object.class));
          types[i] = rc[i].getType();
          names[i] = rc[i].getName();
        }
        var ctor = c.getDeclaredConstructor(types);
        ctor.setAccessible(true);
        MethodHandle mh = lookup.unreflectConstructor(ctor)
            .asType(MethodType.methodType(Object.class, boxed(types)))
            .asSpreader(Object[].class, rc.length);
        return new RecordType(name, acc, types, names, mh);
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalArgumentException("cannot encode record " + c.getName()
            + ": its canonical constructor or accessors are not accessible (" + e.getMessage()
            + "); make it public or register a codec", e);
      }
    }

    private static Class<?>[] boxed(Class<?>[] types) {
      Class<?>[] out = new Class<?>[types.length];
      for (int i = 0; i < types.length; i++) {
        out[i] = types[i].isPrimitive() ? MethodType.methodType(types[i]).wrap().returnType() : types[i];
      }
      return out;
    }

    @Override
    void write(ValueCodec vc, ByteWriter out, Object v, Scope scope, boolean packed) {
      for (int i = 0; i < accessors.length; i++) {
        Object c;
        try {
          c = accessors[i].invokeExact(v);
        } catch (RuntimeException | Error e) {
          throw e;
        } catch (Throwable e) {
          throw new IllegalStateException(e);
        }
        if (packed && componentTypes[i].isPrimitive()) {
          writePrimitive(out, componentTypes[i], c, scope);
        } else {
          vc.write(out, c, scope);
        }
      }
    }

    private static void writePrimitive(ByteWriter out, Class<?> type, Object c, Scope scope) {
      if (type == long.class) {
        writeNearLong(out, (Long) c, scope);
      } else if (type == int.class) {
        out.writeVarLongSigned((Integer) c);
      } else if (type == double.class) {
        out.writeDouble((Double) c);
      } else if (type == boolean.class) {
        out.writeByte((Boolean) c ? 1 : 0);
      } else if (type == short.class) {
        out.writeVarLongSigned((Short) c);
      } else if (type == byte.class) {
        out.writeByte((Byte) c);
      } else if (type == char.class) {
        out.writeVarInt((Character) c);
      } else if (type == float.class) {
        out.writeInt(Float.floatToRawIntBits((Float) c));
      } else {
        throw new IllegalStateException("not a primitive type: " + type);
      }
    }

    private Object readPrimitive(ByteReader in, Class<?> type, int i, Scope scope) {
      if (type == long.class) {
        return readNearLong(in, scope);
      } else if (type == int.class) {
        long v = in.readVarLongSigned();
        if (v != (int) v) {
          throw new CorruptDataException("record " + name + ": int component #" + i + " out of range: " + v);
        }
        return (int) v;
      } else if (type == double.class) {
        return in.readDouble();
      } else if (type == boolean.class) {
        int b = in.readUnsignedByte();
        if (b > 1) {
          throw new CorruptDataException("record " + name + ": boolean component #" + i + " is " + b);
        }
        return b == 1;
      } else if (type == short.class) {
        long v = in.readVarLongSigned();
        if (v != (short) v) {
          throw new CorruptDataException("record " + name + ": short component #" + i + " out of range: " + v);
        }
        return (short) v;
      } else if (type == byte.class) {
        return (byte) in.readUnsignedByte();
      } else if (type == char.class) {
        return (char) in.readVarInt();
      } else {
        return Float.intBitsToFloat(in.readInt());
      }
    }

    @Override
    Object read(ValueCodec vc, ByteReader in, Scope scope, boolean packed) {
      Object[] args = new Object[accessors.length];
      for (int i = 0; i < args.length; i++) {
        if (packed && componentTypes[i].isPrimitive()) {
          args[i] = readPrimitive(in, componentTypes[i], i, scope);
          continue;
        }
        args[i] = vc.read(in, scope);
        if (args[i] == null && componentTypes[i].isPrimitive()) {
          throw new CorruptDataException("record " + name + ": null for primitive component #" + i);
        }
      }
      return construct(args);
    }

    private Object construct(Object[] args) {
      try {
        return (Object) constructor.invokeExact(args);
      } catch (ClassCastException e) {
        throw new CorruptDataException("record " + name + ": encoded components do not match the record's"
            + " component types (" + e.getMessage() + ")", e);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
