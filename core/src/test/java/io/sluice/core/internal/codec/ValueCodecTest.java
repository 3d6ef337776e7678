package io.sluice.core.internal.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.Codec;
import io.sluice.core.codec.CodecRegistry;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.KV;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of every tag of the value encoding (format version 1). These bytes are in journals
 * and snapshots: if one of these tests fails, the format changed, and data already written may no
 * longer be readable.
 */
class ValueCodecTest {
  record Point(int x, int y) {}

  record Flag(boolean on) {}

  record Line(Point from, Point to, List<String> tags) {}

  record Unnamed(String s) {}

  enum Color { RED, GREEN }

  enum Op {
    NEG {
      @Override
      long apply(long x) {
        return -x;
      }
    };

    abstract long apply(long x);
  }

  /** A type with a hand-written codec. */
  static final class Money {
    final long cents;

    Money(long cents) {
      this.cents = cents;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Money m && m.cents == cents;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(cents);
    }
  }

  /** A Jackson-bindable POJO. */
  public static final class Pojo {
    public String name;
    public int n;

    @Override
    public boolean equals(Object o) {
      return o instanceof Pojo p && p.n == n && p.name.equals(name);
    }

    @Override
    public int hashCode() {
      return n;
    }
  }

  /** Neither a record nor registered. */
  static final class Unregistered {}

  private static final Codec<Money> MONEY = new Codec<>() {
    @Override
    public void write(ByteWriter out, Money value) {
      out.writeLong(value.cents);
    }

    @Override
    public Money read(ByteReader in) {
      return new Money(in.readLong());
    }
  };

  private static final CodecRegistry REGISTRY = CodecRegistry.defaults()
      .withName(Point.class, "test.Point")
      .withName(Flag.class, "test.Flag")
      .withName(Color.class, "test.Color")
      .withName(Line.class, "test.Line")
      .withName(Op.class, "test.Op")
      .withName(Primitives.class, "test.Primitives")
      .withName(Reading.class, "test.Reading")
      .withCodec(Money.class, "test.Money", MONEY)
      .withJackson(Pojo.class, "test.Pojo");

  private final ValueCodec codec = new ValueCodec(REGISTRY, ValueCodecTest.class.getClassLoader());

  private void golden(String hex, Object value) {
    assertEquals(hex, Hex.of(codec.toBytes(value)), "encoding of " + value);
    Object back = codec.fromBytes(Hex.bytes(hex));
    if (value instanceof byte[] b) {
      assertArrayEquals(b, (byte[]) back);
    } else {
      assertEquals(value, back, "decoding of " + hex);
    }
  }

  @Test
  void goldenBytesOfScalars() {
    golden("00", null);
    golden("01", true);
    golden("02", false);
    golden("03 0e", 7);
    golden("03 01", -1);
    golden("03 ff ff ff ff 0f", Integer.MIN_VALUE);
    golden("04 d8 04", 300L);
    golden("04 01", -1L);
    golden("04 fe ff ff ff ff ff ff ff ff 01", Long.MAX_VALUE);
    golden("05 3f f8 00 00 00 00 00 00", 1.5);
    golden("06 00", "");
    golden("06 03 68 c3 a9", "hé");
    golden("07 03 01 02 ff", new byte[] {1, 2, -1});
    golden("0c 3f 80 00 00", 1.0f);
    golden("0d 03", (short) -2);
    golden("0e ff", (byte) -1);
    golden("0f 41", 'A');
    golden("0f e9 01", 'é');
  }

  @Test
  void goldenBytesOfContainers() {
    golden("08 06 01 61 04 02", KV.of("a", 1L));
    golden("09 03 04 02 06 01 78 00", Arrays.asList(1L, "x", null));
    golden("09 00", List.of());
    Map<String, Integer> m = new LinkedHashMap<>();
    m.put("b", 2);
    m.put("a", 1);
    golden("0a 02 06 01 62 03 04 06 01 61 03 02", m);
    golden("0b 02 01 02", new LinkedHashSet<>(List.of(true, false)));
  }

  @Test
  void goldenBytesOfUserTypes() {
    // a record (1d) with its schema: two components, "x" and "y", both of kind int (02); then its ints untagged
    golden("1d 0a 74 65 73 74 2e 50 6f 69 6e 74 02 01 78 02 01 79 02 02 04", new Point(1, 2));
    golden("1f 0a 74 65 73 74 2e 43 6f 6c 6f 72 05 47 52 45 45 4e", Color.GREEN);
    golden("1f 0a 74 65 73 74 2e 4d 6f 6e 65 79 00 00 00 00 00 00 30 39", new Money(12345));
  }

