package io.sluice.core.connector;

import com.fasterxml.jackson.databind.ObjectReader;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The rows of a CSV file, or of every file in a directory, read as one sequence of bytes (files in
 * name order). Split {@code s} of {@code n} reads the records that start in the byte range
 * {@code [s * total / n, (s + 1) * total / n)}, so files of any size spread over all instances.
 *
 * <p>A record may span lines (a quoted line break), so a split cannot start at just any line: it
 * finds its first record by following the quotes from the start of the file it starts in (a scan
 * of bytes only, without parsing; done once, when it first reads). Record boundaries are found
 * the same way while reading; Jackson's CSV module then parses each record's fields. Positions are
 * byte offsets of record starts in the sequence, so re-reading from a position gives the same rows.
 *
 * <p>The same reader, without quoting, reads files of JSON objects, one per line ({@link JsonFormat}).
 *
 * <p>The files must not change while a job reads them, and every node must see the same files.
 * A line's number, for errors, is counted only when there is an error.
 */
final class CsvSource implements Source<Row> {
  private final String name;
  private final Path path;
  private final Schema schema;
  private final CsvFormat format;
  private final JsonFormat json;

  CsvSource(String name, Path path, Schema schema, CsvFormat format) {
    this(name, path, schema, format, null);
  }

  /** Lines of JSON objects: records are lines (no quoting), each parsed by {@code json}. */
  CsvSource(String name, Path path, Schema schema, JsonFormat json) {
    this(name, path, schema, json.lines(), json);
  }

