package io.sluice.samples;

import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.Generator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * Checks the output of {@link KeyedTotals} against the known right answer of its bounded
 * {@link Generator}: {@code keys} keys, {@code recordsPerKey} records each.
 *
 * <p>Feed it the delivered totals in delivery order ({@link #add}, {@link #addLine}, or one of
 * the static {@code verify} methods), then take the {@link #verdict()}. Per key, it expects sequence
 * numbers 1, 2, ..., n in order (each one more than the one before: Δ = 1), with no gap and no
 * repeat, every value equal to {@link Generator#value} and every total to
 * {@link Generator#sumOfFirst}; the last total of a key is then {@link Generator#expectedSum}.
 *
 * <pre>{@code
 * TotalsVerifier.Verdict v = TotalsVerifier.verify(generator, FileSink.readLines(jobDir));
 * if (!v.exact()) throw new AssertionError(v.summary());
 * }</pre>
 *
 * <p>Memory: one bit per expected record plus two longs per key. Not thread-safe.
 */
public final class TotalsVerifier {
  private static final int MAX_EXAMPLES = 10;

  private final long keys;
  private final long recordsPerKey;
  private final long[] lastSeq;
  private final long[] maxSeq;
  private final BitSet[] seen;
  private final List<String> examples = new ArrayList<>();
  private long delivered;
  private long distinct;
  private long duplicated;
  private long outOfOrder;
  private long deltaViolations;
  private long wrongValues;
  private long wrongTotals;
  private long malformed;

  /** A verifier for a generator of {@code keys} keys and {@code recordsPerKey} records per key. */
  public TotalsVerifier(long keys, long recordsPerKey) {
    if (keys < 1 || keys > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("keys must be in [1, " + (Integer.MAX_VALUE - 8) + "], was " + keys);
    }
    if (recordsPerKey < 1 || recordsPerKey > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("recordsPerKey must be in [1, " + (Integer.MAX_VALUE - 8)
          + "] (a bounded generator), was " + recordsPerKey);
    }
    this.keys = keys;
    this.recordsPerKey = recordsPerKey;
    this.lastSeq = new long[(int) keys];
    this.maxSeq = new long[(int) keys];
    this.seen = new BitSet[(int) keys];
  }

  /** A verifier for the records of {@code generator} (which must be bounded). */
  public static TotalsVerifier of(Generator generator) {
    if (!generator.bounded()) {
      throw new IllegalArgumentException("only the output of a bounded generator has a known final answer");
    }
    return new TotalsVerifier(generator.keys(), generator.recordsPerKey());
  }

  /** Checks {@code totals}, given in delivery order. */
  public static Verdict verify(Generator generator, List<Total> totals) {
    TotalsVerifier v = of(generator);
    totals.forEach(v::add);
    return v.verdict();
  }

  /** Checks {@link Total#toLine() lines}, given in delivery order. */
  public static Verdict verifyLines(Generator generator, Iterable<String> lines) {
    TotalsVerifier v = of(generator);
    lines.forEach(v::addLine);
    return v.verdict();
  }

  /** Checks what a file sink wrote for a job: {@link FileSink#readLines(Path)} of its job directory. */
  public static Verdict verifyJobDirectory(Generator generator, Path jobDirectory) {
    return verifyLines(generator, FileSink.readLines(jobDirectory));
  }

  /** Adds one delivered line; a line that is not a {@link Total} counts as malformed. */
  public TotalsVerifier addLine(String line) {
    Total t;
    try {
      t = Total.parse(line);
    } catch (IllegalArgumentException e) {
      delivered++;
      malformed++;
      example("malformed line '" + line + "'");
      return this;
    }
    return add(t);
  }

  /** Adds one delivered total. */
  public TotalsVerifier add(Total t) {
    Objects.requireNonNull(t, "total");
    delivered++;
    long key = t.key();
    long seq = t.seq();
    if (key < 0 || key >= keys || seq < 1 || seq > recordsPerKey) {
      malformed++;
      example("unexpected record " + t.toLine() + ": key outside [0, " + keys + ") or seq outside [1, "
          + recordsPerKey + "]");
      return this;
    }
    int k = (int) key;
    BitSet s = seen[k];
    if (s == null) {
      s = new BitSet((int) Math.min(recordsPerKey + 1, 1 << 16));
      seen[k] = s;
    }
    if (seq != lastSeq[k] + 1) {
      deltaViolations++;
      example("key " + key + ": seq " + seq + " after " + lastSeq[k] + " (Δ must be 1)");
    }
    if (s.get((int) seq)) {
      duplicated++;
      example("key " + key + ": seq " + seq + " delivered again");
    } else {
      s.set((int) seq);
      distinct++;
      if (seq < maxSeq[k]) {
        outOfOrder++;
        example("key " + key + ": seq " + seq + " delivered after seq " + maxSeq[k]);
      }
    }
    if (t.value() != Generator.value(key, seq)) {
      wrongValues++;
      example("key " + key + " seq " + seq + ": value " + t.value() + ", expected " + Generator.value(key, seq));
    }
    long expectedTotal = Generator.sumOfFirst(key, seq);
    if (t.total() != expectedTotal) {
      wrongTotals++;
      example("key " + key + " seq " + seq + ": total " + t.total() + ", expected " + expectedTotal);
    }
    lastSeq[k] = seq;
    maxSeq[k] = Math.max(maxSeq[k], seq);
    return this;
  }

  private void example(String problem) {
    if (examples.size() < MAX_EXAMPLES) {
      examples.add(problem);
    }
  }

  /** The verdict on everything added so far. */
  public Verdict verdict() {
    long expected = keys * recordsPerKey;
    long completeKeys = 0;
    long firstIncomplete = -1;
    for (int k = 0; k < keys; k++) {
      if (seen[k] != null && seen[k].cardinality() == recordsPerKey) {
        completeKeys++;
      } else if (firstIncomplete < 0) {
        firstIncomplete = k;
      }
    }
    List<String> ex = new ArrayList<>(examples);
    if (firstIncomplete >= 0 && ex.size() < MAX_EXAMPLES) {
      BitSet s = seen[(int) firstIncomplete];
      long have = s == null ? 0 : s.cardinality();
      long firstMissing = s == null ? 1 : s.nextClearBit(1);
      ex.add("key " + firstIncomplete + ": " + have + " of " + recordsPerKey + " records, first missing seq "
          + firstMissing);
    }
    return new Verdict(expected, delivered, expected - distinct, duplicated, outOfOrder, deltaViolations,
        wrongValues, wrongTotals, malformed, keys, completeKeys, ex);
  }

  /**
   * What the output was, compared with what it should have been.
   *
   * @param expected records the generator produces
   * @param delivered records (lines) the sink received, including duplicates and malformed ones
   * @param lost expected records never delivered
   * @param duplicated deliveries of a record already delivered
   * @param outOfOrder first deliveries of a record after a later record of the same key
   * @param deltaViolations deliveries whose seq is not the previous delivery's seq of that key + 1
   *     (zero exactly when every key arrived as 1, 2, ..., n)
   * @param wrongValues deliveries with a value other than the generator's
   * @param wrongTotals deliveries whose total is not the sum of the key's first seq values
   * @param malformed deliveries that are not totals of an expected key and sequence number
   * @param keys keys the generator has
   * @param completeKeys keys of which every record was delivered
   * @param examples up to ten problems, in the order found, for the report
   */
  public record Verdict(long expected, long delivered, long lost, long duplicated, long outOfOrder,
      long deltaViolations, long wrongValues, long wrongTotals, long malformed, long keys, long completeKeys,
      List<String> examples) {
    public Verdict {
      examples = List.copyOf(examples);
    }

    /** True when every record arrived exactly once, in order per key, with the right totals. */
    public boolean exact() {
      return lost == 0 && duplicated == 0 && outOfOrder == 0 && deltaViolations == 0 && wrongValues == 0
          && wrongTotals == 0 && malformed == 0 && delivered == expected;
    }

    /** A few lines for people: the verdict, the counts, and the first problems. */
    public String summary() {
      StringBuilder sb = new StringBuilder();
      sb.append(exact() ? "EXACT" : "NOT EXACT").append(": ").append(delivered).append(" of ").append(expected)
          .append(" records delivered; lost ").append(lost).append(", duplicated ").append(duplicated)
          .append(", out of order ").append(outOfOrder).append(", Δ≠1 ").append(deltaViolations)
          .append(", wrong values ").append(wrongValues).append(", wrong totals ").append(wrongTotals)
          .append(", malformed ").append(malformed).append("; keys complete ").append(completeKeys).append(" of ")
          .append(keys);
      for (String e : examples) {
        sb.append("\n  - ").append(e);
      }
      return sb.toString();
    }

    /**
     * The same verdict in the form tools read through {@link io.sluice.core.dsl.PipelineFactory#verify}:
     * {@code wrong} counts out-of-order, wrong-valued, wrong-total and malformed deliveries.
     */
    public io.sluice.core.dsl.Verdict toVerdict() {
      return new io.sluice.core.dsl.Verdict(exact(), expected, delivered, lost, duplicated,
          outOfOrder + wrongValues + wrongTotals + malformed, examples, summary());
    }

    @Override
    public String toString() {
      return summary();
    }
  }
}
