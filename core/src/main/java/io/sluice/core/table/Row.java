package io.sluice.core.table;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Objects;

/**
 * One row of a table: a value (or null) per column of its {@link Schema}. Immutable; values are
 * checked against the column types when the row is made.
 *
 * <p>Rows can be records of any stage: they are encoded without Java class names (their schema,
 * then their values), and two rows are equal when their schemas and values are.
 */
public final class Row {
  private final Schema schema;
  private final Object[] values;

  private Row(Schema schema, Object[] values) {
    this.schema = Objects.requireNonNull(schema, "schema");
    if (values.length != schema.size()) {
      throw new IllegalArgumentException("a row of (" + schema + ") needs " + schema.size() + " values, got "
          + values.length);
    }
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      Column c = schema.column(i);
      if (v != null && !c.type().javaClass().isInstance(v)) {
        throw new IllegalArgumentException("column '" + c.name() + "' is " + c.type() + " ("
            + c.type().javaClass().getSimpleName() + "), not " + v.getClass().getSimpleName() + ": " + v);
      }
    }
    this.values = values;
  }

  /**
   * A row of {@code schema} with {@code values} in column order (null for no value).
   *
   * @throws IllegalArgumentException if the count or a value's class does not fit the schema
   */
  public static Row of(Schema schema, Object... values) {
    return new Row(schema, values.clone());
  }

  public Schema schema() {
    return schema;
  }

  /** The value of column {@code i}, or null. */
  public Object get(int i) {
    return values[i];
  }

  /** The value of column {@code name}, or null. */
  public Object get(String name) {
    return values[schema.require(name)];
  }

  /** A STRING column's value, or null. */
  public String getString(String name) {
    return (String) typed(name, DataType.STRING);
  }

  /** An INT column's value, or null. */
  public Integer getInt(String name) {
    return (Integer) typed(name, DataType.INT);
  }

  /** A BIGINT (or INT) column's value, or null. */
  public Long getLong(String name) {
    int i = schema.require(name);
    Object v = values[i];
    if (v instanceof Integer n) {
      return n.longValue();
    }
    return (Long) typed(name, DataType.BIGINT);
  }

  /** A DOUBLE column's value, or null. */
  public Double getDouble(String name) {
    return (Double) typed(name, DataType.DOUBLE);
  }

  /** A DECIMAL column's value, or null. */
  public BigDecimal getDecimal(String name) {
    return (BigDecimal) typed(name, DataType.DECIMAL);
  }

  /** A BOOLEAN column's value, or null. */
  public Boolean getBoolean(String name) {
    return (Boolean) typed(name, DataType.BOOLEAN);
  }

  /** A DATE column's value, or null. */
  public LocalDate getDate(String name) {
    return (LocalDate) typed(name, DataType.DATE);
  }

  /** A TIMESTAMP column's value, or null. */
  public LocalDateTime getTimestamp(String name) {
    return (LocalDateTime) typed(name, DataType.TIMESTAMP);
  }

  /**
   * A TIMESTAMP column's value as milliseconds since the epoch, taking it as UTC: the event time
   * of a row (see {@code Pipeline.Builder.readFrom(...).withTimestamps}).
   *
   * @throws IllegalStateException if the value is null (a record needs a time)
   */
  public long epochMillis(String name) {
    LocalDateTime t = getTimestamp(name);
    if (t == null) {
      throw new IllegalStateException("column '" + name + "' is null: no event time");
    }
    return t.toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  private Object typed(String name, DataType type) {
    int i = schema.require(name);
    Column c = schema.column(i);
    if (c.type() != type) {
      throw new IllegalArgumentException("column '" + name + "' is " + c.type() + ", not " + type);
    }
    return values[i];
  }

  /** The values, in column order (a copy). */
  public Object[] values() {
    return values.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Row r && r.schema.equals(schema) && Arrays.equals(r.values, values);
  }

  @Override
  public int hashCode() {
    return 31 * schema.hashCode() + Arrays.hashCode(values);
  }

  /** {@code (value, value, ...)} with SQL-style text for dates, timestamps and decimals. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(values[i] == null ? "null" : schema.column(i).type().format(values[i]));
    }
    return sb.append(')').toString();
  }
}
