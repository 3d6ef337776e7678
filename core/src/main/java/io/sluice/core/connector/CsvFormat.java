package io.sluice.core.connector;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.IOException;

/**
 * How a CSV file is written: delimiter, quote and escape characters, a header line, the text of a
 * null, and what a malformed line does. Immutable; every {@code withX} returns a new format.
 * Fields are parsed and written by Jackson's CSV module (RFC 4180 quoting: a quote in a quoted
 * field is doubled, and a quoted field may hold delimiters and line breaks).
 *
 * <p>The defaults: delimiter {@code ,}, quote {@code "}, no escape character, no header, empty
 * fields are null, a malformed line fails the read, a record may be at most 1 MiB.
 *
 * <p>Reading: an unquoted empty field is null (for every type); a quoted empty field is the empty
 * string for a STRING column and null for the others. Empty lines are skipped. Files are UTF-8
 * (a byte-order mark at the start is skipped); lines end with {@code \n} or {@code \r\n}.
 */
public final class CsvFormat {
  static final CsvMapper MAPPER = CsvMapper.builder()
      .enable(CsvParser.Feature.WRAP_AS_ARRAY)
      .enable(CsvParser.Feature.EMPTY_UNQUOTED_STRING_AS_NULL)
      .enable(CsvGenerator.Feature.ALWAYS_QUOTE_EMPTY_STRINGS)
      .build();

  /** What a line that cannot be read as a row of the table does. */
  public enum OnError {
    /** Fails the read with the file, the line and the reason (the restart strategy decides). */
    FAIL,
    /**
     * Sends the line, with its file, line number and the reason, to the job's dead-letter sink
     * ({@link io.sluice.core.dsl.JobConfig#withDeadLetterSink}) and goes on with the next line.
     * Without a dead-letter sink the read fails as with {@link #FAIL}.
     */
    DEAD_LETTER
  }

  private static final CsvFormat DEFAULTS = new CsvFormat(',', '"', -1, false, null, OnError.FAIL, 1 << 20);

  private final char delimiter;
  private final int quote;
  private final int escape;
  private final boolean header;
  private final String nullLiteral;
  private final OnError onError;
  private final int maxRecordBytes;

  private CsvFormat(char delimiter, int quote, int escape, boolean header, String nullLiteral, OnError onError,
      int maxRecordBytes) {
    check(delimiter, "delimiter");
    if (quote >= 0) {
      check((char) quote, "quote character");
    }
    if (escape >= 0) {
      check((char) escape, "escape character");
    }
    if (delimiter == quote || delimiter == escape) {
      throw new IllegalArgumentException("the delimiter '" + delimiter + "' must differ from the quote and escape"
          + " characters");
    }
    if (maxRecordBytes < 1) {
      throw new IllegalArgumentException("max record bytes must be positive: " + maxRecordBytes);
    }
    this.delimiter = delimiter;
    this.quote = quote;
    this.escape = escape;
    this.header = header;
    this.nullLiteral = nullLiteral;
    this.onError = onError;
    this.maxRecordBytes = maxRecordBytes;
  }

  private static void check(char c, String what) {
    if (c >= 0x80 || c == '\n' || c == '\r') {
      throw new IllegalArgumentException("the CSV " + what + " must be an ASCII character other than a line"
          + " break, not '" + c + "' (U+" + String.format("%04X", (int) c) + ")");
    }
  }

  /** The defaults (see the class comment). */
  public static CsvFormat defaults() {
    return DEFAULTS;
  }

  /** The field delimiter (an ASCII character): {@code ,} by default; {@code '\t'} for TSV. */
  public CsvFormat withDelimiter(char delimiter) {
    return new CsvFormat(delimiter, quote, escape, header, nullLiteral, onError, maxRecordBytes);
  }

  /** The quote character (ASCII): {@code "} by default. */
  public CsvFormat withQuote(char quote) {
    return new CsvFormat(delimiter, quote, escape, header, nullLiteral, onError, maxRecordBytes);
  }

  /** No quoting: every quote character is data, and no field holds a delimiter or line break. */
  public CsvFormat withoutQuote() {
    return new CsvFormat(delimiter, -1, escape, header, nullLiteral, onError, maxRecordBytes);
  }

  /** An escape character (ASCII, such as {@code \}): the character after it is data. None by default. */
  public CsvFormat withEscape(char escape) {
    return new CsvFormat(delimiter, quote, escape, header, nullLiteral, onError, maxRecordBytes);
  }

  /**
   * Whether the first line of each file holds the column names: a source skips it, a sink writes
   * it at the top of each part file. Off by default.
   */
  public CsvFormat withHeader(boolean header) {
    return new CsvFormat(delimiter, quote, escape, header, nullLiteral, onError, maxRecordBytes);
  }

  /** A field equal to {@code literal} (such as {@code NULL} or {@code \N}) is null; a sink writes nulls so. */
  public CsvFormat withNullLiteral(String literal) {
    return new CsvFormat(delimiter, quote, escape, header, literal, onError, maxRecordBytes);
  }

