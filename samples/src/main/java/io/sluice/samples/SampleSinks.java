package io.sluice.samples;

import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.connector.Generator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/** The parameters every sample shares: where the output goes and how parallel the job is. */
final class SampleSinks {
  private SampleSinks() {}

  /**
   * {@code discard=true}: {@link Sinks#discarding}; otherwise {@link Sinks#files} in
   * {@code output} (default {@code out/<sample>}), fsynced unless {@code fsync=false}.
   */
  static <T> Sink<T> sink(Parameters params, String sample, Function<? super T, String> formatter) {
    boolean discard = bool(params, "discard", false);
    if (discard) {
      if (params.get("output").isPresent()) {
        throw new IllegalArgumentException("give either output=<directory> or discard=true, not both");
      }
      return Sinks.discarding("out");
    }
    return Sinks.<T>files("out", outputDir(params, sample)).withFormatter(formatter).withFsync(bool(params, "fsync", true));
  }

  /**
   * Where a job's file-sink output is ({@code output}/{@code jobId}, as {@link #sink} writes it), or
   * empty for {@code discard=true}.
   */
  static Optional<Path> jobDirectory(Parameters params, String sample, String jobId) {
    if (bool(params, "discard", false)) {
      return Optional.empty();
    }
    return Optional.of(outputDir(params, sample).toAbsolutePath().resolve(jobId));
  }

  /**
   * A second (or further) output of a sample: {@link Sinks#discarding} for {@code discard=true},
   * otherwise {@link Sinks#files} named {@code name} in {@code output/<name>} (so in
   * {@code output/<name>/<job id>/}).
   */
  static <T> Sink<T> namedSink(Parameters params, String sample, String name, Function<? super T, String> formatter) {
    if (bool(params, "discard", false)) {
      return Sinks.discarding(name);
    }
    return Sinks.<T>files(name, outputDir(params, sample).resolve(name)).withFormatter(formatter)
        .withFsync(bool(params, "fsync", true));
  }

  /** Where {@link #namedSink} writes a job's output, or empty for {@code discard=true}. */
  static Optional<Path> namedJobDirectory(Parameters params, String sample, String name, String jobId) {
    if (bool(params, "discard", false)) {
      return Optional.empty();
    }
    return Optional.of(outputDir(params, sample).resolve(name).toAbsolutePath().resolve(jobId));
  }

  static Path outputDir(Parameters params, String sample) {
    return Path.of(params.string("output", "out/" + sample));
  }

  /**
   * The lines a file sink wrote into {@code jobDirectory}, per sink instance (from the part names,
   * {@code part-<instance>-...}; see {@link io.sluice.core.connector.BatchId#asFileName()}), each in
   * part order. Empty if the directory does not exist (yet).
   */
  static TreeMap<Integer, List<String>> linesBySinkInstance(Path jobDirectory) {
    TreeMap<Integer, List<String>> out = new TreeMap<>();
    if (!Files.isDirectory(jobDirectory)) {
      return out;
    }
    List<Path> parts;
    try (Stream<Path> s = Files.list(jobDirectory)) {
      parts = s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + jobDirectory, e);
    }
    for (Path p : parts) {
      String name = p.getFileName().toString();
      int instance;
      try {
        instance = Integer.parseInt(name.substring(5, name.indexOf('-', 5)));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(jobDirectory + ": a part file not named part-<instance>-...: " + name, e);
      }
      try {
        out.computeIfAbsent(instance, i -> new java.util.ArrayList<>())
            .addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + p, e);
      }
    }
    return out;
  }

  /** {@code rate}: records per second over all splits, 0 (the default) for as fast as possible. */
  static long rate(Parameters params) {
    long rate = params.longValue("rate", 0);
    if (rate < 0) {
      throw new IllegalArgumentException("parameter 'rate' must be 0 (unlimited) or positive, was " + rate);
    }
    return rate;
  }

  /**
   * {@code splits}: generator splits (source instances), default the {@code parallelism}; at most
   * {@code keys}, since every split needs a key.
   */
  static int splits(Parameters params, long keys) {
    int splits = positiveInt(params, "splits", positiveInt(params, "parallelism", 2));
    if (splits > keys) {
      throw new IllegalArgumentException("parameter 'splits' (" + splits + ") must not exceed 'keys' (" + keys
          + "): every split needs a key");
    }
    return splits;
  }

  /**
   * The keyed generator of {@code keys} (default {@code defaultKeys}) and {@code records-per-key}
   * (default {@code defaultPerKey}), with {@link #splits} and {@link #rate}.
   */
  static Generator keyedGenerator(Parameters params, long defaultKeys, long defaultPerKey) {
    long keys = positiveLong(params, "keys", defaultKeys);
    long perKey = positiveLong(params, "records-per-key", defaultPerKey);
    long rate = rate(params);
    return Generator.keyed(keys, perKey).withSplits(splits(params, keys)).withRate(rate);
  }

  /** The lines a file sink wrote into {@code jobDirectory}; none if it does not exist (yet). */
  static List<String> lines(Path jobDirectory) {
    return Files.isDirectory(jobDirectory) ? FileSink.readLines(jobDirectory) : List.of();
  }

  /**
   * The job settings: {@code parallelism} (default 2), {@code batch-size} and {@code batch-linger}
   * (default 2000 records, 5ms), {@code credit-window} (default 8 batches), {@code snapshot-every}
   * (default 1000 events); the rest as {@link JobConfig#defaults()}.
   */
  static JobConfig config(Parameters params) {
    JobConfig d = JobConfig.defaults();
    try {
      return d.withParallelism(positiveInt(params, "parallelism", d.parallelism()))
          .withBatching(positiveInt(params, "batch-size", d.batchSize()),
              params.duration("batch-linger", d.batchLinger()))
          .withCreditWindow(positiveInt(params, "credit-window", d.creditWindow()))
          .withCommitInterval(params.duration("commit-interval", d.commitInterval()))
          .withSnapshotEvery(positiveInt(params, "snapshot-every", d.snapshotEvery()));
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("parameter '")) {
        throw e;
      }
      throw new IllegalArgumentException("bad job settings in " + params + ": " + e.getMessage(), e);
    }
  }

  static boolean bool(Parameters params, String key, boolean defaultValue) {
    String v = params.string(key, Boolean.toString(defaultValue)).trim().toLowerCase();
    if (v.equals("true")) {
      return true;
    }
    if (v.equals("false")) {
      return false;
    }
    throw new IllegalArgumentException("parameter '" + key + "' must be true or false, was '" + v + "'");
  }

  static int positiveInt(Parameters params, String key, int defaultValue) {
    int v = params.intValue(key, defaultValue);
    if (v < 1) {
      throw new IllegalArgumentException("parameter '" + key + "' must be at least 1, was " + v);
    }
    return v;
  }

  static long positiveLong(Parameters params, String key, long defaultValue) {
    long v = params.longValue(key, defaultValue);
    if (v < 1) {
      throw new IllegalArgumentException("parameter '" + key + "' must be at least 1, was " + v);
    }
    return v;
  }
}
