package io.sluice.core.connector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;

/**
 * The lines of a UTF-8 text file. Split {@code s} of {@code n} reads the lines that start in the
 * byte range {@code [s * size / n, (s + 1) * size / n)}; positions are byte offsets of line starts,
 * so re-reading from a position gives the same lines. The file must not change while a job reads
 * it. Line ends are {@code \n} or {@code \r\n}; an invalid UTF-8 sequence fails the read with the
 * file and the byte offset of the line.
 */
final class TextFileSource implements Source<String> {
  private final String name;
  private final Path file;

  TextFileSource(String name, Path file) {
    this.name = Objects.requireNonNull(name, "source name");
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int splitCount(int defaultParallelism) {
    return Math.max(1, defaultParallelism);
  }

  @Override
  public boolean isBounded() {
    return true;
  }

  @Override
  public SourceReader<String> createReader(int split, int splitCount) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("source '" + name + "': " + file + " is not a readable file");
    }
    return new Reader(file, split, splitCount);
  }

  @Override
  public String describe() {
    return "textFile(" + file + ")";
  }

  private static final class Reader implements SourceReader<String> {
    private final Path file;
    private final FileChannel channel;
    private final long size;
    private final long end;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private byte[] buf = new byte[64 * 1024];
    private long bufStart;
    private int bufLen;
    private long pos;

    Reader(Path file, int split, int splits) throws IOException {
      this.file = file;
      this.channel = FileChannel.open(file, StandardOpenOption.READ);
      this.size = channel.size();
      long start = split * size / splits;
      this.end = (split + 1) * size / splits;
      if (start == 0) {
        pos = 0;
      } else {
        // the first line that starts at or after `start`: skip to the byte after a '\n' at start-1 or later
        long p = start - 1;
        while (p < size && byteAt(p) != '\n') {
          p++;
        }
        pos = Math.min(p + 1, size);
      }
    }

    private int byteAt(long p) throws IOException {
      if (p < bufStart || p >= bufStart + bufLen) {
        fill(p);
      }
      return buf[(int) (p - bufStart)];
    }

    private void fill(long from) throws IOException {
      bufStart = from;
      ByteBuffer bb = ByteBuffer.wrap(buf);
      bufLen = 0;
      while (bb.hasRemaining()) {
        int n = channel.read(bb, from + bb.position());
        if (n <= 0) {
          break;
        }
      }
      bufLen = bb.position();
    }

    @Override
    public int read(int maxRecords, Output<String> out) throws IOException {
      int n = 0;
      while (n < maxRecords && pos < end && pos < size) {
        long lineStart = pos;
        long p = pos;
        // find the end of the line, growing the buffer if a line is longer than it
        while (true) {
          if (p >= size) {
            break;
          }
          if (p >= bufStart + bufLen || p < bufStart) {
            if (p - lineStart >= buf.length) {
              buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, 2L * (p - lineStart + 1)));
            }
            fill(lineStart);
          }
          if (buf[(int) (p - bufStart)] == '\n') {
            break;
          }
          p++;
        }
        long lineEnd = p; // exclusive, at '\n' or EOF
        if (lineStart < bufStart || lineEnd > bufStart + bufLen) {
          fill(lineStart);
        }
        int off = (int) (lineStart - bufStart);
        int len = (int) (lineEnd - lineStart);
        if (len > 0 && buf[off + len - 1] == '\r') {
          len--;
        }
        out.emit(decode(off, len, lineStart));
        pos = Math.min(lineEnd + 1, size);
        n++;
      }
      return n;
    }

    private String decode(int off, int len, long lineStart) throws IOException {
      boolean ascii = true;
      for (int i = off; i < off + len; i++) {
        if (buf[i] < 0) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        return new String(buf, off, len, StandardCharsets.ISO_8859_1);
      }
      try {
        CharBuffer cb = decoder.reset().decode(ByteBuffer.wrap(buf, off, len));
        return cb.toString();
      } catch (CharacterCodingException e) {
        throw new IOException(file + ": invalid UTF-8 in the line starting at byte offset " + lineStart, e);
      }
    }

    @Override
    public long position() {
      return pos;
    }

    @Override
    public void seek(long position) {
      if (position < 0 || position > size) {
        throw new IllegalArgumentException(file + ": position " + position + " outside [0, " + size + "]");
      }
      pos = position;
    }

    @Override
    public boolean isEnd() {
      return pos >= end || pos >= size;
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
