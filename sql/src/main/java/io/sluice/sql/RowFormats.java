package io.sluice.sql;

import io.sluice.core.connector.CsvFormat;
import io.sluice.core.connector.JsonFormat;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.nio.charset.StandardCharsets;

/**
 * The formats of a table whose records are messages (Kafka): one row per message, as CSV (one
 * record, Jackson's CSV module) or as a JSON object ({@link JsonFormat}: Flink's rules, a field
 * missing or null is null, and with {@code 'json.fail-on-missing-field' = 'true'} a missing one is
 * an error).
 */
final class RowFormats {
  private RowFormats() {}

  /** Reads and writes the rows of one schema as messages. */
  interface Format {
    /** The row a message holds; throws IllegalArgumentException with the reason. */
    Row read(byte[] message);

    byte[] write(Row row);
  }

  static Format csv(Schema schema, CsvFormat format) {
    return new Format() {
      @Override
      public Row read(byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
          end--;
        }
        return format.parseRow(text.substring(0, end), schema);
      }

      @Override
      public byte[] write(Row row) {
        String line = format.formatRow(row);
        return line.substring(0, line.length() - 1).getBytes(StandardCharsets.UTF_8);
      }
    };
  }

  static Format json(Schema schema, boolean failOnMissingField) {
    JsonFormat f = JsonFormat.defaults().withFailOnMissingField(failOnMissingField);
    return new Format() {
      @Override
      public Row read(byte[] message) {
        return f.parseRow(message, schema);
      }

      @Override
      public byte[] write(Row row) {
        return f.formatRow(row);
      }
    };
  }
}
