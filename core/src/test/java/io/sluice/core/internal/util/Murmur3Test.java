package io.sluice.core.internal.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * MurmurHash3 x86_32 against the published reference vectors (SMHasher's algorithm; the same
 * vectors are checked by Guava's and the Python mmh3 package's tests), and against a second,
 * independently written implementation for every length 0..64 so that each tail length is covered.
 */
class Murmur3Test {
  private static int hash(String s, int seed) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return Murmur3.hash32(b, 0, b.length, seed);
  }

  @Test
  void referenceVectors() {
    assertEquals(0x00000000, hash("", 0));
    assertEquals(0x514E28B7, hash("", 1));
    assertEquals(0x81F16F39, hash("", 0xffffffff));
    assertEquals(0x2362F9DE, Murmur3.hash32(new byte[4], 0, 4, 0));
    assertEquals(0x3C2569B2, hash("a", 0));
    assertEquals(0x9BBFD75F, hash("ab", 0));
    assertEquals(0xB3DD93FA, hash("abc", 0));
    assertEquals(0x43ED676A, hash("abcd", 0));
    assertEquals(0x5A97808A, hash("aaaa", 0x9747b28c));
    assertEquals(0x248BFA47, hash("hello", 0));
    assertEquals(0xFAF6CDB3, hash("Hello, world!", 1234));
    assertEquals(0x24884CBA, hash("Hello, world!", 0x9747b28c));
    assertEquals(0x2FA826CD, hash("The quick brown fox jumps over the lazy dog", 0x9747b28c));
  }

  @Test
  void hashOfASliceIgnoresTheBytesAroundIt() {
    byte[] padded = "xxhelloyy".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0x248BFA47, Murmur3.hash32(padded, 2, 5, 0));
    assertEquals(Murmur3.hash32("hello".getBytes(StandardCharsets.US_ASCII)), Murmur3.hash32(padded, 2, 5, 0));
  }

  @Test
  void agreesWithAnIndependentImplementationForEveryTailLength() {
    Random random = new Random(42);
    for (int len = 0; len <= 64; len++) {
      byte[] data = new byte[len];
      random.nextBytes(data);
      int seed = random.nextInt();
      assertEquals(reference(data, seed), Murmur3.hash32(data, 0, len, seed), "length " + len);
    }
  }

  /** Written from the algorithm's description, byte by byte, with unsigned arithmetic on longs. */
  private static int reference(byte[] data, int seed) {
    long h = seed & 0xffffffffL;
    int i = 0;
    for (; i + 4 <= data.length; i += 4) {
      long k = (data[i] & 0xffL) | (data[i + 1] & 0xffL) << 8 | (data[i + 2] & 0xffL) << 16 | (data[i + 3] & 0xffL) << 24;
      h ^= scramble(k);
      h = rotl(h, 13);
      h = (h * 5 + 0xe6546b64L) & 0xffffffffL;
    }
    long k = 0;
    for (int j = data.length - 1; j >= i; j--) {
      k = (k << 8) | (data[j] & 0xffL);
    }
    if (i < data.length) {
      h ^= scramble(k);
    }
    h ^= data.length;
    h ^= h >>> 16;
    h = (h * 0x85ebca6bL) & 0xffffffffL;
    h ^= h >>> 13;
    h = (h * 0xc2b2ae35L) & 0xffffffffL;
    h ^= h >>> 16;
    return (int) h;
  }

  private static long scramble(long k) {
    k = (k * 0xcc9e2d51L) & 0xffffffffL;
    k = rotl(k, 15);
    return (k * 0x1b873593L) & 0xffffffffL;
  }

  private static long rotl(long x, int r) {
    return ((x << r) | (x >>> (32 - r))) & 0xffffffffL;
  }
}
