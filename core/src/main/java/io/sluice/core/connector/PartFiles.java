package io.sluice.core.connector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The exactly-once part files of one file-sink instance: each part is written to a temporary
 * file, synced (if asked), and renamed into place atomically, replacing a part of the same name;
 * temporary files a crash left behind are removed when the instance opens.
 */
final class PartFiles {
  private final String sink;
  private final Path dir;
  private final int instance;
  private final String tmpPrefix;
  private final boolean fsync;

  private PartFiles(String sink, Path dir, int instance, boolean fsync) {
    this.sink = sink;
    this.dir = dir;
    this.instance = instance;
    this.tmpPrefix = ".tmp-" + instance + "-";
    this.fsync = fsync;
  }

  static PartFiles open(String sink, Path dir, int instance, boolean fsync) throws IOException {
    Files.createDirectories(dir);
    PartFiles p = new PartFiles(sink, dir, instance, fsync);
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, p.tmpPrefix + "*")) {
      for (Path f : leftovers) {
        Files.deleteIfExists(f);
      }
    }
    return p;
  }

  /** Writes (or replaces) part {@code name} with {@code bytes}. */
  void write(String name, byte[] bytes) throws IOException {
    Path tmp = dir.resolve(tmpPrefix + UUID.randomUUID());
    writeNew(tmp, bytes);
    try {
      Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("sink '" + sink + "': " + dir + " does not support atomic renames, which"
          + " exactly-once output needs", e);
    }
  }

  /** Writes the instance's {@code _END-<instance>} marker, once. */
  void end() throws IOException {
    Path marker = dir.resolve("_END-" + instance);
    if (!Files.exists(marker)) {
      writeNew(marker, new byte[0]);
    }
  }

  private void writeNew(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      if (fsync) {
        ch.force(true);
      }
    }
  }

  /** The parts in {@code jobDirectory}, by name: by sink instance, upstream, upstream instance, batch. */
  static List<Path> parts(Path jobDirectory) {
    try (Stream<Path> s = Files.list(jobDirectory)) {
      return s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + jobDirectory, e);
    }
  }

  /** Number of {@code _END-*} markers in {@code jobDirectory}: sink instances that finished. */
  static int endedInstances(Path jobDirectory) {
    try (Stream<Path> s = Files.list(jobDirectory)) {
      return (int) s.filter(p -> p.getFileName().toString().startsWith("_END-")).count();
    } catch (IOException e) {
      return 0;
    }
  }
}
