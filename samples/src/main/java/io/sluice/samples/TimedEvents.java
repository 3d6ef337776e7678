package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.dsl.Parameters;
import java.time.Duration;
import java.time.Instant;

/**
 * The deterministic event-time input of the window and process samples: a keyed {@link Generator}
 * whose records get event times that are a fixed function of key and sequence number, some out of
 * order, none late unless chosen to be.
 *
 * <p>Record {@code seq} (from 1) of key {@code k} happens at
 *
 * <pre>
 *   START + (seq - 1) * tick + jitter(k, seq)         jitter in [0, outOfOrderness), pseudo-random
 * </pre>
 *
 * so each key has one record per tick of event time, and a record may come up to
 * {@code outOfOrderness} after a later one of its key. With {@code lateEvery = n > 0}, every
 * {@code n}-th record of a key ({@code seq mod n = 0}) is instead <em>late by design</em>: it
 * happens {@code lateBy} before its slot, {@code START + (seq - 1) * tick - lateBy}.
 *
 * <p><b>Why no other record is ever late.</b> A generator split emits its keys round-robin, all
 * records of sequence {@code q} before any of {@code q + 1}. When it emits record {@code (k, q)},
 * the largest event time it has emitted is below {@code START + (q - 1) * tick + outOfOrderness},
 * so its watermark (that minus the out-of-orderness, minus 1 ms) is below the record's own time;
 * a downstream watermark is the minimum over splits, so lower still. This holds for any batching,
 * rate, parallelism and failure, because a recovered split regenerates the same batches.
 *
 * <p>Whether a late-by-design record really is late downstream depends on the other splits'
 * progress (timing); verifiers accept either outcome as long as every record is counted exactly
 * once, in its window or in the late output.
 *
 * @param keys keys of the generator
 * @param recordsPerKey records of each key
 * @param tick event time between a key's consecutive records
 * @param outOfOrderness the bound of the jitter, and the watermark delay the pipelines use
 * @param lateEvery every this many-th record of a key is late by design; 0 for none
 * @param lateBy how far before its slot a late-by-design record happens
 */
public record TimedEvents(long keys, long recordsPerKey, Duration tick, Duration outOfOrderness, long lateEvery,
    Duration lateBy) {
  /** Event time of the first slot; aligned to every window size of whole seconds that divides a day. */
  public static final Instant START = Instant.parse("2024-01-01T00:00:00Z");

  public TimedEvents {
    if (keys < 1 || recordsPerKey < 1) {
      throw new IllegalArgumentException("keys and records-per-key must be at least 1, were " + keys + " and "
          + recordsPerKey);
    }
    if (tick == null || tick.toMillis() < 1 || tick.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException("tick must be whole milliseconds and at least 1ms, was " + tick);
    }
    if (outOfOrderness == null || outOfOrderness.isNegative() || outOfOrderness.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException("out-of-orderness must be whole milliseconds and not negative, was "
          + outOfOrderness);
    }
    if (lateEvery < 0) {
      throw new IllegalArgumentException("late-every must be 0 (no late records) or positive, was " + lateEvery);
    }
    if (lateBy == null || lateBy.isNegative() || lateBy.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException("late-by must be whole milliseconds and not negative, was " + lateBy);
    }
    Math.multiplyExact(Math.multiplyExact(keys, recordsPerKey), tick.toMillis());
  }

  /**
   * The model the parameters describe: {@code keys}, {@code records-per-key}, {@code tick}
   * (default 1s), {@code out-of-orderness} (default 3s), and, if {@code lateAllowed},
   * {@code late-every} (default {@code defaultLateEvery}) and {@code late-by} (default
   * {@code defaultLateBy}).
   */
  static TimedEvents from(Parameters params, long defaultKeys, long defaultPerKey, boolean lateAllowed,
      long defaultLateEvery, Duration defaultLateBy) {
    long keys = SampleSinks.positiveLong(params, "keys", defaultKeys);
    long perKey = SampleSinks.positiveLong(params, "records-per-key", defaultPerKey);
    Duration tick = params.duration("tick", Duration.ofSeconds(1));
    Duration ooo = params.duration("out-of-orderness", Duration.ofSeconds(3));
    long lateEvery = 0;
    Duration lateBy = Duration.ZERO;
    if (lateAllowed) {
      lateEvery = params.longValue("late-every", defaultLateEvery);
      lateBy = params.duration("late-by", defaultLateBy);
    } else if (params.get("late-every").isPresent() || params.get("late-by").isPresent()) {
      throw new IllegalArgumentException("this pipeline has no late records: leave out 'late-every' and 'late-by'");
    }
    return new TimedEvents(keys, perKey, tick, ooo, lateEvery, lateBy);
  }

  public long tickMillis() {
    return tick.toMillis();
  }

  public long outOfOrdernessMillis() {
    return outOfOrderness.toMillis();
  }

  public long totalRecords() {
    return keys * recordsPerKey;
  }

  /** The generator behind the events; its own event time is not used (see {@link #timestamp}). */
  public Generator generator(int splits, long rate) {
    return Generator.keyed(keys, recordsPerKey).withSplits(splits).withRate(rate);
  }

  /** True if record {@code seq} of {@code key} is late by design. */
  public boolean lateByDesign(long key, long seq) {
    return lateEvery > 0 && seq % lateEvery == 0;
  }

  /** The event time of record {@code seq} of {@code key}, in milliseconds since the epoch. */
  public long timestamp(long key, long seq) {
    long slot = START.toEpochMilli() + (seq - 1) * tick.toMillis();
    if (lateByDesign(key, seq)) {
      return slot - lateBy.toMillis();
    }
    long ooo = outOfOrderness.toMillis();
    return ooo == 0 ? slot : slot + Math.floorMod(mix(key, seq), ooo);
  }

  /** SplitMix64's finalizer over key and sequence: a well-spread, fixed pseudo-random number. */
  private static long mix(long key, long seq) {
    long z = key * 0x9E3779B97F4A7C15L + seq;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The event time of a generator record. */
  public long timestamp(GeneratedRecord r) {
    return timestamp(r.key(), r.seq());
  }

  /**
   * A generator record as one line of a late output: {@code key,seq,value,eventTime}, with the
   * event time of this model (not the generator's own {@link GeneratedRecord#timestamp()}).
   */
  public String lateLine(GeneratedRecord r) {
    return r.key() + "," + r.seq() + "," + r.value() + "," + timestamp(r);
  }
}
