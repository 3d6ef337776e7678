package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * {@code two-hops}: two keyed stateful steps in one job, so that records cross two persisted,
 * key-partitioned hops between instances.
 *
 * <pre>
 *   generator -> keyBy(user) -> aggregate "user-counts" (count, sum, last value per user)
 *     -> map: bucket = count mod buckets -> keyBy(bucket) -> reduce "buckets" (count, values, totals)
 *     -> BucketSum -> sink
 * </pre>
 *
 * <p>Hop 1 keeps, per generator key ("user"), how many records it had and their sum; for each
 * record it emits the user's new count {@code n}, the record's value and the user's running total.
 * Hop 2 groups those by {@code n mod buckets} and keeps, per bucket, a running count, the sum of the
 * values and the sum of the users' running totals, emitting the new {@link BucketSum} per record.
 *
 * <p><b>What is exact.</b> Which user's record reaches a bucket first depends on how the hop-1
 * instances interleave, so a bucket's intermediate sums are not deterministic; its running counts
 * are: every bucket must emit counts 1, 2, ..., N in order, each exactly once, and its last
 * result (count N) must carry exactly the sum of the values and of the running totals of every
 * record in it, computed from the generator's definition. A record lost or doubled in either hop,
 * or a user count that is off (which moves records to the wrong bucket), shows as a missing,
 * repeated or extra count, or as a wrong final sum. Intermediate sums are checked for what is
 * certain: they grow with every record and never exceed the final ones.
 *
 * <p>Parameters: {@code keys} (users, default 10000), {@code records-per-key} (100),
 * {@code buckets} (16), {@code rate} (records/s, 0 = unlimited), {@code splits}, {@code parallelism}
 * (2), {@code batch-size}, {@code batch-linger}, {@code snapshot-every}, {@code output} (default
 * {@code out/two-hops}) or {@code discard=true}, {@code fsync}.
 */
