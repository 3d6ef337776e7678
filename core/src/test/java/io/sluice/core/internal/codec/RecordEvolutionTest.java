package io.sluice.core.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.core.codec.CodecRegistry;
import io.sluice.core.codec.CorruptDataException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A record persisted by one version of a job is read by the next: the classes here stand for the
 * same logical type, {@code app.Stats}, as it changes between versions (renamed, components added,
 * removed, reordered, widened).
 */
class RecordEvolutionTest {
  record StatsV1(long count, String label, int longest) {}

  /** Reordered, {@code longest} widened to long, {@code mean} and {@code tags} added (tags defaults to empty). */
  record StatsV2(String label, long count, long longest, double mean, List<String> tags) {
    StatsV2 {
      tags = tags == null ? List.of() : tags;
    }
  }

  /** {@code label} and {@code longest} removed. */
  record StatsV3(long count) {}

  record CountAsString(String count) {}

  record LabelAsLong(long label) {}

  private static ValueCodec codecFor(Class<?> type) {
    return new ValueCodec(CodecRegistry.defaults().withName(type, "app.Stats"),
        RecordEvolutionTest.class.getClassLoader());
  }

  private static final ValueCodec V1 = codecFor(StatsV1.class);

  @Test
  void addedComponentsGetTheirDefaults_reorderedOnesAreFoundByName_numbersWiden() {
    byte[] b = V1.toBytes(List.of(new StatsV1(3, "a", 7), new StatsV1(4, "b", -1), "after"));
    assertEquals(List.of(new StatsV2("a", 3, 7, 0.0, List.of()), new StatsV2("b", 4, -1, 0.0, List.of()), "after"),
        codecFor(StatsV2.class).fromBytes(b));
  }

  @Test
  void removedComponentsAreSkipped_andWhatFollowsStillReads() {
    long t = 1_700_000_000_000L; // a large long: the near-long base must advance through skipped components too
    byte[] b = V1.toBytes(List.of(new StatsV1(t, "a", 7), new StatsV1(t + 5, null, 8), t + 9));
    assertEquals(List.of(new StatsV3(t), new StatsV3(t + 5), t + 9), codecFor(StatsV3.class).fromBytes(b));
  }

  @Test
  void theSameSchemaReadsBackUnchanged_andIsWrittenOncePerScope() {
    List<StatsV1> many = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      many.add(new StatsV1(i, "l", i));
    }
    byte[] b = V1.toBytes(many);
    assertEquals(many, V1.fromBytes(b));
    String hex = Hex.of(b);
    assertEquals(hex.indexOf("05 6c 61 62 65 6c"), hex.lastIndexOf("05 6c 61 62 65 6c"), "'label' written once");
  }

  @Test
  void anIncompatibleChangeNamesTheRecordAndTheComponent() {
    byte[] b = V1.toBytes(new StatsV1(3, "a", 7));
    assertEquals("record app.Stats: component 'count' was written as long and cannot be read as java.lang.String",
        assertThrows(CorruptDataException.class, () -> codecFor(CountAsString.class).fromBytes(b)).getMessage());
    assertEquals("record app.Stats: component 'label' holds a String in encoded data, which cannot be read as long",
        assertThrows(CorruptDataException.class, () -> codecFor(LabelAsLong.class).fromBytes(b)).getMessage());
    byte[] nullLabel = V1.toBytes(new StatsV1(3, null, 7));
    assertEquals("record app.Stats: component 'label' is null in encoded data but is a long now",
        assertThrows(CorruptDataException.class, () -> codecFor(LabelAsLong.class).fromBytes(nullLabel)).getMessage());
  }

  @Test
  void aRecordWrittenUnderItsLogicalNameIsReadByAnotherClassOfThatName() {
    record Renamed(long count, String label, int longest) {}
    assertEquals(new Renamed(1, "x", 2), codecFor(Renamed.class).fromBytes(V1.toBytes(new StatsV1(1, "x", 2))));
  }
}
