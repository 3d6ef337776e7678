package io.sluice.core.connector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Exactly-once text output. Every batch becomes one part file {@code part-<batch id>.txt} in
 * {@code <directory>/<job id>/}, one record per line: written to a temporary file, synced (unless
 * {@link #withFsync(boolean) turned off}), and renamed into place atomically. Writing the same
 * batch id again replaces the part with identical content, so a batch retried after a failure is
 * never doubled; a crash mid-write leaves only a temporary file, removed when the instance opens
 * again. Each instance writes {@code _END-<instance>} when its input ended.
 *
 * <p>{@link #readLines(Path)} reads a job's output back in batch order.
 *
 * @param <T> the record type
 */
public final class FileSink<T> implements Sink<T> {
  private final String name;
  private final Path directory;
  private final Function<? super T, String> formatter;
  private final boolean fsync;

  FileSink(String name, Path directory, Function<? super T, String> formatter, boolean fsync) {
    this.name = Objects.requireNonNull(name, "sink name");
    this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
    this.formatter = Objects.requireNonNull(formatter, "formatter");
    this.fsync = fsync;
  }

  /** Formats each record as one line (it must not contain a line break). */
  public FileSink<T> withFormatter(Function<? super T, String> formatter) {
    return new FileSink<>(name, directory, formatter, fsync);
  }

  /**
   * Whether each part is forced to disk before it is renamed into place (default on). Off is
   * faster and still exact across process crashes, but not across an operating-system crash.
   */
  public FileSink<T> withFsync(boolean fsync) {
    return new FileSink<>(name, directory, formatter, fsync);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return DeliveryGuarantee.EXACTLY_ONCE;
  }

  /** Where a job's parts go. */
  public Path jobDirectory(String jobId) {
    return directory.resolve(jobId);
  }

  @Override
  public SinkWriter<T> createWriter(Context context) throws IOException {
    PartFiles parts = PartFiles.open(name, jobDirectory(context.jobId()), context.instanceIndex(), fsync);
    return new SinkWriter<>() {
      @Override
      public void write(BatchId id, List<T> records) throws IOException {
        StringBuilder sb = new StringBuilder(records.size() * 16);
        for (T r : records) {
          String line = formatter.apply(r);
          if (line.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("sink '" + name + "': the formatted record contains a line break: "
                + line);
          }
          sb.append(line).append('\n');
        }
        parts.write("part-" + id.asFileName() + ".txt", sb.toString().getBytes(StandardCharsets.UTF_8));
      }

      @Override
      public void endOfStream() throws IOException {
        parts.end();
      }
    };
  }

  /**
   * The lines of every part in {@code jobDirectory} (see {@link #jobDirectory}), ordered by part
   * name: by sink instance, upstream, upstream instance and batch sequence.
   */
  public static List<String> readLines(Path jobDirectory) {
    List<String> out = new ArrayList<>();
    for (Path p : PartFiles.parts(jobDirectory)) {
      try {
        out.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + p, e);
      }
    }
    return out;
  }

  /** Number of {@code _END-*} markers in {@code jobDirectory}: sink instances that finished. */
  public static int endedInstances(Path jobDirectory) {
    return PartFiles.endedInstances(jobDirectory);
  }

  @Override
  public String describe() {
    return "files(" + directory + (fsync ? "" : ", no fsync") + ")";
  }
}
