package io.sluice.sql;

import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * A statement Sluice cannot run: a syntax error, an unknown table or column, a type that does not
 * fit, a query whose result a sink cannot take. The message starts with the line and column in
 * the script ({@code line 3, column 13: ...}) when there is one.
 */
public final class SqlException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final int line;
  private final int column;

  public SqlException(int line, int column, String message) {
    super(line > 0 ? "line " + line + ", column " + column + ": " + message : message);
    this.line = line;
    this.column = column;
  }

  /** At the start of {@code node}. */
  static SqlException at(SqlNode node, String message) {
    SqlParserPos p = node == null ? SqlParserPos.ZERO : node.getParserPosition();
    return new SqlException(p.getLineNum(), p.getColumnNum(), message);
  }

  /** The line in the script (1-based), or 0 if unknown. */
  public int line() {
    return line;
  }

  /** The column in the line (1-based), or 0 if unknown. */
  public int column() {
    return column;
  }
}
