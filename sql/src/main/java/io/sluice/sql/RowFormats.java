package io.sluice.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.core.connector.CsvFormat;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * The formats of a table whose records are messages (Kafka): one row per message, as CSV (one
 * record, Jackson's CSV module) or as a JSON object (Jackson), with Flink's rules: a JSON field
 * missing or null is null, and with {@code 'json.fail-on-missing-field' = 'true'} a missing one is
 * an error; numbers may also come as strings; dates and timestamps are strings.
 */
final class RowFormats {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();

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
    return new Format() {
      @Override
      public Row read(byte[] message) {
        JsonNode n;
        try {
          n = JSON.readTree(message);
        } catch (IOException e) {
          String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
          throw new IllegalArgumentException("malformed JSON: " + m);
        }
        if (n == null || !n.isObject()) {
          throw new IllegalArgumentException("not a JSON object");
        }
        Object[] v = new Object[schema.size()];
        for (int i = 0; i < v.length; i++) {
          Column c = schema.column(i);
          JsonNode f = n.get(c.name());
          if (f == null && failOnMissingField) {
            throw new IllegalArgumentException("field '" + c.name() + "' is missing");
          }
          v[i] = f == null || f.isNull() ? null : value(c, f);
        }
        return Row.of(schema, v);
      }

      @Override
      public byte[] write(Row row) {
        ObjectNode o = JSON.createObjectNode();
        for (int i = 0; i < row.schema().size(); i++) {
          Column c = row.schema().column(i);
          Object v = row.get(i);
          if (v == null) {
            o.putNull(c.name());
            continue;
          }
          switch (c.type()) {
            case INT:
              o.put(c.name(), (Integer) v);
              break;
            case BIGINT:
              o.put(c.name(), (Long) v);
              break;
            case DOUBLE:
              o.put(c.name(), (Double) v);
              break;
            case DECIMAL:
              o.put(c.name(), (BigDecimal) v);
              break;
            case BOOLEAN:
              o.put(c.name(), (Boolean) v);
              break;
            default:
              o.put(c.name(), c.type().format(v));
              break;
          }
        }
        try {
          return JSON.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }

  private static Object value(Column c, JsonNode f) {
    DataType t = c.type();
    try {
      if (f.isTextual()) {
        return t.parse(f.asText());
      }
      switch (t) {
        case STRING:
          return f.isValueNode() ? f.asText() : f.toString();
        case INT:
          if (f.isIntegralNumber() && f.canConvertToInt()) {
            return f.intValue();
          }
          break;
        case BIGINT:
          if (f.isIntegralNumber() && f.canConvertToLong()) {
            return f.longValue();
          }
          break;
        case DOUBLE:
          if (f.isNumber()) {
            return f.doubleValue();
          }
          break;
        case DECIMAL:
          if (f.isNumber()) {
            return f.decimalValue();
          }
          break;
        case BOOLEAN:
          if (f.isBoolean()) {
            return f.booleanValue();
          }
          break;
        default:
          break;
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field '" + c.name() + "': " + e.getMessage());
    }
    String text = f.toString();
    throw new IllegalArgumentException("field '" + c.name() + "': " + (text.length() > 100 ? text.substring(0, 100)
        + "..." : text) + " is not " + (t == DataType.INT ? "an INT" : "a " + t));
  }
}
