package io.sluice.samples;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * An at-least-once text sink: each sink instance appends every batch it is given to one file,
 * {@code <directory>/<job id>/append-<instance>.txt}, one record per line, and syncs it. Nothing
 * makes a write idempotent, so a batch written again after a failure is in the file twice: that is
 * what the {@code at-least-once} sample counts.
 *
 * <p>Every writer first appends an {@link #OPENED} line, so the file tells how many times its
 * instance started (its first start plus one per recovery); and it cuts off a torn last line (a
 * write cut short by a kill), which the batch's rewrite replaces.
 *
 * @param <T> the record type
 */
final class AppendingFileSink<T> implements Sink<T> {
  /** The line a writer appends when it opens. */
  static final String OPENED = "#opened";

  private final String name;
  private final Path directory;
  private final Function<? super T, String> formatter;
  private final boolean fsync;

  AppendingFileSink(String name, Path directory, Function<? super T, String> formatter, boolean fsync) {
    this.name = Objects.requireNonNull(name, "sink name");
    this.directory = directory.toAbsolutePath();
    this.formatter = Objects.requireNonNull(formatter, "formatter");
    this.fsync = fsync;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return DeliveryGuarantee.AT_LEAST_ONCE;
  }

  @Override
  public String describe() {
    return "append(" + directory + (fsync ? "" : ", no fsync") + ")";
  }

  /** The file of sink instance {@code instance} of job {@code jobId}. */
  Path file(String jobId, int instance) {
    return directory.resolve(jobId).resolve("append-" + instance + ".txt");
  }

  @Override
  public SinkWriter<T> createWriter(Context context) throws IOException {
    Path file = file(context.jobId(), context.instanceIndex());
    Files.createDirectories(file.getParent());
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      ch.truncate(completeLength(ch));
      ch.position(ch.size());
      write(ch, (OPENED + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return new SinkWriter<>() {
      @Override
      public void write(BatchId id, List<T> records) throws IOException {
        StringBuilder sb = new StringBuilder(records.size() * 20);
        for (T r : records) {
          String line = formatter.apply(r);
          if (line.indexOf('\n') >= 0 || line.startsWith("#")) {
            throw new IllegalArgumentException("sink '" + name + "': a record's line must not contain a line break"
                + " or start with '#': " + line);
          }
          sb.append(line).append('\n');
        }
        AppendingFileSink.this.write(ch, sb.toString().getBytes(StandardCharsets.UTF_8));
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  private void write(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      ch.write(b);
    }
    if (fsync) {
      ch.force(false);
    }
  }

  /** The length of the file up to and including its last line break: a torn last line is cut off. */
  static long completeLength(FileChannel ch) throws IOException {
    long end = ch.size();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    while (end > 0) {
      long from = Math.max(0, end - buf.capacity());
      buf.clear().limit((int) (end - from));
      int read = 0;
      while (buf.hasRemaining()) {
        int n = ch.read(buf, from + read);
        if (n < 0) {
          break;
        }
        read += n;
      }
      for (int i = read - 1; i >= 0; i--) {
        if (buf.get(i) == '\n') {
          return from + i + 1;
        }
      }
      end = from;
    }
    return 0;
  }

  /** The lines of every instance's file of {@code jobDirectory}, by instance; empty if none. */
  static TreeMap<Integer, List<String>> linesByInstance(Path jobDirectory) {
    TreeMap<Integer, List<String>> out = new TreeMap<>();
    if (!Files.isDirectory(jobDirectory)) {
      return out;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(jobDirectory)) {
      files = s.filter(p -> p.getFileName().toString().matches("append-\\d+\\.txt")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + jobDirectory, e);
    }
    for (Path f : files) {
      String n = f.getFileName().toString();
      int instance = Integer.parseInt(n.substring("append-".length(), n.length() - ".txt".length()));
      try {
        out.put(instance, new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + f, e);
      }
    }
    return out;
  }
}