public final class TwoHops implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "two-hops";
  private static final int MAX_PROBLEMS = 12;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "two keyed hops: per-user running counts, then per count-bucket sums; keys=10000 records-per-key=100"
        + " buckets=16 rate=0 [parallelism=2] [output=<dir> | discard=true]";
  }

  /** {@code buckets}: default 16. */
  public static int buckets(Parameters params) {
    return SampleSinks.positiveInt(params, "buckets", 16);
  }

  @Override
  public Pipeline create(Parameters params) {
    Generator g = SampleSinks.keyedGenerator(params, 10_000, 100);
    Sink<BucketSum> out = SampleSinks.sink(params, NAME, BucketSum::toLine);
    return pipeline(g, buckets(params), SampleSinks.config(params), out);
  }

  /** The pipeline, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(Generator generator, int buckets, JobConfig config, Sink<? super BucketSum> out) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", generator))
        .keyBy(GeneratedRecord::key)
        .aggregate("user-counts", new UserCounts())
        .map(kv -> new BucketSum(kv.value().count() % buckets, 1, kv.value().lastValue(), kv.value().sum()))
        .named("to-bucket")
        .keyBy(BucketSum::bucket)
        .reduce("buckets", (a, b) -> new BucketSum(a.bucket(), a.count() + b.count(), a.values() + b.values(),
            a.totals() + b.totals()))
        .writeTo(out);
    return p.build();
  }

  /**
   * Hop 1's accumulator and result per user.
   *
   * @param count records of the user so far
   * @param sum their values: the user's running total
   * @param lastValue the value of the latest one
   */
  public record UserCount(long count, long sum, long lastValue) {}

  /** Hop 1: counts and sums a user's records. */
  static final class UserCounts implements AggregateFunction<GeneratedRecord, UserCount, UserCount> {
    @Override
    public UserCount createAccumulator() {
      return new UserCount(0, 0, 0);
    }

    @Override
    public UserCount add(UserCount acc, GeneratedRecord r) {
      return new UserCount(acc.count() + 1, acc.sum() + r.value(), r.value());
    }

    @Override
    public UserCount merge(UserCount a, UserCount b) {
      throw new UnsupportedOperationException("running aggregations never merge");
    }

    @Override
    public UserCount result(UserCount acc) {
      return acc;
    }
  }

  /**
   * A bucket's running result. Line: {@code bucket,count,values,totals}.
   *
   * @param bucket a user's count modulo the number of buckets
   * @param count records in the bucket so far
   * @param values the sum of their values
   * @param totals the sum of the users' running totals they carried
   */
  public record BucketSum(long bucket, long count, long values, long totals) {
    public String toLine() {
      return bucket + "," + count + "," + values + "," + totals;
    }
  }

  /** The right answer: per bucket, the number of records and the sums of a bucket's last result. */
  public static List<BucketSum> expectedFinals(Generator g, int buckets) {
    long[][] acc = new long[buckets][3];
    for (long k = 0; k < g.keys(); k++) {
      long total = 0;
      for (long n = 1; n <= g.recordsPerKey(); n++) {
        long v = Generator.value(k, n);
        total += v;
        long[] a = acc[(int) (n % buckets)];
        a[0]++;
        a[1] += v;
        a[2] += total;
      }
    }
    List<BucketSum> out = new ArrayList<>();
    for (int b = 0; b < buckets; b++) {
      out.add(new BucketSum(b, acc[b][0], acc[b][1], acc[b][2]));
    }
    return out;
  }

  /** Checks bucket lines, in delivery order; see the class comment for what is exact. */
  public static Verdict verify(Generator g, int buckets, List<String> lines) {
    List<BucketSum> finals = expectedFinals(g, buckets);
    long expected = g.totalRecords();
    BitSet[] seen = new BitSet[buckets];
    long[] lastCount = new long[buckets];
    long[] lastValues = new long[buckets];
    long[] lastTotals = new long[buckets];
    List<String> problems = new ArrayList<>();
    long duplicated = 0;
    long wrong = 0;
    long distinct = 0;
    for (String line : lines) {
      BucketSum s;
      try {
        String[] f = line.split(",", -1);
        if (f.length != 4) {
          throw new NumberFormatException();
        }
        s = new BucketSum(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
      } catch (NumberFormatException e) {
        wrong++;
        problem(problems, "malformed line '" + line + "' (expected bucket,count,values,totals)");
        continue;
      }
      if (s.bucket() < 0 || s.bucket() >= buckets) {
        wrong++;
        problem(problems, "no such bucket: '" + line + "'");
        continue;
      }
      int b = (int) s.bucket();
      BucketSum fin = finals.get(b);
      if (s.count() < 1 || s.count() > fin.count()) {
        wrong++;
        problem(problems, "bucket " + b + ": count " + s.count() + " outside [1, " + fin.count() + "] ('" + line
            + "')");
        continue;
      }
      if (seen[b] == null) {
        seen[b] = new BitSet();
      }
      if (seen[b].get((int) s.count())) {
        duplicated++;
        problem(problems, "bucket " + b + ": count " + s.count() + " delivered again ('" + line + "')");
        continue;
      }
      seen[b].set((int) s.count());
      distinct++;
      if (s.count() != lastCount[b] + 1) {
        wrong++;
        problem(problems, "bucket " + b + ": count " + s.count() + " after " + lastCount[b] + " (Δ must be 1)");
      } else if (s.values() <= lastValues[b] || s.totals() <= lastTotals[b] || s.values() > fin.values()
          || s.totals() > fin.totals()) {
        wrong++;
        problem(problems, "bucket " + b + ": '" + line + "' does not grow from values " + lastValues[b] + ", totals "
            + lastTotals[b] + " or exceeds the final values " + fin.values() + ", totals " + fin.totals());
      } else if (s.count() == fin.count() && (s.values() != fin.values() || s.totals() != fin.totals())) {
        wrong++;
        problem(problems, "bucket " + b + ": after all " + fin.count() + " records expected values " + fin.values()
            + ", totals " + fin.totals() + "; got values " + s.values() + ", totals " + s.totals());
      }
      lastCount[b] = Math.max(lastCount[b], s.count());
      lastValues[b] = Math.max(lastValues[b], s.values());
      lastTotals[b] = Math.max(lastTotals[b], s.totals());
    }
    long lost = expected - distinct;
    if (lost > 0) {
      for (int b = 0; b < buckets; b++) {
        long have = seen[b] == null ? 0 : seen[b].cardinality();
        if (have < finals.get(b).count()) {
          long first = seen[b] == null ? 1 : seen[b].nextClearBit(1);
          problem(problems, "bucket " + b + ": " + have + " of " + finals.get(b).count() + " counts delivered, first"
              + " missing count " + first);
        }
      }
    }
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0 && lines.size() == expected;
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + lines.size() + " of " + expected
        + " running bucket results (" + g.keys() + " users x " + g.recordsPerKey() + " records, " + buckets
        + " buckets); lost " + lost + ", duplicated " + duplicated + ", wrong " + wrong;
    return new Verdict(exact, expected, lines.size(), lost, duplicated, wrong, problems, summary);
  }

  private static void problem(List<String> problems, String p) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(p);
    }
  }

  /** Checks what job {@code jobId} wrote; empty for {@code discard=true}. */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    Generator g = SampleSinks.keyedGenerator(params, 10_000, 100);
    int b = buckets(params);
    return SampleSinks.jobDirectory(params, NAME, jobId).map(dir -> verify(g, b, SampleSinks.lines(dir)));
  }
}