  @Test
  void aTypeIsNamedOncePerScope_thenReferencedByIndex() {
    golden("09 02 1d 0a 74 65 73 74 2e 50 6f 69 6e 74 02 01 78 02 01 79 02 02 04 20 06 08",
        List.of(new Point(1, 2), new Point(3, 4)));
    // a second type in the same scope gets index 1 (tag 0x21)
    ByteWriter w = new ByteWriter();
    ValueCodec.Scope scope = new ValueCodec.Scope();
    codec.write(w, new Point(0, 0), scope);
    codec.write(w, Color.RED, scope);
    codec.write(w, Color.GREEN, scope);
    codec.write(w, new Point(0, 1), scope);
    assertEquals("1d 0a 74 65 73 74 2e 50 6f 69 6e 74 02 01 78 02 01 79 02 00 00 "
        + "1f 0a 74 65 73 74 2e 43 6f 6c 6f 72 03 52 45 44 "
        + "21 05 47 52 45 45 4e "
        + "20 00 02", Hex.of(w.toByteArray()));
    ByteReader r = new ByteReader(w.toByteArray());
    ValueCodec.Scope readScope = new ValueCodec.Scope();
    assertEquals(List.of(new Point(0, 0), Color.RED, Color.GREEN, new Point(0, 1)),
        List.of(codec.read(r, readScope), codec.read(r, readScope), codec.read(r, readScope), codec.read(r, readScope)));
    r.expectEnd("values");
  }

