package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.ValueState;
import io.sluice.core.dsl.Verdict;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * {@code large-state}: keyed running totals where every key also holds a large value, so that the
 * job's keyed state is big: {@code keys * value-bytes} (1,000,000 keys of 1,000 bytes: 1 GB).
 *
 * <pre>
 *   generator -> keyBy(key) -> process "totals" (ValueState total, ValueState payload) -> Total -> sink
 * </pre>
 *
 * <p>A key's payload is a string of {@code value-bytes} letters and digits, a fixed function of the
 * key and the sequence number that wrote it ({@link #payload}): the first record of a key writes
 * it, and every {@code rewrite-every}-th record after rewrites it (0: never). Every record first
 * checks that the payload it finds is exactly the one the key's history wrote, and fails the job
 * with both values named if not — so a recovery that loses, corrupts or resurrects stored state
 * fails loudly, and the totals are verified as {@code keyed-totals}' are ({@link TotalsVerifier}).
 *
 * <p>Parameters: as {@link KeyedTotals} ({@code keys} default 1000000, {@code records-per-key}
 * default 3, {@code rate}, {@code splits}, {@code parallelism}, batching, {@code output} or
 * {@code discard=true}), plus {@code value-bytes} (default 1000, at most 1000000) and
 * {@code rewrite-every} (default 0).
 */
public final class LargeState implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "large-state";
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "keyed running totals with a large value per key (state = keys * value-bytes); keys=1000000"
        + " records-per-key=3 value-bytes=1000 rewrite-every=0 rate=0 [parallelism=2] [output=<dir> | discard=true]";
  }

  @Override
  public Pipeline create(Parameters params) {
    Generator g = generator(params);
    int valueBytes = valueBytes(params);
    long rewriteEvery = params.longValue("rewrite-every", 0);
    if (rewriteEvery < 0) {
      throw new IllegalArgumentException("parameter 'rewrite-every' must be 0 (never) or positive, was " + rewriteEvery);
    }
    Sink<Total> sink = SampleSinks.sink(params, NAME, Total::toLine);
    return pipeline(g, SampleSinks.config(params), sink, valueBytes, rewriteEvery);
  }

  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    Generator g = generator(params);
    return SampleSinks.jobDirectory(params, NAME, jobId)
        .map(dir -> TotalsVerifier.verifyLines(g, SampleSinks.lines(dir)).toVerdict());
  }

  static Generator generator(Parameters params) {
    Parameters p = params;
    if (params.get("keys").isEmpty() || params.get("records-per-key").isEmpty()) {
      java.util.Map<String, String> m = new java.util.LinkedHashMap<>(params.asMap());
      m.putIfAbsent("keys", "1000000");
      m.putIfAbsent("records-per-key", "3");
      p = Parameters.of(m);
    }
    return KeyedTotals.generator(p);
  }

  static int valueBytes(Parameters params) {
    int n = SampleSinks.positiveInt(params, "value-bytes", 1000);
    if (n > 1_000_000) {
      throw new IllegalArgumentException("parameter 'value-bytes' must be at most 1000000, was " + n);
    }
    return n;
  }

  /** The pipeline over {@code generator}, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(Generator generator, JobConfig config, Sink<? super Total> sink, int valueBytes,
      long rewriteEvery) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", generator))
        .keyBy(GeneratedRecord::key)
        .process("totals", () -> new TotalWithPayload(valueBytes, rewriteEvery))
        .writeTo(sink);
    return p.build();
  }

  /** The payload written by record {@code seq} of {@code key}: {@code bytes} letters and digits. */
  public static String payload(long key, long seq, int bytes) {
    SplittableRandom r = new SplittableRandom(key * 1_000_003L + seq);
    char[] c = new char[bytes];
    for (int i = 0; i < bytes; i++) {
      c[i] = ALPHABET.charAt(r.nextInt(ALPHABET.length()));
    }
    return new String(c);
  }

  /** The sequence number whose record wrote the payload that record {@code seq} finds (0: none). */
  static long writtenBefore(long seq, long rewriteEvery) {
    if (seq <= 1) {
      return 0;
    }
    if (rewriteEvery <= 0) {
      return 1;
    }
    long prev = seq - 1;
    return prev - ((prev - 1) % rewriteEvery);
  }

  /** The running total, and a payload checked on every record. */
  static final class TotalWithPayload extends KeyedProcessFunction<Long, GeneratedRecord, Total> {
    private final int valueBytes;
    private final long rewriteEvery;
    private ValueState<Long> total;
    private ValueState<String> payload;

    TotalWithPayload(int valueBytes, long rewriteEvery) {
      this.valueBytes = valueBytes;
      this.rewriteEvery = rewriteEvery;
    }

    @Override
    public void open(OpenContext ctx) {
      total = ctx.state(StateSpec.value("total"));
      payload = ctx.state(StateSpec.value("payload"));
    }

    @Override
    public void processElement(GeneratedRecord r, Context<Long> ctx, Collector<Total> out) {
      long wrote = writtenBefore(r.seq(), rewriteEvery);
      String found = payload.value();
      String expected = wrote == 0 ? null : payload(r.key(), wrote, valueBytes);
      if (expected == null ? found != null : !expected.equals(found)) {
        throw new IllegalStateException("key " + r.key() + " seq " + r.seq() + ": the stored payload is "
            + describe(found) + ", but record " + wrote + " wrote " + describe(expected));
      }
      if (r.seq() == 1 || (rewriteEvery > 0 && (r.seq() - 1) % rewriteEvery == 0)) {
        payload.update(payload(r.key(), r.seq(), valueBytes));
      }
      Long before = total.value();
      long t = (before == null ? 0 : before) + r.value();
      total.update(t);
      out.collect(new Total(r.key(), r.seq(), r.value(), t));
    }

    private static String describe(String s) {
      return s == null ? "absent" : s.length() + " chars starting '" + s.substring(0, Math.min(12, s.length())) + "'";
    }
  }
}
