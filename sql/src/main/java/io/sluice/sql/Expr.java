package io.sluice.sql;

import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;

/** A compiled scalar expression over the rows of one schema: its type and how to evaluate it. */
interface Expr {
  /** The type of its values (a NULL literal is a STRING). */
  DataType type();

  /** Its value for {@code row}, or null (SQL's NULL and UNKNOWN). */
  Object eval(Row row);
}
