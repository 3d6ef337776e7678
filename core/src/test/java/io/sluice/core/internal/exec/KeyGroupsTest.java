package io.sluice.core.internal.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.codec.CodecRegistry;
import io.sluice.core.dsl.KV;
import io.sluice.core.internal.codec.ValueCodec;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Key-group routing is part of the persisted format: a key's group decides which instance holds
 * its state. These golden values were computed outside the JVM (a Python implementation of
 * MurmurHash3 x86_32 over the documented value encoding), so changing the hash or the key
 * encoding fails here and must be a conscious, migrated change.
 */
class KeyGroupsTest {
  record UserKey(String tenant, long id) {}

  record Pair(String s, int i) {}

  enum Color { RED, GREEN }

  private static final ValueCodec CODEC = new ValueCodec(CodecRegistry.defaults()
      .withName(UserKey.class, "test.UserKey").withName(Color.class, "test.Color"), KeyGroupsTest.class.getClassLoader());

  private static int group(Object key, int max) {
    return new KeyGroups(CODEC, max).keyGroup(key);
  }

  @Test
  void goldenKeyGroupsAtMaxParallelism128() {
    assertEquals(97, group("", 128));
    assertEquals(85, group("a", 128));
    assertEquals(103, group("hello", 128));
    assertEquals(21, group("user-42", 128));
    assertEquals(2, group("ünïcödé", 128));
    assertEquals(6, group(0L, 128));
    assertEquals(89, group(1L, 128));
    assertEquals(6, group(-1L, 128));
    assertEquals(103, group(42L, 128));
    assertEquals(56, group(1234567890123L, 128));
    assertEquals(69, group(7, 128), "an Integer key is encoded (and grouped) differently from a Long");
    assertEquals(34, group(new UserKey("acme", 42), 128));
    assertEquals(96, group(Color.RED, 128));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> group(new Pair("x", 7), 128)).getMessage()
        .contains("has no logical type name"), "an unnamed record has no key group: it could not be persisted");
    assertEquals(89, group(KV.of("a", 1L), 128));
  }

  @Test
  void goldenKeyGroupsAtTheLargestMaxParallelism() {
    assertEquals(9441, group("", 32768));
    assertEquals(8295, group("hello", 32768));
    assertEquals(31847, group(42L, 32768));
    assertEquals(12578, group(new UserKey("acme", 42), 32768));
    assertEquals(10208, group(Color.RED, 32768));
  }

  @Test
  void keyGroupIsTheMurmurHashOfTheKeysEncoding() {
    byte[] hello = {0x06, 0x05, 'h', 'e', 'l', 'l', 'o'};
    assertEquals(0x3C7DA067, io.sluice.core.internal.util.Murmur3.hash32(hello));
    assertEquals(0x3C7DA067 % 128, group("hello", 128));
    assertEquals(0, KeyGroups.keyGroupOfHash(Integer.MIN_VALUE, 128), "the sign bit is masked, not negated");
    assertEquals(127, KeyGroups.keyGroupOfHash(-1, 128));
  }

  /**
   * Design of this test: for every parallelism from 1 to maxParallelism, the instance chosen for a
   * key group must be the one whose contiguous range {@code [ceil(i*max/p), ceil((i+1)*max/p))}
   * contains it, the ranges must tile [0, max) without gaps, and no instance may be left without
   * key groups. This is what makes rescaling by moving whole key groups possible.
   */
  @Test
  void everyKeyGroupGoesToTheInstanceWhoseRangeContainsIt() {
    for (int max : new int[] {1, 7, 128, 1000}) {
      for (int p = 1; p <= max; p++) {
        Set<Integer> used = new HashSet<>();
        for (int g = 0; g < max; g++) {
          int i = KeyGroups.instanceOf(g, p, max);
          long from = ceilDiv((long) i * max, p);
          long to = ceilDiv((long) (i + 1) * max, p);
          assertTrue(from <= g && g < to, "max " + max + " p " + p + ": group " + g + " went to " + i);
          used.add(i);
        }
        assertEquals(p, used.size(), "max " + max + " p " + p + ": every instance owns at least one key group");
      }
    }
  }

  @Test
  void theInstanceOfAKeyIsItsGroupsInstance() {
    KeyGroups kg = new KeyGroups(CODEC, 128);
    assertEquals(2, kg.instanceOf("hello", 3), "group 103 of 128 is in instance 2's range [86, 128)");
    assertEquals(0, kg.instanceOf("ünïcödé", 3), "group 2 is in instance 0's range [0, 43)");
    assertEquals(1, kg.instanceOf(1L, 2), "group 89 is in instance 1's range [64, 128)");
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
