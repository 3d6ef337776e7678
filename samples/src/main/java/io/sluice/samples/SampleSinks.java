package io.sluice.samples;

import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

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

  private static Path outputDir(Parameters params, String sample) {
    return Path.of(params.string("output", "out/" + sample));
  }

  /** The lines a file sink wrote into {@code jobDirectory}; none if it does not exist (yet). */
  static List<String> lines(Path jobDirectory) {
    return Files.isDirectory(jobDirectory) ? FileSink.readLines(jobDirectory) : List.of();
  }

  /**
   * The job settings: {@code parallelism} (default 2), {@code batch-size} and {@code batch-linger}
   * (default 2000 records, 5ms), {@code snapshot-every} (default 1000 events); the rest as
   * {@link JobConfig#defaults()}.
   */
  static JobConfig config(Parameters params) {
    JobConfig d = JobConfig.defaults();
    try {
      return d.withParallelism(positiveInt(params, "parallelism", d.parallelism()))
          .withBatching(positiveInt(params, "batch-size", d.batchSize()),
              params.duration("batch-linger", d.batchLinger()))
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
