package io.sluice.core.internal.codec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.Codec;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * INTERNAL API: the encoding of a {@link Row} (logical name {@code sluice.Row}).
 *
 * <pre>
 *   version:u8 (= 1); varint n; per column: its name (string) and its type (one byte, {@link #code});
 *   a null bitmap of (n + 7) / 8 bytes (bit i of byte i / 8: column i is null);
 *   per non-null value: STRING string; INT, BIGINT zig-zag varint; DOUBLE 8 bytes;
 *   DECIMAL scale (zig-zag varint) and the unscaled value's two's-complement bytes (length, bytes);
 *   BOOLEAN one byte; DATE epoch day (zig-zag varint); TIMESTAMP epoch second in UTC (zig-zag varint)
 *   and nanosecond (varint)
 * </pre>
 *
 * The schema travels with each row, so a row reads back on its own (in a batch, in state). Decoded
 * schemas are shared through a small cache, so a batch of rows holds its schema once.
 */
public final class RowCodec implements Codec<Row> {
  /** The format version, the first byte of every row: a format change is a new version. */
  public static final int VERSION = 1;
  private static final int CACHE_LIMIT = 1024;
  private static final ConcurrentHashMap<List<Column>, Schema> SCHEMAS = new ConcurrentHashMap<>();

  /** The type's byte in persisted rows: fixed for good, unlike an enum's ordinal. */
  static int code(DataType t) {
    switch (t) {
      case STRING: return 1;
      case INT: return 2;
      case BIGINT: return 3;
      case DOUBLE: return 4;
      case DECIMAL: return 5;
      case BOOLEAN: return 6;
      case DATE: return 7;
      case TIMESTAMP: return 8;
      default: throw new AssertionError(t);
    }
  }

  private static DataType type(int code) {
    switch (code) {
      case 1: return DataType.STRING;
      case 2: return DataType.INT;
      case 3: return DataType.BIGINT;
      case 4: return DataType.DOUBLE;
      case 5: return DataType.DECIMAL;
      case 6: return DataType.BOOLEAN;
      case 7: return DataType.DATE;
      case 8: return DataType.TIMESTAMP;
      default: throw new CorruptDataException("sluice.Row: unknown column type " + code);
    }
  }

  @Override
  public void write(ByteWriter out, Row row) {
    Schema s = row.schema();
    int n = s.size();
    out.writeByte(VERSION).writeVarInt(n);
    for (Column c : s.columns()) {
      out.writeString(c.name());
      out.writeByte(code(c.type()));
    }
    for (int b = 0; b < (n + 7) / 8; b++) {
      int bits = 0;
      for (int i = b * 8; i < Math.min(n, b * 8 + 8); i++) {
        if (row.get(i) == null) {
          bits |= 1 << (i - b * 8);
        }
      }
      out.writeByte(bits);
    }
    for (int i = 0; i < n; i++) {
      Object v = row.get(i);
      if (v != null) {
        writeValue(out, s.column(i).type(), v);
      }
    }
  }

  private static void writeValue(ByteWriter out, DataType t, Object v) {
    switch (t) {
      case STRING:
        out.writeString((String) v);
        break;
      case INT:
        out.writeVarLongSigned((Integer) v);
        break;
      case BIGINT:
        out.writeVarLongSigned((Long) v);
        break;
      case DOUBLE:
        out.writeDouble((Double) v);
        break;
      case DECIMAL: {
        BigDecimal d = (BigDecimal) v;
        out.writeVarLongSigned(d.scale());
        out.writeByteArray(d.unscaledValue().toByteArray());
        break;
      }
      case BOOLEAN:
        out.writeBoolean((Boolean) v);
        break;
      case DATE:
        out.writeVarLongSigned(((LocalDate) v).toEpochDay());
        break;
      case TIMESTAMP: {
        LocalDateTime ts = (LocalDateTime) v;
        out.writeVarLongSigned(ts.toEpochSecond(ZoneOffset.UTC));
        out.writeVarInt(ts.getNano());
        break;
      }
      default:
        throw new AssertionError(t);
    }
  }

  @Override
  public Row read(ByteReader in) {
    int version = in.readUnsignedByte();
    if (version != VERSION) {
      throw new CorruptDataException("sluice.Row format version " + version + " is not supported (expected "
          + VERSION + ")");
    }
    int n = in.readCount();
    Column[] cols = new Column[n];
    for (int i = 0; i < n; i++) {
      String name = in.readString();
      cols[i] = new Column(name, type(in.readUnsignedByte()));
    }
    Schema schema = schema(Arrays.asList(cols));
    byte[] nulls = in.readRaw((n + 7) / 8);
    Object[] values = new Object[n];
    for (int i = 0; i < n; i++) {
      if ((nulls[i / 8] & (1 << (i % 8))) == 0) {
        values[i] = readValue(in, cols[i].type());
      }
    }
    return Row.of(schema, values);
  }

  private static Schema schema(List<Column> cols) {
    Schema s = SCHEMAS.get(cols);
    if (s == null) {
      s = Schema.of(cols);
      if (SCHEMAS.size() >= CACHE_LIMIT) {
        SCHEMAS.clear();
      }
      SCHEMAS.put(List.copyOf(cols), s);
    }
    return s;
  }

  private static Object readValue(ByteReader in, DataType t) {
    switch (t) {
      case STRING:
        return in.readString();
      case INT:
        return Math.toIntExact(in.readVarLongSigned());
      case BIGINT:
        return in.readVarLongSigned();
      case DOUBLE:
        return in.readDouble();
      case DECIMAL: {
        int scale = Math.toIntExact(in.readVarLongSigned());
        return new BigDecimal(new BigInteger(in.readByteArray()), scale);
      }
      case BOOLEAN:
        return in.readBoolean();
      case DATE:
        return LocalDate.ofEpochDay(in.readVarLongSigned());
      case TIMESTAMP: {
        long sec = in.readVarLongSigned();
        int nano = in.readVarInt();
        return LocalDateTime.ofEpochSecond(sec, nano, ZoneOffset.UTC);
      }
      default:
        throw new AssertionError(t);
    }
  }
}
