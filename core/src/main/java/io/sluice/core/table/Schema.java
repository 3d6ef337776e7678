package io.sluice.core.table;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The columns of a table, in order, with unique names (case-sensitive). Immutable.
 *
 * <pre>{@code
 * Schema orders = Schema.builder()
 *     .column("user", DataType.STRING)
 *     .column("amount", DataType.DECIMAL)
 *     .column("ts", DataType.TIMESTAMP)
 *     .build();
 * }</pre>
 */
public final class Schema {
  private final List<Column> columns;
  private final Map<String, Integer> index;

  private Schema(List<Column> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("a schema needs at least one column");
    }
    this.columns = List.copyOf(columns);
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < this.columns.size(); i++) {
      if (idx.put(this.columns.get(i).name(), i) != null) {
        throw new IllegalArgumentException("column '" + this.columns.get(i).name() + "' is defined twice");
      }
    }
    this.index = Map.copyOf(idx);
  }

  /** A schema of the given columns, in order. */
  public static Schema of(Column... columns) {
    return new Schema(List.of(columns));
  }

  /** A schema of the given columns, in order. */
  public static Schema of(List<Column> columns) {
    return new Schema(columns);
  }

  /** Starts a schema. */
  public static Builder builder() {
    return new Builder();
  }

  /** The columns, in order. */
  public List<Column> columns() {
    return columns;
  }

  /** How many columns there are. */
  public int size() {
    return columns.size();
  }

  /** The column at {@code i}. */
  public Column column(int i) {
    return columns.get(i);
  }

  /** The position of the column named {@code name}, or -1. */
  public int indexOf(String name) {
    Integer i = index.get(name);
    return i == null ? -1 : i;
  }

  /**
   * The position of the column named {@code name}.
   *
   * @throws IllegalArgumentException naming the columns there are, if there is no such column
   */
  public int require(String name) {
    int i = indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no column '" + name + "' in (" + this + ")");
    }
    return i;
  }

  /** The column names, in order. */
  public List<String> names() {
    return columns.stream().map(Column::name).toList();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schema s && s.columns.equals(columns);
  }

  @Override
  public int hashCode() {
    return columns.hashCode();
  }

  /** {@code name TYPE, name TYPE, ...}. */
  @Override
  public String toString() {
    return columns.stream().map(Column::toString).collect(Collectors.joining(", "));
  }

  /** Adds columns in order. */
  public static final class Builder {
    private final List<Column> columns = new ArrayList<>();

    private Builder() {}

    /** Adds a column. */
    public Builder column(String name, DataType type) {
      columns.add(new Column(name, type));
      return this;
    }

    /** The schema; fails if a name is used twice or there are no columns. */
    public Schema build() {
      return new Schema(columns);
    }
  }
}