  private CsvSource(String name, Path path, Schema schema, CsvFormat format, JsonFormat json) {
    this.name = Objects.requireNonNull(name, "source name");
    this.path = Objects.requireNonNull(path, "path").toAbsolutePath();
    this.schema = Objects.requireNonNull(schema, "schema");
    this.format = Objects.requireNonNull(format, "format");
    this.json = json;
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
  public SourceReader<Row> createReader(int split, int splitCount) throws IOException {
    return new Reader(files(), split, splitCount);
  }

  /** The file, or the directory's files whose names do not start with '.' or '_', by name. */
  List<Path> files() throws IOException {
    if (Files.isRegularFile(path)) {
      return List.of(path);
    }
    if (!Files.isDirectory(path)) {
      throw new IOException("source '" + name + "': " + path + " is neither a readable file nor a directory");
    }
    try (Stream<Path> s = Files.list(path)) {
      return s.filter(p -> {
        String f = p.getFileName().toString();
        return !f.startsWith(".") && !f.startsWith("_") && Files.isRegularFile(p);
      }).sorted().toList();
    }
  }

  /** Every row, read as one split, in the source's order; a malformed line fails as with {@link CsvFormat.OnError#FAIL}. */
  List<Row> readAll() throws IOException {
    List<Row> out = new ArrayList<>();
    try (Reader r = new Reader(files(), 0, 1)) {
      while (!r.isEnd()) {
        r.read(10_000, out::add);
      }
    }
    return out;
  }

  @Override
  public String describe() {
    return (json != null ? "json(" + path + ", " + schema + "; " + json : "csv(" + path + ", " + schema + "; " + format)
        + ")";
  }

  private final class Reader implements SourceReader<Row> {
    private final Path[] files;
    private final long[] base; // base[i]: offset of file i in the sequence; base[files.length]: total
    private final long lo;
    private final long hi;
    private final ObjectReader fields = format.fieldReader();
    private final int quote = format.quote();
    private final int escape = format.escape();
    private final int delimiter = format.delimiter();
    private boolean positioned;
    private long pos;
    // the open file and a window of its bytes
    private int current = -1;
    private FileChannel channel;
    private long size;
    private byte[] buf = new byte[64 * 1024];
    private long bufStart;
    private int bufLen;
    // set by recordEnd: the record ended inside quotes (at the end of the file)
    private boolean openQuote;
    // line numbers, counted on demand: line of the byte at lineAt in the current file
    private long lineAt;
    private long lineNo;

    Reader(List<Path> list, int split, int splits) throws IOException {
      this.files = list.toArray(new Path[0]);
      this.base = new long[files.length + 1];
      for (int i = 0; i < files.length; i++) {
        base[i + 1] = base[i] + Files.size(files[i]);
      }
      long total = base[files.length];
      this.lo = split * total / splits;
      this.hi = (split + 1) * total / splits;
    }

    @Override
    public int read(int maxRecords, Output<Row> out) throws IOException {
      position();
      int emitted = 0;
      int taken = 0;
      long total = base[files.length];
      while (taken < maxRecords && pos < hi && pos < total) {
        int f = fileAt(pos);
        open(f);
        long start = pos - base[f];
        long end = recordEnd(start);
        boolean unterminated = openQuote;
        pos = base[f] + Math.min(end + 1, size);
        if (start == 0 && format.header()) {
          continue;
        }
        long from = start == 0 && hasBom() ? 3 : start;
        long len = end - from;
        if (len > 0 && end > 0 && byteAt(end - 1) == '\r' && !unterminated) {
          len--;
        }
        if (len == 0) {
          continue; // an empty line
        }
        taken++;
        String problem;
        String text = null;
        Row row = null;
        if (len > format.maxRecordBytes()) {
          problem = "the record is longer than " + format.maxRecordBytes() + " bytes"
              + (quote >= 0 ? " (is a quote not closed?)" : "");
        } else if (unterminated) {
          problem = "a quoted field is not closed before the end of the file";
          text = decodeLenient(from, (int) len);
        } else {
          try {
            text = decode(from, (int) len);
            row = json != null ? json.parseRow(text, schema) : format.parseRow(text, schema, fields);
            problem = null;
          } catch (CharacterCodingException e) {
            problem = "invalid UTF-8";
            text = decodeLenient(from, (int) len);
          } catch (IllegalArgumentException e) {
            problem = e.getMessage();
          }
        }
        if (row != null) {
          out.emit(row);
          emitted++;
          continue;
        }
        String where = files[f] + ", line " + lineOf(start);
        if (format.onErrorAction() == CsvFormat.OnError.FAIL) {
          throw new IOException("source '" + name + "': " + where + ": " + problem);
        }
        out.reject(where + ": " + (text == null ? "(not read)" : cut(text)), new IllegalArgumentException(problem));
      }
      return emitted;
    }

    /** The first record start at or after {@code target}: in the file it falls in, by following quotes. */
    private long firstRecordAtOrAfter(long target) throws IOException {
      long total = base[files.length];
      if (target >= total) {
        return total;
      }
      int f = fileAt(target);
      long local = target - base[f];
      if (local == 0) {
        return target;
      }
      open(f);
      long p = 0;
      while (p < local) {
        p = Math.min(recordEnd(p) + 1, size);
      }
      return base[f] + p;
    }

    /** The file the byte at {@code g} (below the total) is in. */
    private int fileAt(long g) {
      int i = Arrays.binarySearch(base, g);
      if (i < 0) {
        i = -i - 2;
      }
      while (i < files.length - 1 && base[i + 1] <= g) {
        i++; // skip empty files: the byte is in the last file that starts at g
      }
      return i;
    }

    /**
     * The offset of the line break that ends the record starting at {@code p} in the open file, or
     * its size: quotes open only at the start of a field, a doubled quote in quotes is data, and the
     * escape character makes the next byte data.
     */
    private long recordEnd(long p) throws IOException {
      boolean fieldStart = true;
      boolean inQuotes = false;
      while (p < size) {
        int b = byteAt(p);
        if (inQuotes) {
          if (b == escape && escape != quote) {
            p += 2;
          } else if (b == quote) {
            if (p + 1 < size && byteAt(p + 1) == quote) {
              p += 2;
            } else {
              inQuotes = false;
              p++;
            }
          } else {
            p++;
          }
          continue;
        }
        if (b == '\n') {
          openQuote = false;
          return p;
        }
        if (b == escape) {
          p += 2;
          fieldStart = false;
          continue;
        }
        if (fieldStart && b == quote) {
          inQuotes = true;
          fieldStart = false;
        } else {
          fieldStart = b == delimiter;
        }
        p++;
      }
      openQuote = inQuotes;
      return size;
    }

    private boolean hasBom() throws IOException {
      return size >= 3 && byteAt(0) == 0xEF && byteAt(1) == 0xBB && byteAt(2) == 0xBF;
    }

    private void open(int f) throws IOException {
      if (f == current) {
        return;
      }
      close();
      channel = FileChannel.open(files[f], StandardOpenOption.READ);
      size = channel.size();
      if (size != base[f + 1] - base[f]) {
        throw new IOException("source '" + name + "': " + files[f] + " changed while the job reads it (it had "
            + (base[f + 1] - base[f]) + " bytes, now " + size + ")");
      }
      current = f;
      bufStart = 0;
      bufLen = 0;
      lineAt = 0;
      lineNo = 1;
    }

    private int byteAt(long p) throws IOException {
      if (p < bufStart || p >= bufStart + bufLen) {
        fill(p, 0);
      }
      return buf[(int) (p - bufStart)] & 0xFF;
    }

    /** Loads the bytes from {@code from}; at least {@code need} of them if the file has them. */
    private void fill(long from, int need) throws IOException {
      if (need > buf.length) {
        buf = new byte[need];
      }
      bufStart = from;
      ByteBuffer bb = ByteBuffer.wrap(buf);
      while (bb.hasRemaining()) {
        int n = channel.read(bb, from + bb.position());
        if (n <= 0) {
          break;
        }
      }
      bufLen = bb.position();
      if (bufLen == 0 && from < size) {
        throw new IOException("source '" + name + "': " + files[current] + " ended early at byte " + from);
      }
    }

    private String decode(long from, int len) throws IOException {
      if (from < bufStart || from + len > bufStart + bufLen) {
        fill(from, len);
      }
      int off = (int) (from - bufStart);
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
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(buf, off, len)).toString();
    }

    private String decodeLenient(long from, int len) throws IOException {
      int n = Math.min(len, 2_000);
      if (from < bufStart || from + n > bufStart + bufLen) {
        fill(from, n);
      }
      return new String(buf, (int) (from - bufStart), n, StandardCharsets.UTF_8);
    }

    /** The line number of the byte at {@code p} in the open file (line breaks before it, plus 1). */
    private long lineOf(long p) throws IOException {
      if (p < lineAt) {
        lineAt = 0;
        lineNo = 1;
      }
      for (long q = lineAt; q < p; q++) {
        if (byteAt(q) == '\n') {
          lineNo++;
        }
      }
      lineAt = p;
      return lineNo;
    }

    @Override
    public long position() {
      if (!positioned) {
        try {
          pos = firstRecordAtOrAfter(lo);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        positioned = true;
      }
      return pos;
    }

    @Override
    public void seek(long position) {
      long total = base[files.length];
      if (position < 0 || position > total) {
        throw new IllegalArgumentException("source '" + name + "': position " + position + " outside [0, " + total
            + "]");
      }
      pos = position;
      positioned = true;
    }

    @Override
    public boolean isEnd() {
      long p = position();
      return p >= hi || p >= base[files.length];
    }

    @Override
    public void close() throws IOException {
      if (channel != null) {
        channel.close();
        channel = null;
        current = -1;
      }
    }
  }

  private static String cut(String text) {
    return text.length() > 1_000 ? text.substring(0, 1_000) + "..." : text;
  }
}