  /** What a malformed line does: {@link OnError#FAIL} (the default) or {@link OnError#DEAD_LETTER}. */
  public CsvFormat onError(OnError onError) {
    return new CsvFormat(delimiter, quote, escape, header, nullLiteral,
        java.util.Objects.requireNonNull(onError, "onError"), maxRecordBytes);
  }

  /**
   * The longest record a source reads, in bytes (1 MiB by default): a longer one, often a quote
   * that is never closed, is a malformed line, and memory stays bounded.
   */
  public CsvFormat withMaxRecordBytes(int maxRecordBytes) {
    return new CsvFormat(delimiter, quote, escape, header, nullLiteral, onError, maxRecordBytes);
  }

  public char delimiter() {
    return delimiter;
  }

  /** The quote character, or -1 for none. */
  public int quote() {
    return quote;
  }

  /** The escape character, or -1 for none. */
  public int escape() {
    return escape;
  }

  public boolean header() {
    return header;
  }

  /** The text of a null, or null if only empty fields are null. */
  public String nullLiteral() {
    return nullLiteral;
  }

  public OnError onErrorAction() {
    return onError;
  }

  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  private CsvSchema.Builder jacksonSchema() {
    CsvSchema.Builder b = CsvSchema.builder().setColumnSeparator(delimiter).setLineSeparator("\n");
    if (quote >= 0) {
      b.setQuoteChar((char) quote);
    } else {
      b.disableQuoteChar();
    }
    if (escape >= 0) {
      b.setEscapeChar((char) escape);
    } else {
      b.disableEscapeChar();
    }
    if (nullLiteral != null) {
      b.setNullValue(nullLiteral);
    }
    return b;
  }

  /**
   * Reads one record (the text of one CSV record, without its line break; it may hold quoted line
   * breaks) as a row of {@code schema}, as a CSV source does: for a message that holds one record,
   * such as a Kafka record's value.
   *
   * @throws IllegalArgumentException with the reason (malformed, wrong field count, a value not of
   *     its column's type) naming the column
   */
  public Row parseRow(String record, Schema schema) {
    return parseRow(record, schema, fieldReader());
  }

  /** {@link #parseRow(String, Schema)} with a reader made by {@link #fieldReader()}. */
  Row parseRow(String text, Schema schema, ObjectReader fields) {
    String[] values;
    try (MappingIterator<String[]> it = fields.readValues(text)) {
      if (!it.hasNextValue()) {
        throw new IllegalArgumentException("no fields");
      }
      values = it.nextValue();
      if (it.hasNextValue()) {
        throw new IllegalArgumentException("the record does not end where a record should end");
      }
    } catch (IOException e) {
      String m = e.getMessage();
      int nl = m == null ? -1 : m.indexOf('\n');
      throw new IllegalArgumentException("malformed CSV: " + (nl < 0 ? m : m.substring(0, nl)));
    }
    if (values.length != schema.size()) {
      throw new IllegalArgumentException("expected " + schema.size() + " fields (" + schema + "), found "
          + values.length);
    }
    Object[] row = new Object[values.length];
    for (int i = 0; i < values.length; i++) {
      String v = values[i];
      Column c = schema.column(i);
      if (v == null || (v.isEmpty() && c.type() != DataType.STRING)) {
        continue;
      }
      try {
        row[i] = c.type().parse(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("column " + (i + 1) + " '" + c.name() + "': " + e.getMessage());
      }
    }
    return Row.of(schema, row);
  }

  /** One row as one CSV record, with its line break: what a CSV sink writes for it (without a header). */
  public String formatRow(Row row) {
    try {
      return withHeader(false).rowWriter(row.schema()).writeValueAsString(fields(row));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The text of each field of {@code row} (null for null), as written to CSV. */
  static String[] fields(Row row) {
    Schema schema = row.schema();
    String[] fields = new String[schema.size()];
    for (int i = 0; i < fields.length; i++) {
      Object v = row.get(i);
      fields[i] = v == null ? null : schema.column(i).type().format(v);
    }
    return fields;
  }

  /** Reads one record's text as its fields. */
  ObjectReader fieldReader() {
    return MAPPER.readerForArrayOf(String.class).with(jacksonSchema().setUseHeader(false).build());
  }

  /** Writes rows of {@code schema} as arrays of field texts, with the header if asked for. */
  ObjectWriter rowWriter(Schema schema) {
    CsvSchema.Builder b = jacksonSchema();
    for (String n : schema.names()) {
      b.addColumn(n);
    }
    return MAPPER.writer(b.setUseHeader(header).build());
  }

  /** For {@code describe()}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("delimiter '").append(delimiter == '\t' ? "\\t" : String.valueOf(delimiter))
        .append('\'');
    sb.append(quote >= 0 ? ", quote '" + (char) quote + "'" : ", no quote");
    if (escape >= 0) {
      sb.append(", escape '").append((char) escape).append('\'');
    }
    if (header) {
      sb.append(", header");
    }
    if (nullLiteral != null) {
      sb.append(", null '").append(nullLiteral).append('\'');
    }
    if (onError == OnError.DEAD_LETTER) {
      sb.append(", malformed lines to dead letters");
    }
    return sb.toString();
  }
}
