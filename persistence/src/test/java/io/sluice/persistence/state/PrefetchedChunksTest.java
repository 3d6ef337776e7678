package io.sluice.persistence.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PrefetchedChunksTest {
  private final AtomicLong now = new AtomicLong();
  /** Slabs of one byte: every chunk has an array of its own size, so the bound counts exactly the chunks' bytes. */
  private final PrefetchedChunks cache = new PrefetchedChunks(100, 1, 1_000, now::get);

  @Test
  void aVersionReadAheadWholeIsServedOnceAndThenLeaves() {
    cache.startOwner("job/op");
    assertTrue(cache.begin("job/op", 3));
    assertTrue(cache.add("job/op", 3, 7, 1, buf(2)));
    assertTrue(cache.add("job/op", 3, 7, 0, buf(1)));
    assertTrue(cache.add("job/op", 3, 9, 0, buf(3))); // a second version, chunk 1 of 2 missing
    CompletableFuture<Void> wait = cache.awaitGroup("job/op", 3);
    assertNotNull(wait, "a recovery waits for a key group being read ahead");
    assertNull(cache.take("job/op", 3, 7, 2), "nothing is served before the key group is read whole");
    cache.end("job/op", 3, true);
    assertTrue(wait.isDone());
    assertEquals(3, cache.heldBytes());

    List<ByteBuffer> v7 = cache.take("job/op", 3, 7, 2);
    assertNotNull(v7);
    assertEquals(buf(1), v7.get(0));
    assertEquals(buf(2), v7.get(1));
    assertNull(cache.take("job/op", 3, 7, 2), "served once: the version left the cache");
    assertNull(cache.take("job/op", 3, 9, 2), "a version with a missing chunk is not served");
    assertEquals(0, cache.heldBytes(), "an incomplete version is dropped when asked for");
  }

  @Test
  void aKeyGroupTheRecoveryAsksForFirstIsNotReadAhead() {
    assertNull(cache.awaitGroup("job/op", 1), "nothing to wait for without a read-ahead");
    assertTrue(cache.begin("job/op", 1), "without a read-ahead of the owner nothing is claimed");
    cache.end("job/op", 1, true);

    cache.startOwner("job/other");
    assertNull(cache.awaitGroup("job/other", 2));
    assertFalse(cache.begin("job/other", 2), "the recovery claimed it: the read-ahead leaves it");
    assertNull(cache.awaitGroup("job/other", 2), "a claimed key group is never waited for");
    assertNull(cache.take("job/other", 2, 1, 1));
    assertTrue(cache.begin("job/other", 4));
    cache.endOwner("job/other");
  }

  @Test
  void theBoundGivesUpTheKeyGroupThatWouldPassIt() {
    cache.startOwner("o");
    assertTrue(cache.begin("o", 0));
    assertTrue(cache.add("o", 0, 1, 0, ByteBuffer.allocate(60)));
    cache.end("o", 0, true);
    assertTrue(cache.begin("o", 1));
    assertTrue(cache.add("o", 1, 1, 0, ByteBuffer.allocate(30)));
    assertFalse(cache.add("o", 1, 1, 1, ByteBuffer.allocate(30)), "90 + 30 passes the bound of 100");
    cache.end("o", 1, false);
    assertEquals(60, cache.heldBytes(), "the key group given up holds nothing");
    assertFalse(cache.begin("o", 1), "a key group is read ahead once per read-ahead");
    assertNull(cache.take("o", 1, 1, 1), "its recovery reads it from the store");
    assertTrue(cache.begin("o", 1), "asked for, it is forgotten: a later death may read it ahead");
    assertNotNull(cache.take("o", 0, 1, 1));
  }

  @Test
  void whatNoRecoveryTookLeavesAfterTheTtl() {
    cache.startOwner("o");
    assertTrue(cache.begin("o", 0));
    assertTrue(cache.add("o", 0, 1, 0, ByteBuffer.allocate(10)));
    cache.end("o", 0, true);
    cache.endOwner("o");
    now.set(1_001);
    assertEquals(0, cache.heldBytes());
    assertNull(cache.take("o", 0, 1, 1));
    assertTrue(cache.begin("o", 0), "an expired key group can be read ahead again");
  }

  @Test
  void chunksPastTheCountAreThoseOfAFailedCaptureAndAreNotServed() {
    assertTrue(cache.begin("o", 0));
    for (int c = 0; c < 3; c++) {
      assertTrue(cache.add("o", 0, 9, c, buf(c)));
    }
    cache.end("o", 0, true);
    List<ByteBuffer> v9 = cache.take("o", 0, 9, 2);
    assertEquals(List.of(buf(0), buf(1)), v9, "the retry wrote 2 chunks over the failed capture's 3");
    assertEquals(0, cache.heldBytes());
  }

  @Test
  void aReadAheadStillRunningAfterTheTtlIsGivenUpAndReleasesItsWaiters() {
    assertTrue(cache.begin("o", 0));
    assertTrue(cache.add("o", 0, 1, 0, buf(1)));
    CompletableFuture<Void> wait = cache.awaitGroup("o", 0);
    assertNotNull(wait);
    now.set(1_001);
    assertEquals(0, cache.heldBytes());
    assertTrue(wait.isDone(), "a recovery never waits past the ttl for a read-ahead that hangs");
    assertFalse(cache.add("o", 0, 1, 1, buf(2)), "the late read-ahead holds nothing more");
    assertNull(cache.take("o", 0, 1, 2));
  }

  @Test
  void twoReadAheadsOfOneOperatorKeepTheirClaimsUntilBothEnded() {
    cache.startOwner("o");
    cache.startOwner("o"); // two instances of the operator lived on the dead node
    assertNull(cache.awaitGroup("o", 5)); // a recovery claims key group 5
    cache.endOwner("o");
    assertFalse(cache.begin("o", 5), "the other read-ahead still leaves it to the recovery");
    cache.endOwner("o");
    assertTrue(cache.begin("o", 5), "no read-ahead runs: claims are gone");
  }

  @Test
  void chunksShareSlabsThatCountInTheBoundUntilTheirLastChunkLeaves() {
    PrefetchedChunks slabs = new PrefetchedChunks(30, 8, 1_000, now::get);
    assertTrue(slabs.begin("o", 0));
    assertTrue(slabs.add("o", 0, 1, 0, bytes(5, 1)));
    assertTrue(slabs.add("o", 0, 1, 1, bytes(3, 2)), "5 + 3 bytes fill the first slab of 8");
    assertEquals(8, slabs.heldBytes());
    assertTrue(slabs.add("o", 0, 2, 0, bytes(4, 3)), "a second slab");
    assertTrue(slabs.add("o", 0, 3, 0, bytes(12, 4)), "larger than a slab: an array of its own");
    assertEquals(8 + 8 + 12, slabs.heldBytes(), "the unused half of the second slab counts too");
    slabs.end("o", 0, true);
    assertTrue(slabs.begin("o", 1));
    assertFalse(slabs.add("o", 1, 1, 0, bytes(5, 5)), "5 bytes do not fit the second slab's tail of 4, and a new"
        + " slab would pass the bound: 28 + 8 > 30");
    assertTrue(slabs.add("o", 1, 1, 0, bytes(2, 5)), "the tail of the second slab still takes 2 bytes");
    assertEquals(28, slabs.heldBytes());
    slabs.end("o", 1, false);
    assertEquals(28, slabs.heldBytes(), "key group 1 was given up, but the second slab holds key group 0's chunk");

    List<ByteBuffer> v1 = slabs.take("o", 0, 1, 2);
    assertEquals(List.of(bytes(5, 1), bytes(3, 2)), v1, "the chunks' own bytes, each in a view of its slab");
    assertEquals(8 + 12, slabs.heldBytes(), "the first slab held only version 1: it left with it");
    assertEquals(List.of(bytes(12, 4)), slabs.take("o", 0, 3, 1));
    assertEquals(8, slabs.heldBytes());
    assertEquals(List.of(bytes(4, 3)), slabs.take("o", 0, 2, 1));
    assertEquals(0, slabs.heldBytes(), "nothing held: not even the slab that was being filled");
    assertEquals(bytes(5, 1), v1.get(0), "a view taken stays valid after its slab stopped counting");
  }

  @Test
  void aBoundBelowOneSlabMakesTheSlabThatSmall() {
    PrefetchedChunks small = new PrefetchedChunks(10, 8, 1_000, now::get);
    assertTrue(small.begin("o", 0));
    assertTrue(small.add("o", 0, 1, 0, bytes(6, 1)));
    assertFalse(small.add("o", 0, 1, 1, bytes(3, 2)), "a second slab of 8 would pass the bound of 10");
    PrefetchedChunks tiny = new PrefetchedChunks(5, 8, 1_000, now::get);
    assertTrue(tiny.begin("o", 0));
    assertTrue(tiny.add("o", 0, 1, 0, bytes(2, 1)));
    assertTrue(tiny.add("o", 0, 1, 1, bytes(3, 2)), "slabs of 5 under a bound of 5: both chunks fit in one");
    assertEquals(5, tiny.heldBytes());
  }

  @Test
  void aSlabFillsWholeG1RegionsAndIsHumongous() {
    int whole = PrefetchedChunks.slabBytes() + 64; // with the room left for the array's header
    assertTrue(whole >= 16 << 20 && Integer.bitCount(whole) == 1, "16 MiB or one larger region (a power of two): "
        + whole);
  }

  private static ByteBuffer bytes(int n, int fill) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) fill);
    return ByteBuffer.wrap(b);
  }

  private static ByteBuffer buf(int b) {
    return ByteBuffer.wrap(new byte[] {(byte) b});
  }
}
