package io.sluice.persistence.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.internal.engine.BatchPayload;
import io.sluice.core.internal.engine.LatencyHistogram;
import io.sluice.core.internal.engine.OperatorEvent;
import java.io.NotSerializableException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of every message, event and snapshot format of the protocol: a change to a format
 * must be a conscious act (a new manifest), never an accident. Each test also round-trips.
 */
class ProtocolFormatsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String GOLDEN_LZ4 = "01fa07ff0101000701e807000102030405060708090a00ffffffcfb0000a0080d095ffbc31ac02";
  private static final String GOLDEN_DEFLATE = "02fa077801636460677cc1cec0c8c4ccc2cac6cec139ca1a0d83d174306cf302031743c385a9fff718ae61020004991716";
  private final ProtocolSerializer serializer = new ProtocolSerializer(null);

  private byte[] roundTrip(Object o, String manifest, String goldenHex) throws NotSerializableException {
    assertEquals(manifest, serializer.manifest(o));
    byte[] bytes = serializer.toBinary(o);
    assertEquals(goldenHex, HEX.formatHex(bytes), "the " + manifest + " format changed");
    Object back = serializer.fromBinary(bytes, manifest);
    assertArrayEquals(bytes, serializer.toBinary(back), "re-encoding the decoded " + manifest + " differs");
    return bytes;
  }

  private static JobSpec spec() {
    return new JobSpec("wc-1a2b3c", "word-count", Parameters.of(Map.of("input", "in.txt")), "0011223344556677");
  }

  @Test
  void start() throws Exception {
    // paused until 1000 ms (varlong e8 07), then the spec
    OperatorCommand.Start s = new OperatorCommand.Start(spec(), 1000);
    roundTrip(s, "S2", "e807" + "0977632d3161326233630a776f72642d636f756e740105696e707574"
        + "06696e2e7478741030303131323233333434353536363737");
    // S1, from nodes before pauses: the spec alone, not paused
    assertEquals(new OperatorCommand.Start(spec()), serializer.fromBinary(HEX.parseHex(
        "0977632d3161326233630a776f72642d636f756e740105696e707574"
        + "06696e2e7478741030303131323233333434353536363737"), "S1"));
  }

  @Test
  void takeSavepoint() throws Exception {
    roundTrip(new OperatorCommand.TakeSavepoint("j", "sp-1"), "P1", "016a" + "0473702d31");
  }

  @Test
  void aSpecFromASavepointEndsWithItsId_afterAJarThatMayBeEmpty() throws Exception {
    JobSpec restored = new JobSpec("wc-1a2b3c", "word-count", Parameters.of(Map.of("input", "in.txt")),
        "0011223344556677", "", "sp-1");
    roundTrip(restored, "J1", "0977632d3161326233630a776f72642d636f756e740105696e707574"
        + "06696e2e7478741030303131323233333434353536363737" + "00" + "0473702d31");
    assertEquals("sp-1", ((JobSpec) serializer.fromBinary(serializer.toBinary(restored), "J1")).savepoint());
  }

  @Test
  void deliver() throws Exception {
    OperatorCommand.Deliver d = new OperatorCommand.Deliver("j", 1, 2, 3, -5, OperatorCommand.END_OF_STREAM, 1000,
        BatchPayload.ofBytes(new byte[] {1, 0, 1, 6, 1, 'a'}), 2);
    // job "j", from operator 1 instance 2, seq 3, watermark -5 (zigzag 9), end of stream, created 1000 ms, 6-byte
    // batch, sender's acknowledged mark 2
    roundTrip(d, "D2", "016a0102030902e8070601000106016102");
    OperatorCommand.Deliver back = (OperatorCommand.Deliver) serializer.fromBinary(serializer.toBinary(d), "D2");
    assertEquals(2, back.senderAcked());
    OperatorCommand.Deliver v1 = (OperatorCommand.Deliver) serializer.fromBinary(HEX.parseHex(
        "016a0102030902e80706010001060161"), "D1");
    assertEquals(0, v1.senderAcked(), "D1 has no acknowledged mark");
    assertEquals(3, back.seq());
    assertEquals(-5, back.watermark());
    assertEquals(true, back.endOfStream());
    assertEquals(1000, back.createdAtMillis());
  }

  @Test
  void ack() throws Exception {
    OperatorCommand.Ack a = new OperatorCommand.Ack("j", 2, 1, 300, true);
    roundTrip(a, "A1", "016a0201ac0201");
    assertEquals(a, serializer.fromBinary(serializer.toBinary(a), "A1"));
  }

  @Test
  void stop() throws Exception {
    OperatorCommand.Stop s = new OperatorCommand.Stop("j", "done");
    roundTrip(s, "X1", "016a04646f6e65");
    assertEquals(s, serializer.fromBinary(serializer.toBinary(s), "X1"));
  }

  @Test
  void stepped() throws Exception {
    OperatorEvent.Stepped e = new OperatorEvent.Stepped(new int[] {0, 1}, new long[] {7, 9}, new byte[] {1, 2},
        List.of(new OperatorEvent.Output(0, 4, 100, 0, BatchPayload.ofBytes(new byte[] {1, 0, 0})),
            new OperatorEvent.Output(1, 5, 100, OperatorCommand.IDLE, null)),
        new int[] {1}, new long[] {3}, 10, 12, 1_700_000_000_000L, 300);
    // consumed (0,7),(1,9); changes [1,2]; outputs (0,4,wm 100,batch) and (1,5,wm 100,idle,no batch); ack (1,3);
    // records in 10, out 12; created at 1_700_000_000_000; writer incarnation 300
    roundTrip(e, "E2", "020007010901020102020004c8010001030100000105c80101000101030a0c80d095ffbc31ac02");
  }

  @Test
  void steppedOfFormatE1IsStillReadable() throws Exception {
    byte[] e1 = HEX.parseHex("020007010901020102020004c8010001030100000105c80101000101030a0c80d095ffbc31");
    OperatorEvent.Stepped e = (OperatorEvent.Stepped) serializer.fromBinary(e1, "E1");
    assertEquals(2, e.outputs().size());
    assertEquals(1_700_000_000_000L, e.createdAtMillis());
    assertEquals(0, e.writer(), "E1 events have no writer");
  }

  /** A step event over {@link EventCompression#MIN_BYTES}: 1,000 bytes of changes that repeat. */
  private static OperatorEvent.Stepped largeStep() {
    byte[] changes = new byte[1000];
    for (int i = 0; i < changes.length; i++) {
      changes[i] = (byte) (i % 10);
    }
    return new OperatorEvent.Stepped(new int[] {0}, new long[] {7}, changes, List.of(), new int[0], new long[0], 10,
        0, 1_700_000_000_000L, 300);
  }

  @Test
  void steppedAsStored_smallEventsAreStoredAsTheyAre() throws Exception {
    ProtocolSerializer lz4 = new ProtocolSerializer(null, EventCompression.of("lz4"));
    OperatorEvent.Stepped e = new OperatorEvent.Stepped(new int[] {0, 1}, new long[] {7, 9}, new byte[] {1, 2},
        List.of(new OperatorEvent.Output(0, 4, 100, 0, BatchPayload.ofBytes(new byte[] {1, 0, 0})),
            new OperatorEvent.Output(1, 5, 100, OperatorCommand.IDLE, null)),
        new int[] {1}, new long[] {3}, 10, 12, 1_700_000_000_000L, 300);
    assertEquals("E3", lz4.manifest(e));
    byte[] bytes = lz4.toBinary(e);
    // codec 0 (as it is), then the E2 body of the same event
    assertEquals("00" + "020007010901020102020004c8010001030100000105c80101000101030a0c80d095ffbc31ac02",
        HEX.formatHex(bytes), "the E3 format changed");
    assertArrayEquals(bytes, lz4.toBinary(lz4.fromBinary(bytes, "E3")));
  }

  @Test
  void steppedAsStored_largeEventsAreCompressedAndReadBackByAnySetting() throws Exception {
    OperatorEvent.Stepped e = largeStep();
    byte[] plain = serializer.toBinary(e);
    assertEquals("E2", serializer.manifest(e), "compression none writes the format without a codec");
    for (String codec : List.of("lz4", "deflate")) {
      ProtocolSerializer s = new ProtocolSerializer(null, EventCompression.of(codec));
      byte[] stored = s.toBinary(e);
      assertEquals(codec.equals("lz4") ? EventCompression.LZ4 : EventCompression.DEFLATE, stored[0], codec);
      ByteReader header = new ByteReader(stored);
      header.readUnsignedByte();
      assertEquals(plain.length, header.readVarInt(), codec + ": the body's length");
      assertTrue(stored.length < plain.length / 4, codec + ": " + stored.length + " of " + plain.length + " bytes");
      // every setting reads what any other wrote
      for (ProtocolSerializer reader : List.of(serializer, s, new ProtocolSerializer(null, EventCompression.of("lz4")))) {
        assertArrayEquals(plain, serializer.toBinary(reader.fromBinary(stored, "E3")), codec);
      }
      // and so do journal audits, outside Pekko
      assertEquals(300, ProtocolSerializer.readStepped(stored, "E3").writer(), codec);
    }
    assertEquals(300, ProtocolSerializer.readStepped(plain, "E2").writer());
    {
      OperatorEvent.StepFailed f = new OperatorEvent.StepFailed(1, "m", null, "x", 1, OperatorEvent.Decision.RETRY, 2);
      assertEquals(null, ProtocolSerializer.readStepped(serializer.toBinary(f), "F1"), "a failure is no step");
    }
  }

  @Test
  void steppedAsStored_goldenLz4AndDeflateBytesStayReadable() throws Exception {
    // an event of 1,000 bytes of changes 0..9 repeated, as lz4 and deflate stored it when E3 was made
    byte[] plain = serializer.toBinary(largeStep());
    assertArrayEquals(plain, serializer.toBinary(serializer.fromBinary(HEX.parseHex(GOLDEN_LZ4), "E3")));
    assertArrayEquals(plain, serializer.toBinary(serializer.fromBinary(HEX.parseHex(GOLDEN_DEFLATE), "E3")));
  }

  @Test
  void steppedAsStored_corruptBytesAreRefusedWithTheReason() {
    byte[] stored = new ProtocolSerializer(null, EventCompression.of("lz4")).toBinary(largeStep());
    byte[] cut = java.util.Arrays.copyOf(stored, stored.length - 5);
    NotSerializableException e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(cut, "E3"));
    assertTrue(e.getMessage().startsWith("corrupt E3: "), e.getMessage());
    byte[] huge = HEX.parseHex("01" + "ffffffff0f" + "00");
    e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(huge, "E3"));
    assertTrue(e.getMessage().contains("at most"), e.getMessage());
    e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(HEX.parseHex("0900"), "E3"));
    assertTrue(e.getMessage().contains("codec 9 is unknown"), e.getMessage());
  }

  @Test
  void compressionSettingIsValidated() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventCompression.of("zip"));
    assertEquals("sluice.journal.compression must be lz4, deflate or none, was 'zip'", e.getMessage());
  }

  @Test
  void stepFailed() throws Exception {
    OperatorEvent.StepFailed f = new OperatorEvent.StepFailed(2, "map-1", "x", "java.lang.RuntimeException: boom",
        123, OperatorEvent.Decision.RETRY, 1123);
    roundTrip(f, "F1", "02056d61702d310101782" + "06a6176612e6c616e672e52756e74696d65457863657074696f6e3a20626f6f6d"
        + "7b00e308");
    assertEquals(f, serializer.fromBinary(serializer.toBinary(f), "F1"));
  }

  @Test
  void report() throws Exception {
    long[] lat = new long[LatencyHistogram.BUCKETS];
    lat[3] = 2;
    InstanceReport r = new InstanceReport(new InstanceId("j", "sum", 1), "node-1", 77, 1000, 990, 2, 1, true, null,
        null, null, 0, lat, 4, 5);
    byte[] bytes = roundTrip(r, "R2", "076a2f73756d2f31066e6f64652d314de807de0702010100010302040500");
    InstanceReport back = ProtocolFormats.readReport(new ByteReader(bytes), true);
    assertEquals(r.instance(), back.instance());
    assertEquals(2, back.latencyCounts()[3]);
    assertEquals(true, back.finished());
    assertEquals(null, back.trouble());
    // format R1 (no trouble) stays readable
    InstanceReport v1 = (InstanceReport) serializer.fromBinary(
        java.util.HexFormat.of().parseHex("076a2f73756d2f31066e6f64652d314de807de07020101000103020405"), "R1");
    assertEquals(990, v1.recordsOut());
  }

  @Test
  void reportWithTrouble() throws Exception {
    InstanceReport r = new InstanceReport(new InstanceId("j", "sum", 1), "node-1", 77, 1000, 990, 2, 1, false, null,
        null, null, 0, new long[LatencyHistogram.BUCKETS], 4, 5, "state store: timeout", 1700);
    byte[] bytes = roundTrip(r, "R2", "076a2f73756d2f31066e6f64652d314de807de070201000000040501"
        + "1473746174652073746f72653a2074696d656f7574a40d");
    InstanceReport back = ProtocolFormats.readReport(new ByteReader(bytes), true);
    assertEquals("state store: timeout", back.trouble());
    assertEquals(1700, back.troubleSinceMillis());
  }

  @Test
  void jobSpec() throws Exception {
    roundTrip(spec(), "J1", "0977632d3161326233630a776f72642d636f756e740105696e707574"
        + "06696e2e7478741030303131323233333434353536363737");
  }

  @Test
  void aSpecFromAJarEndsWithTheJar_andOneWithoutReadsAsTheNodesOwn() throws Exception {
    JobSpec withJar = new JobSpec("wc-1a2b3c", "word-count", Parameters.of(Map.of("input", "in.txt")),
        "0011223344556677", "ab".repeat(32));
    // the same bytes as J1 without a jar, then the jar's id (64 characters)
    roundTrip(withJar, "J1", "0977632d3161326233630a776f72642d636f756e740105696e707574"
        + "06696e2e7478741030303131323233333434353536363737" + "40" + "6162".repeat(32));
    assertEquals("", ((JobSpec) serializer.fromBinary(serializer.toBinary(spec()), "J1")).jar());
    assertEquals(withJar, ((OperatorCommand.Start) serializer.fromBinary(serializer.toBinary(
        new OperatorCommand.Start(withJar)), "S2")).spec());
  }

  @Test
  void whenTheManifestIsUnknown_thenTheErrorSaysSo() {
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> serializer.fromBinary(new byte[0], "Z9"));
    assertEquals("unknown manifest 'Z9' for io.sluice.persistence.runtime.ProtocolSerializer: data written by a newer"
        + " version of Sluice?", e.getMessage());
  }

  @Test
  void whenBytesAreTruncated_thenTheErrorNamesTheManifest() {
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> serializer.fromBinary(new byte[] {1, 'j', 2}, "A1"));
    assertEquals(true, e.getMessage().startsWith("corrupt A1: truncated data"), e.getMessage());
  }

  @Test
  void snapshotBytesPassThrough() throws Exception {
    byte[] b = {1, 2, 3};
    InstanceSnapshot s = new InstanceSnapshot(b);
    assertArrayEquals(b, serializer.toBinary(s));
    assertArrayEquals(b, ((InstanceSnapshot) serializer.fromBinary(b, "N1")).bytes());
    ByteWriter w = new ByteWriter();
    assertEquals(0, w.size());
  }
}