  @Test
  void anUnnamedRecordOrEnumIsRefused_noClassNameIsWritten() {
    assertEquals("record io.sluice.core.internal.codec.ValueCodecTest$Unnamed has no logical type name: Sluice does"
        + " not write Java class names into persisted data, so that a class can be renamed or moved. Name it in the"
        + " job's settings: JobConfig.withType(Unnamed.class, \"<name>\") (or CodecRegistry.withName)",
        assertThrows(IllegalArgumentException.class, () -> codec.toBytes(new Unnamed("z"))).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.toBytes(List.of(Thread.State.NEW)))
        .getMessage().startsWith("enum java.lang.Thread$State has no logical type name"));
    // data that versions 1 and 2 wrote under the class name stays readable
    ByteWriter old = new ByteWriter().writeByte(0x1f).writeString(Unnamed.class.getName()).writeByte(0x06)
        .writeString("z");
    assertEquals(new Unnamed("z"), codec.fromBytes(old.toByteArray()));
    // version 3 names types only logically: a class name there is not looked up as a class
    ByteWriter v3 = new ByteWriter().writeByte(0x1d).writeString(Unnamed.class.getName()).writeVarInt(1)
        .writeString("s").writeByte(0).writeByte(0x06).writeString("z");
    assertEquals("unknown type '" + Unnamed.class.getName() + "' in encoded data: no type is registered under this"
        + " name in the job's CodecRegistry",
        assertThrows(CorruptDataException.class, () -> codec.fromBytes(v3.toByteArray())).getMessage());
  }

  @Test
  void nestedValuesRoundTrip() {
    Line line = new Line(new Point(1, -1), new Point(Integer.MAX_VALUE, Integer.MIN_VALUE), List.of("a", "ü"));
    assertEquals(line, codec.fromBytes(codec.toBytes(line)));
    Map<Object, Object> mixed = new LinkedHashMap<>();
    mixed.put(KV.of(Color.RED, 1.0f), Set.of(new Money(-5)));
    mixed.put("list", List.of(List.of(), Map.of(), (short) 3, (byte) 4, 'c', Double.NaN));
    assertEquals(mixed, codec.fromBytes(codec.toBytes(mixed)));
  }

  @Test
  void aJacksonTypeRoundTripsAsCbor() {
    Pojo p = new Pojo();
    p.name = "jack";
    p.n = 3;
    byte[] b = codec.toBytes(p);
    assertEquals("1f 09 74 65 73 74 2e 50 6f 6a 6f", Hex.of(Arrays.copyOf(b, 11)), "the type is named by its logical name");
    assertEquals(p, codec.fromBytes(b));
  }

  @Test
  void decodedCollectionsCanBeMutated_soAccumulatorsBehaveTheSameAfterRecovery() {
    Object list = codec.fromBytes(codec.toBytes(new ArrayList<>(List.of(1L))));
    assertEquals(ArrayList.class, list.getClass());
    Object map = codec.fromBytes(codec.toBytes(Map.of("a", 1)));
    assertEquals(LinkedHashMap.class, map.getClass());
    Object set = codec.fromBytes(codec.toBytes(Set.of("a")));
    assertEquals(LinkedHashSet.class, set.getClass());
  }

  // ---- errors ---------------------------------------------------------------------------------

  private String corrupt(String hex) {
    return assertThrows(CorruptDataException.class, () -> codec.fromBytes(Hex.bytes(hex))).getMessage();
  }

  @Test
  void truncatedOrCorruptInputIsReportedWithItsOffset() {
    assertEquals("truncated data: need 1 bytes at offset 0, have 0", corrupt(""));
    assertEquals("length 5 exceeds the 2 bytes remaining at offset 2", corrupt("06 05 68 65"));
    assertEquals("truncated data: need 8 bytes at offset 1, have 3", corrupt("05 3f f8 00"));
    assertEquals("unknown value tag 17 at offset 0", corrupt("11"));
    assertEquals("unknown value tag 28 at offset 3", corrupt("09 02 00 1c"));
    assertEquals("type 'test.Color' is defined as a record in encoded data, but the job registers it as an enum",
        corrupt("1d 0a 74 65 73 74 2e 43 6f 6c 6f 72 00"));
    assertEquals("record test.Point: component 'x' has unknown kind 9 at offset 15",
        corrupt("1d 0a 74 65 73 74 2e 50 6f 69 6e 74 01 01 78 09"));
    assertEquals("record test.Point: component 'x' is written twice",
        corrupt("1d 0a 74 65 73 74 2e 50 6f 69 6e 74 02 01 78 02 01 78 02 02 04"));
    assertEquals("record test.Flag: boolean component #0 is 2",
        corrupt("1d 09 74 65 73 74 2e 46 6c 61 67 01 02 6f 6e 04 02"));
    assertEquals("reference to undefined type #1 at offset 0", corrupt("21 00"));
    assertEquals("value: 1 unexpected trailing bytes at offset 1", corrupt("00 00"));
    assertEquals("length 200 exceeds the 1 bytes remaining at offset 3", corrupt("09 c8 01 00"));
    assertEquals("varint too long at offset 11", corrupt("04 ff ff ff ff ff ff ff ff ff ff 01"));
  }

  @Test
  void anUnknownTypeNameIsReportedByName() {
    ByteWriter w = new ByteWriter().writeByte(0x1f).writeString("com.example.Gone").writeByte(0);
    assertEquals("unknown type 'com.example.Gone' in encoded data: no type is registered under this name in the"
        + " job's CodecRegistry",
        assertThrows(CorruptDataException.class, () -> codec.fromBytes(w.toByteArray())).getMessage());
    ByteWriter w2 = new ByteWriter().writeByte(0x1f).writeString("java.lang.Thread");
    assertEquals("type 'java.lang.Thread' in encoded data is not a record or enum and has no registered codec",
        assertThrows(CorruptDataException.class, () -> codec.fromBytes(w2.toByteArray())).getMessage());
  }

  @Test
  void aRecordWhoseShapeChangedIsReported() {
    ByteWriter noSuchConstant = new ByteWriter().writeByte(0x1f).writeString("test.Color").writeString("BLUE");
    assertEquals("enum test.Color has no constant BLUE",
        assertThrows(CorruptDataException.class, () -> codec.fromBytes(noSuchConstant.toByteArray())).getMessage());
    ByteWriter nullPrimitive = new ByteWriter().writeByte(0x1f).writeString("test.Point").writeByte(0).writeByte(0);
    assertEquals("record test.Point: null for primitive component #0",
        assertThrows(CorruptDataException.class, () -> codec.fromBytes(nullPrimitive.toByteArray())).getMessage());
    ByteWriter wrongType = new ByteWriter().writeByte(0x1f).writeString("test.Point").writeByte(6).writeString("x")
        .writeByte(3).writeByte(2);
    String m = assertThrows(CorruptDataException.class, () -> codec.fromBytes(wrongType.toByteArray())).getMessage();
    assertTrue(m.startsWith("record test.Point: encoded components do not match the record's component types ("), m);
    ByteWriter missingComponent = new ByteWriter().writeByte(0x1f).writeString("test.Point").writeByte(3).writeByte(2);
    assertEquals("truncated data: need 1 bytes at offset 14, have 0",
        assertThrows(CorruptDataException.class, () -> codec.fromBytes(missingComponent.toByteArray())).getMessage());
  }

  @Test
  void aFailingCodecIsReportedWithItsTypeName() {
    Codec<Money> broken = new Codec<>() {
      @Override
      public void write(ByteWriter out, Money value) {
        out.writeLong(value.cents);
      }

      @Override
      public Money read(ByteReader in) {
        throw new IllegalStateException("boom");
      }
    };
    ValueCodec c = new ValueCodec(CodecRegistry.defaults().withCodec(Money.class, "test.Money", broken),
        getClass().getClassLoader());
    assertEquals("codec for type 'test.Money' failed to read: java.lang.IllegalStateException: boom",
        assertThrows(CorruptDataException.class, () -> c.fromBytes(c.toBytes(new Money(1)))).getMessage());
  }

  @Test
  void anUnregisteredClassSaysHowToRegisterIt() {
    assertEquals("no codec for io.sluice.core.internal.codec.ValueCodecTest$Unregistered: make it a record, or register"
        + " it with CodecRegistry.withCodec(Unregistered.class, \"<name>\", codec) or withJackson(Unregistered.class,"
        + " \"<name>\") in the job's settings",
        assertThrows(IllegalArgumentException.class, () -> codec.toBytes(new Unregistered())).getMessage());
  }

  @Test
  void anEnumConstantWithABodyIsEncodedAsItsEnum() {
    ByteWriter expected = new ByteWriter().writeByte(0x1f).writeString("test.Op").writeString("NEG");
    assertArrayEquals(expected.toByteArray(), codec.toBytes(Op.NEG));
    assertEquals(Op.NEG, codec.fromBytes(expected.toByteArray()));
  }

  @Test
  void anAnonymousClassIsNamedInTheError() {
    Runnable anonymous = new Runnable() {
      @Override
      public void run() {}
    };
    String m = assertThrows(IllegalArgumentException.class, () -> codec.toBytes(anonymous)).getMessage();
    assertTrue(m.startsWith("no codec for " + anonymous.getClass().getName() + ": make it a record"), m);
  }

  @Test
  void registryNamesAreValidated() {
    assertEquals("invalid logical type name '1bad' for io.sluice.core.internal.codec.ValueCodecTest$Money: use letters,"
        + " digits, '_', '.', '$' or '-'", assertThrows(IllegalArgumentException.class,
            () -> CodecRegistry.defaults().withCodec(Money.class, "1bad", MONEY)).getMessage());
    assertEquals("logical type name 'test.Point' is already used by io.sluice.core.internal.codec.ValueCodecTest$Point;"
        + " choose another name for io.sluice.core.internal.codec.ValueCodecTest$Money",
        assertThrows(IllegalArgumentException.class, () -> REGISTRY.withCodec(Money.class, "test.Point", MONEY))
            .getMessage());
    assertEquals("io.sluice.core.internal.codec.ValueCodecTest$Money is neither a record nor an enum: register a codec"
        + " with withCodec(...) or withJackson(...)",
        assertThrows(IllegalArgumentException.class, () -> CodecRegistry.defaults().withName(Money.class, "m"))
            .getMessage());
  }

  @Test
  void dataWrittenUnderAClassNameIsReadableAfterTheTypeGetsALogicalName() {
    // version 2's packed form under the class name
    byte[] old = new ByteWriter().writeByte(0x1e).writeString(Point.class.getName()).writeByte(0x0a).writeByte(0x0c)
        .toByteArray();
    assertEquals(new Point(5, 6), codec.fromBytes(old));
    assertEquals("1d 0a 74 65 73 74 2e 50 6f 69 6e 74 02 01 78 02 01 79 02 0a 0c", Hex.of(codec.toBytes(new Point(5, 6))));
  }

  @Test
  void versionTwoRecordsWithUntaggedPrimitiveComponentsStayReadable() {
    assertEquals(new Point(1, 2), codec.fromBytes(Hex.bytes("1e 0a 74 65 73 74 2e 50 6f 69 6e 74 02 04")));
    assertEquals(List.of(new Point(1, 2), new Point(3, 4)), codec.fromBytes(Hex.bytes(
        "09 02 1e 0a 74 65 73 74 2e 50 6f 69 6e 74 02 04 20 06 08")));
    assertEquals("type 'test.Color' is defined as a record with primitive components, but it is not a record",
        corrupt("1e 0a 74 65 73 74 2e 43 6f 6c 6f 72 05 47 52 45 45 4e"));
    assertEquals("record test.Flag: boolean component #0 is 2", corrupt("1e 09 74 65 73 74 2e 46 6c 61 67 02"));
  }

  @Test
  void versionOneRecordsWithTaggedPrimitiveComponentsStayReadable() {
    assertEquals(new Point(1, 2), codec.fromBytes(Hex.bytes("1f 0a 74 65 73 74 2e 50 6f 69 6e 74 03 02 03 04")));
    assertEquals(List.of(new Point(1, 2), new Point(3, 4)), codec.fromBytes(Hex.bytes(
        "09 02 1f 0a 74 65 73 74 2e 50 6f 69 6e 74 03 02 03 04 20 03 06 03 08")));
    // a dead letter written under its class name, before Sluice named it sluice.DeadLetter
    ByteWriter old = new ByteWriter().writeByte(0x1f).writeString(DeadLetter.class.getName())
        .writeByte(6).writeString("job").writeByte(6).writeString("op").writeByte(3).writeByte(2)
        .writeByte(6).writeString("r").writeByte(6).writeString("e").writeByte(3).writeByte(6);
    assertEquals(new DeadLetter("job", "op", 1, "r", "e", 3), codec.fromBytes(old.toByteArray()));
  }

  /** Every primitive type, untagged in version 2, round trips at its extremes. */
  public record Primitives(long l, int i, short s, byte b, char c, boolean z, double d, float f, Long boxed) {}

  @Test
  void primitiveComponentsRoundTripAtTheirExtremes() {
    for (Primitives p : List.of(new Primitives(Long.MIN_VALUE, Integer.MIN_VALUE, Short.MIN_VALUE, Byte.MIN_VALUE,
        Character.MIN_VALUE, false, -0.0, Float.NaN, null), new Primitives(Long.MAX_VALUE, Integer.MAX_VALUE,
        Short.MAX_VALUE, Byte.MAX_VALUE, Character.MAX_VALUE, true, Double.MAX_VALUE, Float.MIN_VALUE, 7L))) {
      assertEquals(p, codec.fromBytes(codec.toBytes(p)));
    }
  }

  /** A record with long components, say a reading with a time. */
  public record Reading(long sensor, long time, long value) {}

  @Test
  void largeLongsNearThePreviousOneAreWrittenAsDifferences() {
    long t = 1_700_000_000_000L;
    // tagged: the first large long in full (04, six bytes), the next near it as a difference (10:
    // +1000 = zig-zag d0 0f); a small long in full and it does not move the base; then -1 from t + 1000
    golden("09 04 04 80 a0 ab fe f9 62 10 d0 0f 04 0e 10 01", List.of(t, t + 1000, 7L, t + 999));
    // a record's long components: until the unit has a large long, as in version 1: the sensor 3
    // (06), the time in full (six bytes); after, shifted left by one with a flag: the value 5
    // (zig-zag 10 << 1 = 14); the next reading's sensor (0c), its time as a difference (flag 1):
    // +3 (zig-zag 6 << 1 | 1 = 0d), its value (14)
    ByteWriter w = new ByteWriter();
    ValueCodec.Scope scope = new ValueCodec.Scope();
    codec.write(w, List.of(new Reading(3, t, 5), new Reading(3, t + 3, 5)), scope);
    String hex = Hex.of(w.toByteArray());
    assertEquals("09 02 1d", hex.substring(0, 8));
    assertTrue(hex.endsWith(" 06 80 a0 ab fe f9 62 14 20 0c 0d 14"), hex);
    assertEquals(List.of(new Reading(3, t, 5), new Reading(3, t + 3, 5)), codec.fromBytes(w.toByteArray()));
    // extremes, and differences that wrap around, come back exactly
    List<Object> extremes = new ArrayList<>();
    for (long v : new long[] {Long.MIN_VALUE, Long.MAX_VALUE, -(1L << 24), 1L << 24, Long.MIN_VALUE + 1, -1, 0,
        (1L << 24) - 1, Long.MAX_VALUE - 1}) {
      extremes.add(v);
      extremes.add(new Reading(v, v, -v));
    }
    assertEquals(extremes, codec.fromBytes(codec.toBytes(extremes)));
  }

  @Test
  void keysAreHashedByVersionOneBytes_soTheirKeyGroupsDoNotMoveWithTheFormat() {
    ByteWriter w = new ByteWriter();
    codec.write(w, new Point(1, 2), ValueCodec.Scope.forKeyHashing());
    assertEquals("1f 0a 74 65 73 74 2e 50 6f 69 6e 74 03 02 03 04", Hex.of(w.toByteArray()));
  }
}
