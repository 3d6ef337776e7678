package io.sluice.core.internal.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.codec.Hex;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Golden bytes of a savepoint's per-operator header: savepoints are kept for months. */
class SavepointFormatTest {
  @Test
  void aKeyedHeaderNamesItsLayoutAndItsKeyGroupsWithTheirSizes() {
    TreeMap<Integer, byte[]> groups = new TreeMap<>();
    groups.put(3, new byte[] {1, 2});
    groups.put(130, new byte[5]);
    OperatorSavepoint.Keyed k = new OperatorSavepoint.Keyed(List.of("reduce:VALUE"), 256, groups);
    byte[] h = SavepointFormat.header(k);
    assertEquals("01 01 80 02 01 0c 72 65 64 75 63 65 3a 56 41 4c 55 45 02 03 02 82 01 05", Hex.of(h));
    SavepointFormat.Header back = SavepointFormat.readHeader(h, "totals");
    OperatorSavepoint again = back.with(groups);
    assertEquals(k.layout(), ((OperatorSavepoint.Keyed) again).layout());
    assertArrayEquals(groups.get(130), ((OperatorSavepoint.Keyed) again).groups().get(130));
    TreeMap<Integer, byte[]> wrong = new TreeMap<>();
    wrong.put(3, new byte[1]);
    assertEquals("savepoint part 3 has 1 bytes, its header says 2",
        assertThrows(CorruptDataException.class, () -> back.with(wrong)).getMessage());
  }

  @Test
  void aSourceHeaderNamesItsSplits() {
    TreeMap<Integer, byte[]> positions = new TreeMap<>();
    positions.put(0, new byte[] {9});
    byte[] h = SavepointFormat.header(new OperatorSavepoint.Source(4, positions));
    assertEquals("01 02 04 01 00 01", Hex.of(h));
    SavepointFormat.Header back = SavepointFormat.readHeader(h, "events");
    assertEquals(4, back.splits());
    assertEquals("events: unknown savepoint part kind 7", assertThrows(CorruptDataException.class,
        () -> SavepointFormat.readHeader(new byte[] {1, 7}, "events")).getMessage());
  }
}
