package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.ListState;
import io.sluice.core.dsl.MapState;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.TimeDomain;
import io.sluice.core.dsl.ValueState;
import io.sluice.core.dsl.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code process-state}: a {@link KeyedProcessFunction} with list state, map state, a state with a
 * time-to-live and event-time timers, over the deterministic events of {@link TimedEvents}.
 *
 * <pre>
 *   generator -> withTimestamps(TimedEvents, out-of-orderness) -> keyBy(key)
 *     -> process "periods" (PeriodFunction) -> PeriodSummary -> sink
 * </pre>
 *
 * <p>Per key, {@link PeriodFunction} keeps
 *
 * <ul>
 *   <li>a <b>list</b> {@code buffer} of every record not yet reported (sequence, value, event time);
 *   <li>a <b>map</b> {@code periods} from the start of each open event-time period
 *       ({@code period} long, epoch-aligned) to the count, sum and sequence range of its records;
 *   <li>a <b>value</b> {@code reported}: the sum of every period reported so far;
 *   <li>a <b>value with a time-to-live</b> {@code buffered} ({@code cache-ttl}, processing time): a
 *       cached size of the buffer;
 *   <li>an <b>event-time timer</b> at the end of each open period. When the watermark passes it,
 *       the function takes the period's records out of the buffer, checks them against the map,
 *       and emits a {@link PeriodSummary}: count, sum, sequence range, the values of the earliest
 *       and the latest record by event time, and the running sum of reported periods.
 * </ul>
 *
 * <p><b>What is verified, and why it does not depend on timing.</b> Every record is within the
 * out-of-orderness (none is late, see {@link TimedEvents}), so when a period's timer fires, every
 * record of that period has arrived: the summary is a function of the period's records alone,
 * whatever arrived after them. A key's timers fire in time order, so the running sum is too. The
 * verifier computes every summary from the generator's definition and compares the lines exactly.
 *
 * <p>The time-to-live is processing time: when it expires depends on the wall clock, on the rate
 * and on pauses such as a fail-over, so it must not change the output, and it does not. The cached
 * size is only ever compared with the buffer: when it is present it must equal the buffer's size
 * (a stale or resurrected value after an expiry, a snapshot or a replay would make the function
 * throw, and the job fail naming the key), and when it has expired the function recomputes it. So
 * the output is deterministic, and the TTL path is checked for consistency rather than for when it
 * fires. {@link #CACHE_MISSES} counts expired reads in this JVM, so that tests can see it happen.
 *
 * <p>Parameters: {@code keys} (default 2000), {@code records-per-key} (300), {@code period} (10s),
 * {@code tick} (1s), {@code out-of-orderness} (3s), {@code cache-ttl} (1s), {@code rate}
 * (records/s, 0 = unlimited), {@code splits}, {@code parallelism} (2), {@code batch-size},
 * {@code batch-linger}, {@code snapshot-every}, {@code output} (default {@code out/process-state})
 * or {@code discard=true}, {@code fsync}.
 */
public final class ProcessState implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "process-state";
  /** Reads of the TTL'd cache that found it expired (or never written), in this JVM; for tests. */
  static final AtomicLong CACHE_MISSES = new AtomicLong();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "keyed process function with list, map and TTL state and event-time timers; keys=2000"
        + " records-per-key=300 period=10s cache-ttl=1s rate=0 [parallelism=2] [output=<dir> | discard=true]";
  }

  /** The events the parameters describe. */
  public static TimedEvents model(Parameters params) {
    return TimedEvents.from(params, 2000, 300, false, 0, Duration.ZERO);
  }

  /** {@code period}: default 10s, whole milliseconds. */
  public static Duration period(Parameters params) {
    Duration p = params.duration("period", Duration.ofSeconds(10));
    if (p.toMillis() < 1 || p.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException("parameter 'period' must be whole milliseconds and positive, was " + p);
    }
    return p;
  }

  /** {@code cache-ttl}: default 1s. */
  public static Duration cacheTtl(Parameters params) {
    Duration t = params.duration("cache-ttl", Duration.ofSeconds(1));
    if (t.isNegative() || t.isZero()) {
      throw new IllegalArgumentException("parameter 'cache-ttl' must be positive, was " + t);
    }
    return t;
  }

  @Override
  public Pipeline create(Parameters params) {
    TimedEvents m = model(params);
    int splits = SampleSinks.splits(params, m.keys());
    Sink<PeriodSummary> out = SampleSinks.sink(params, NAME, PeriodSummary::toLine);
    return pipeline(m, period(params), cacheTtl(params), splits, SampleSinks.rate(params),
        SampleSinks.config(params), out);
  }

  /** The pipeline, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(TimedEvents model, Duration period, Duration cacheTtl, int splits, long rate,
      JobConfig config, Sink<? super PeriodSummary> out) {
    long periodMillis = period.toMillis();
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", model.generator(splits, rate)))
        .withTimestamps(model::timestamp, model.outOfOrderness())
        .keyBy(GeneratedRecord::key)
        .process("periods", () -> new PeriodFunction(periodMillis, cacheTtl))
        .writeTo(out);
    return p.build();
  }

  /**
   * A record waiting in the buffer.
   *
   * @param seq its sequence number
   * @param value its value
   * @param timestamp its event time
   */
  public record Pending(long seq, long value, long timestamp) {}

  /**
   * What the map holds per open period.
   *
   * @param count records so far
   * @param sum their values
   * @param minSeq smallest sequence number
   * @param maxSeq largest sequence number
   */
  public record Stats(long count, long sum, long minSeq, long maxSeq) {
    Stats add(long seq, long value) {
      return new Stats(count + 1, sum + value, Math.min(minSeq, seq), Math.max(maxSeq, seq));
    }
  }

  /**
   * The report of one period of one key. Line: {@code key,start,count,sum,minSeq,maxSeq,firstValue,
   * lastValue,reportedSum}.
   *
   * @param key the generator key
   * @param start the period's start (ms since the epoch); it ends {@code period} later
   * @param count records with an event time in the period
   * @param sum the sum of their values
   * @param minSeq the smallest sequence number among them
   * @param maxSeq the largest
   * @param firstValue the value of the earliest of them by event time (ties: smaller sequence)
   * @param lastValue the value of the latest of them by event time (ties: larger sequence)
   * @param reportedSum the sum of this and every earlier reported period of the key
   */
  public record PeriodSummary(long key, long start, long count, long sum, long minSeq, long maxSeq, long firstValue,
      long lastValue, long reportedSum) {
    public static final String FORMAT = "key,start,count,sum,minSeq,maxSeq,firstValue,lastValue,reportedSum";

    public String toLine() {
      return key + "," + start + "," + count + "," + sum + "," + minSeq + "," + maxSeq + "," + firstValue + ","
          + lastValue + "," + reportedSum;
    }

    String id() {
      return "key " + key + " period starting " + java.time.Instant.ofEpochMilli(start);
    }
  }

  /** The keyed function: see the class comment. One per operator instance. */
  static final class PeriodFunction extends KeyedProcessFunction<Long, GeneratedRecord, PeriodSummary> {
    private static final Comparator<Pending> BY_TIME = Comparator.comparingLong(Pending::timestamp)
        .thenComparingLong(Pending::seq);
    private final long period;
    private final Duration cacheTtl;
    private ListState<Pending> buffer;
    private MapState<Long, Stats> periods;
    private ValueState<Long> reported;
    private ValueState<Integer> buffered;

    PeriodFunction(long periodMillis, Duration cacheTtl) {
      this.period = periodMillis;
      this.cacheTtl = cacheTtl;
    }

    @Override
    public void open(OpenContext ctx) {
      buffer = ctx.state(StateSpec.list("buffer"));
      periods = ctx.state(StateSpec.map("periods"));
      reported = ctx.state(StateSpec.value("reported"));
      buffered = ctx.state(StateSpec.<Integer>value("buffered").withTtl(cacheTtl));
    }

    /** The buffer's size, from the cache if it has not expired; a cached size that disagrees is a bug. */
    private int bufferedSize(Long key, List<Pending> actual) {
      Integer cached = buffered.value();
      if (cached == null) {
        CACHE_MISSES.incrementAndGet();
        return actual.size();
      }
      if (cached != actual.size()) {
        throw new IllegalStateException("key " + key + ": the TTL'd cache says " + cached
            + " records are buffered, the list state holds " + actual.size());
      }
      return cached;
    }

    @Override
    public void processElement(GeneratedRecord r, Context<Long> ctx, Collector<PeriodSummary> out) {
      long ts = ctx.timestamp();
      int size = bufferedSize(ctx.key(), buffer.get());
      buffer.add(new Pending(r.seq(), r.value(), ts));
      buffered.update(size + 1);
      long start = Math.floorDiv(ts, period) * period;
      Stats s = periods.get(start);
      if (s == null) {
        s = new Stats(0, 0, Long.MAX_VALUE, Long.MIN_VALUE);
        ctx.timers().registerEventTimeTimer(start + period - 1);
      }
      periods.put(start, s.add(r.seq(), r.value()));
    }

    @Override
    public void onTimer(long timestamp, TimeDomain domain, Context<Long> ctx, Collector<PeriodSummary> out) {
      long start = timestamp + 1 - period;
      Stats s = periods.get(start);
      if (s == null) {
        throw new IllegalStateException("key " + ctx.key() + ": a timer for the period starting " + start
            + " fired, but the map has no such period; it has " + periods.entries().keySet());
      }
      periods.remove(start);
      List<Pending> all = buffer.get();
      bufferedSize(ctx.key(), all);
      List<Pending> in = new ArrayList<>();
      List<Pending> rest = new ArrayList<>();
      for (Pending p : all) {
        (p.timestamp() >= start && p.timestamp() < start + period ? in : rest).add(p);
      }
      if (in.size() != s.count()) {
        throw new IllegalStateException("key " + ctx.key() + " period starting " + start + ": the list state holds "
            + in.size() + " records of it, the map state counted " + s.count());
      }
      in.sort(BY_TIME);
      long sum = reported.valueOr(0L) + s.sum();
      reported.update(sum);
      buffer.update(rest);
      buffered.update(rest.size());
      out.collect(new PeriodSummary(ctx.key(), start, s.count(), s.sum(), s.minSeq(), s.maxSeq(), in.get(0).value(),
          in.get(in.size() - 1).value(), sum));
    }
  }

  /** The right answer: every period of every key, computed from the generator's definition. */
  public static List<PeriodSummary> expected(TimedEvents model, Duration period) {
    long p = period.toMillis();
    List<PeriodSummary> out = new ArrayList<>();
    for (long k = 0; k < model.keys(); k++) {
      TreeMap<Long, List<long[]>> byPeriod = new TreeMap<>();
      for (long seq = 1; seq <= model.recordsPerKey(); seq++) {
        long t = model.timestamp(k, seq);
        byPeriod.computeIfAbsent(t - Math.floorMod(t, p), x -> new ArrayList<>())
            .add(new long[] {t, seq, Generator.value(k, seq)});
      }
      long reported = 0;
      for (Map.Entry<Long, List<long[]>> e : byPeriod.entrySet()) {
        List<long[]> rs = e.getValue();
        rs.sort(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
        long sum = 0;
        long minSeq = Long.MAX_VALUE;
        long maxSeq = 0;
        for (long[] r : rs) {
          sum += r[2];
          minSeq = Math.min(minSeq, r[1]);
          maxSeq = Math.max(maxSeq, r[1]);
        }
        reported += sum;
        out.add(new PeriodSummary(k, e.getKey(), rs.size(), sum, minSeq, maxSeq, rs.get(0)[2],
            rs.get(rs.size() - 1)[2], reported));
      }
    }
    return out;
  }

  /** Checks period lines against {@link #expected}. */
  public static Verdict verify(TimedEvents model, Duration period, List<String> lines) {
    Map<String, String> expected = new HashMap<>();
    for (PeriodSummary s : expected(model, period)) {
      expected.put(s.id(), s.toLine());
    }
    LineCheck check = new LineCheck("periods", PeriodSummary.FORMAT, expected);
    for (String line : lines) {
      String[] f = line.split(",", -1);
      if (f.length != 9) {
        check.malformed(line);
        continue;
      }
      try {
        check.add(new PeriodSummary(Long.parseLong(f[0]), Long.parseLong(f[1]), 0, 0, 0, 0, 0, 0, 0).id(), line);
      } catch (NumberFormatException e) {
        check.malformed(line);
      }
    }
    return check.verdict();
  }

  /** Checks the periods job {@code jobId} wrote; empty for {@code discard=true}. */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    TimedEvents m = model(params);
    Duration p = period(params);
    return SampleSinks.jobDirectory(params, NAME, jobId).map(dir -> verify(m, p, SampleSinks.lines(dir)));
  }
}
