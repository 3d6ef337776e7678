package io.sluice.core.table;

import java.util.Objects;

/**
 * A named, typed column.
 *
 * @param name the column's name: not blank
 * @param type its type
 */
public record Column(String name, DataType type) {
  public Column {
    Objects.requireNonNull(name, "column name");
    Objects.requireNonNull(type, "column type");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a column name must not be blank");
    }
  }

  @Override
  public String toString() {
    return name + " " + type;
  }
}
