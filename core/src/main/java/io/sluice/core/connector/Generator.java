package io.sluice.core.connector;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A deterministic, replayable source of {@link GeneratedRecord}s for tests, benchmarks and chaos
 * runs: {@code keys} keys, {@code recordsPerKey} records each (or unbounded), optionally
 * rate-limited. The same settings always generate the same records, so the right answer is known:
 * {@link #expectedSum(long)} and {@link #value(long, long)}.
 *
 * <p>Split {@code s} of {@code S} owns the keys {@code k} with {@code k mod S = s} and emits them
 * round-robin; its {@code j}-th record (from 0) is key {@code s + S * (j mod K_s)} with sequence
 * {@code j div K_s + 1}, where {@code K_s} is the number of keys it owns. Event time is
 * {@code start + (j * S + s) * tick}.
 *
 * <pre>{@code
 * Source<GeneratedRecord> src = Generator.keyed(10_000, 100).withSplits(2).toSource("events");
 * }</pre>
 */
public final class Generator {
  /** recordsPerKey of an unbounded generator. */
  public static final long UNBOUNDED = Long.MAX_VALUE;

  private final long keys;
  private final long recordsPerKey;
  private final int splits;
  private final long recordsPerSecond;
  private final long startMillis;
  private final long tickMillis;

  private Generator(long keys, long recordsPerKey, int splits, long recordsPerSecond, long startMillis,
      long tickMillis) {
    this.keys = keys;
    this.recordsPerKey = recordsPerKey;
    this.splits = splits;
    this.recordsPerSecond = recordsPerSecond;
    this.startMillis = startMillis;
    this.tickMillis = tickMillis;
  }

  /** {@code keys} keys with {@code recordsPerKey} records each ({@link #UNBOUNDED} for no end). */
  public static Generator keyed(long keys, long recordsPerKey) {
    if (keys < 1) {
      throw new IllegalArgumentException("generator keys must be at least 1, was " + keys);
    }
    if (recordsPerKey < 1) {
      throw new IllegalArgumentException("generator recordsPerKey must be at least 1, was " + recordsPerKey);
    }
    return new Generator(keys, recordsPerKey, 0, 0, 1_700_000_000_000L, 1);
  }

  /** Splits (source instances); default: the job's parallelism. Each split needs at least one key. */
  public Generator withSplits(int splits) {
    if (splits < 1 || splits > keys) {
      throw new IllegalArgumentException("generator splits must be in [1, keys=" + keys + "], was " + splits);
    }
    return new Generator(keys, recordsPerKey, splits, recordsPerSecond, startMillis, tickMillis);
  }

  /** At most this many records per second in total (0: as fast as possible). */
  public Generator withRate(long recordsPerSecond) {
    if (recordsPerSecond < 0) {
      throw new IllegalArgumentException("generator rate must not be negative, was " + recordsPerSecond);
    }
    return new Generator(keys, recordsPerKey, splits, recordsPerSecond, startMillis, tickMillis);
  }

  /** Event time of the first record and the event-time distance between consecutive records. */
  public Generator withEventTime(Instant start, Duration tick) {
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(tick, "tick");
    if (tick.isNegative()) {
      throw new IllegalArgumentException("generator tick must not be negative, was " + tick);
    }
    return new Generator(keys, recordsPerKey, splits, recordsPerSecond, start.toEpochMilli(), tick.toMillis());
  }

  public long keys() {
    return keys;
  }

  public long recordsPerKey() {
    return recordsPerKey;
  }

  public boolean bounded() {
    return recordsPerKey != UNBOUNDED;
  }

  /** Total records of a bounded generator. */
  public long totalRecords() {
    return Math.multiplyExact(keys, recordsPerKey);
  }

  /** The value of the {@code seq}-th record of {@code key}: between 1 and 100. */
  public static long value(long key, long seq) {
    return Math.floorMod(key * 31 + seq * 17, 100) + 1;
  }

  /** The sum of the values of the first {@code n} records of {@code key}. */
  public static long sumOfFirst(long key, long n) {
    long sum = 0;
    // values repeat with period 100 in seq
    long full = n / 100;
    if (full > 0) {
      long period = 0;
      for (long s = 1; s <= 100; s++) {
        period += value(key, s);
      }
      sum += full * period;
    }
    for (long s = full * 100 + 1; s <= n; s++) {
      sum += value(key, s);
    }
    return sum;
  }

  /** The sum of all values of {@code key} (bounded generators). */
  public long expectedSum(long key) {
    return sumOfFirst(key, recordsPerKey);
  }

  public Source<GeneratedRecord> toSource(String name) {
    return new GeneratorSource(name, this);
  }

  private static final class GeneratorSource implements Source<GeneratedRecord> {
    private final String name;
    private final Generator g;

    GeneratorSource(String name, Generator g) {
      this.name = Objects.requireNonNull(name, "source name");
      this.g = g;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int splitCount(int defaultParallelism) {
      return g.splits > 0 ? g.splits : (int) Math.min(defaultParallelism, g.keys);
    }

    @Override
    public boolean isBounded() {
      return g.bounded();
    }

    @Override
    public SourceReader<GeneratedRecord> createReader(int split, int splitCount) {
      return new GeneratorReader(g, split, splitCount, g.recordsPerSecond);
    }

    @Override
    public SourceReader<GeneratedRecord> createReplayReader(int split, int splitCount) {
      return new GeneratorReader(g, split, splitCount, 0); // replays are never rate-limited
    }

    @Override
    public String describe() {
      return "generator(keys=" + g.keys + ", recordsPerKey=" + (g.bounded() ? g.recordsPerKey : "unbounded")
          + (g.recordsPerSecond > 0 ? ", rate=" + g.recordsPerSecond + "/s" : "") + ")";
    }
  }

  private static final class GeneratorReader implements SourceReader<GeneratedRecord> {
    private final Generator g;
    private final int split;
    private final int splits;
    private final long ownedKeys;
    private final long total;
    private final long perSplitRate;
    private long next;
    private long rateStartNanos = -1;
    private long rateStartIndex;

    GeneratorReader(Generator g, int split, int splits, long recordsPerSecond) {
      this.g = g;
      this.split = split;
      this.splits = splits;
      this.ownedKeys = (g.keys - split + splits - 1) / splits;
      this.total = g.bounded() ? Math.multiplyExact(ownedKeys, g.recordsPerKey) : Long.MAX_VALUE;
      this.perSplitRate = recordsPerSecond == 0 ? 0 : Math.max(1, recordsPerSecond / splits);
    }

    @Override
    public int read(int maxRecords, Output<GeneratedRecord> out) {
      long n = Math.min(maxRecords, total - next);
      if (perSplitRate > 0) {
        long nowNanos = System.nanoTime();
        if (rateStartNanos < 0) {
          rateStartNanos = nowNanos;
          rateStartIndex = next;
        }
        long due = rateStartIndex + (nowNanos - rateStartNanos) / 1_000_000L * perSplitRate / 1000 + 1;
        n = Math.min(n, Math.max(0, due - next));
      }
      for (long i = 0; i < n; i++) {
        long j = next++;
        long key = split + splits * (j % ownedKeys);
        long seq = j / ownedKeys + 1;
        out.emit(new GeneratedRecord(key, seq, value(key, seq), g.startMillis + (j * splits + split) * g.tickMillis));
      }
      return (int) n;
    }

    @Override
    public long position() {
      return next;
    }

    @Override
    public void seek(long position) {
      if (position < 0 || position > total) {
        throw new IllegalArgumentException("generator position " + position + " outside [0, " + total + "]");
      }
      next = position;
      rateStartNanos = -1;
    }

    @Override
    public boolean isEnd() {
      return next >= total;
    }
  }
}
