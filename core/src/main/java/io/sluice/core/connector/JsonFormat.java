package io.sluice.core.connector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * Rows as JSON objects (Jackson), one per line of a file ({@link Sources#json}) or per message:
 * a field is found by its column's name; a missing or null field is null, or, with
 * {@link #withFailOnMissingField}, a missing one is an error; numbers may also come as strings;
 * dates and timestamps are strings in {@link DataType}'s text form. Other fields are ignored.
 * Immutable.
 */
public final class JsonFormat {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();
  private static final JsonFormat DEFAULTS = new JsonFormat(false, CsvFormat.OnError.FAIL, 1 << 20);

  private final boolean failOnMissingField;
  private final CsvFormat.OnError onError;
  private final int maxRecordBytes;

  private JsonFormat(boolean failOnMissingField, CsvFormat.OnError onError, int maxRecordBytes) {
    if (maxRecordBytes < 1) {
      throw new IllegalArgumentException("max record bytes must be positive: " + maxRecordBytes);
    }
    this.failOnMissingField = failOnMissingField;
    this.onError = Objects.requireNonNull(onError, "onError");
    this.maxRecordBytes = maxRecordBytes;
  }

  /** Missing fields are null, a malformed line fails the read, a line may be at most 1 MiB. */
  public static JsonFormat defaults() {
    return DEFAULTS;
  }

  /** Whether a field missing from an object is an error (by default it is null). */
  public JsonFormat withFailOnMissingField(boolean fail) {
    return new JsonFormat(fail, onError, maxRecordBytes);
  }

  /** What a line that is not a row does, as for CSV: fail the read (default) or go to the dead letters. */
  public JsonFormat onError(CsvFormat.OnError onError) {
    return new JsonFormat(failOnMissingField, onError, maxRecordBytes);
  }

  /** The longest line a file source reads, in bytes (1 MiB by default). */
  public JsonFormat withMaxRecordBytes(int maxRecordBytes) {
    return new JsonFormat(failOnMissingField, onError, maxRecordBytes);
  }

  CsvFormat.OnError onErrorAction() {
    return onError;
  }

  /** How a file source finds the lines: no quoting, a record per line. */
  CsvFormat lines() {
    return CsvFormat.defaults().withoutQuote().onError(onError).withMaxRecordBytes(maxRecordBytes);
  }

  /**
   * The row of {@code schema} a JSON object holds.
   *
   * @throws IllegalArgumentException with the reason (malformed, not an object, a field not of its
   *     column's type, a missing field if those are errors), naming the field
   */
  public Row parseRow(byte[] json, Schema schema) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (IOException e) {
      throw malformed(e);
    }
    return toRow(n, schema);
  }

  /** {@link #parseRow(byte[], Schema)} of text. */
  public Row parseRow(String json, Schema schema) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (IOException e) {
      throw malformed(e);
    }
    return toRow(n, schema);
  }

  private static IllegalArgumentException malformed(IOException e) {
    String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    return new IllegalArgumentException("malformed JSON: " + m);
  }

  private Row toRow(JsonNode n, Schema schema) {
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

  /** One row as a JSON object, without a line break: numbers and booleans as such, the rest as strings. */
  public byte[] formatRow(Row row) {
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

  @Override
  public String toString() {
    return "json" + (failOnMissingField ? ", fail on missing fields" : "")
        + (onError == CsvFormat.OnError.DEAD_LETTER ? ", malformed lines to dead letters" : "");
  }
}
