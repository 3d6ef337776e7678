package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.Generator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The verifier must fail on every kind of wrong output: a verifier that cannot fail proves
 * nothing. Each test starts from the right answer, breaks it in one way, and checks that exactly
 * that is reported.
 */
class TotalsVerifierTest {
  private static final Generator G = Generator.keyed(7, 30);

  /** The right output: every key's totals in order, keys interleaved as a generator would. */
  private static List<Total> correct() {
    List<Total> out = new ArrayList<>();
    long[] totals = new long[7];
    for (long seq = 1; seq <= 30; seq++) {
      for (int key = 0; key < 7; key++) {
        long v = Generator.value(key, seq);
        totals[key] += v;
        out.add(new Total(key, seq, v, totals[key]));
      }
    }
    return out;
  }

  private static int indexOf(List<Total> l, long key, long seq) {
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i).key() == key && l.get(i).seq() == seq) {
        return i;
      }
    }
    throw new AssertionError("no " + key + "/" + seq);
  }

  @Test
  void theRightAnswerIsExact() {
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, correct());
    assertTrue(v.exact(), v.summary());
    assertEquals(210, v.expected());
    assertEquals(210, v.delivered());
    assertEquals(7, v.completeKeys());
    assertTrue(v.summary().startsWith("EXACT: 210 of 210"), v.summary());
    // the totals the verifier accepts end at the generator's expected sums
    for (int key = 0; key < 7; key++) {
      List<Total> c = correct();
      assertEquals(G.expectedSum(key), c.get(indexOf(c, key, 30)).total());
    }
  }

  @Test
  void aLostRecordIsReported() {
    List<Total> l = correct();
    l.remove(indexOf(l, 3, 12));
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, l);
    assertFalse(v.exact());
    assertEquals(1, v.lost());
    assertEquals(0, v.duplicated());
    assertEquals(0, v.outOfOrder());
    assertEquals(1, v.deltaViolations(), "seq 13 follows 11");
    assertEquals(6, v.completeKeys());
    assertTrue(v.summary().contains("key 3: seq 13 after 11"), v.summary());
  }

  @Test
  void aLostLastRecordIsReported() {
    List<Total> l = correct();
    l.remove(indexOf(l, 6, 30));
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, l);
    assertFalse(v.exact());
    assertEquals(1, v.lost());
    assertEquals(0, v.deltaViolations(), "nothing after the lost record shows a gap");
    assertTrue(v.summary().contains("key 6: 29 of 30 records, first missing seq 30"), v.summary());
  }

  @Test
  void aDuplicateIsReported() {
    List<Total> l = correct();
    int i = indexOf(l, 2, 5);
    l.add(i + 1, l.get(i));
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, l);
    assertFalse(v.exact());
    assertEquals(1, v.duplicated());
    assertEquals(0, v.lost());
    assertEquals(211, v.delivered());
    assertTrue(v.summary().contains("key 2: seq 5 delivered again"), v.summary());
  }

  @Test
  void aReplayedTailIsReportedAsDuplicates() {
    List<Total> l = correct();
    l.addAll(correct().subList(100, 150)); // as a sink would see a resent batch without deduplication
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, l);
    assertFalse(v.exact());
    assertEquals(50, v.duplicated());
    assertEquals(0, v.lost());
  }

  @Test
  void aReorderIsReported() {
    List<Total> l = correct();
    Collections.swap(l, indexOf(l, 4, 8), indexOf(l, 4, 9));
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, l);
    assertFalse(v.exact());
    assertEquals(0, v.lost());
    assertEquals(0, v.duplicated());
    assertEquals(1, v.outOfOrder(), "seq 8 arrives after seq 9");
    assertTrue(v.deltaViolations() >= 2);
    assertTrue(v.summary().contains("key 4: seq 8 delivered after seq 9"), v.summary());
  }

  @Test
  void aWrongTotalIsReported() {
    List<Total> l = correct();
    int i = indexOf(l, 0, 17);
    Total t = l.get(i);
    l.set(i, new Total(t.key(), t.seq(), t.value(), t.total() + 1));
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, l);
    assertFalse(v.exact());
    assertEquals(1, v.wrongTotals());
    assertEquals(0, v.lost());
    assertEquals(0, v.deltaViolations());
    assertTrue(v.summary().contains("key 0 seq 17: total " + (t.total() + 1) + ", expected " + t.total()),
        v.summary());
  }

  @Test
  void aWrongValueIsReported() {
    List<Total> l = correct();
    int i = indexOf(l, 5, 1);
    Total t = l.get(i);
    l.set(i, new Total(t.key(), t.seq(), t.value() + 1, t.total()));
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, l);
    assertFalse(v.exact());
    assertEquals(1, v.wrongValues());
  }

  @Test
  void linesAreParsedAndGarbageIsMalformed() {
    List<String> lines = new ArrayList<>(correct().stream().map(Total::toLine).toList());
    assertTrue(TotalsVerifier.verifyLines(G, lines).exact());
    lines.add("garbage");
    lines.add("3,31,1,1"); // seq beyond records-per-key
    lines.add("9,1,1,1"); // no such key
    lines.add("1,2,3");
    TotalsVerifier.Verdict v = TotalsVerifier.verifyLines(G, lines);
    assertFalse(v.exact());
    assertEquals(4, v.malformed());
    assertEquals(214, v.delivered());
    assertTrue(v.summary().contains("malformed line 'garbage'"), v.summary());
  }

  @Test
  void nothingDeliveredLosesEverything() {
    TotalsVerifier.Verdict v = TotalsVerifier.verify(G, List.of());
    assertFalse(v.exact());
    assertEquals(210, v.lost());
    assertEquals(0, v.completeKeys());
  }

  @Test
  void totalLinesRoundTrip() {
    Total t = new Total(42, 7, 18, 391);
    assertEquals("42,7,18,391", t.toLine());
    assertEquals(t, Total.parse("42,7,18,391"));
  }
}
