package io.sluice.sql;

import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;


import java.util.regex.Pattern;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlCharStringLiteral;
import org.apache.calcite.sql.SqlDataTypeSpec;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlNumericLiteral;
import org.apache.calcite.sql.fun.SqlCase;
import org.apache.calcite.util.NlsString;

/**
 * Compiles SQL expressions (as Flink's parser gives them) over the columns of a schema into
 * {@link Expr}s, with Flink's typing where Sluice has the types: numbers widen INT, BIGINT, DECIMAL,
 * DOUBLE; integer division is integer; NULL propagates through operators and functions, and AND,
 * OR and NOT follow SQL's three-valued logic.
 */
final class Exprs {
  private static final MathContext DIVISION = MathContext.DECIMAL64;

  private Exprs() {}

  /** A column reference: its value in the row. */
  record Column(int index, DataType type, String name) implements Expr {
    @Override
    public Object eval(Row row) {
      return row.get(index);
    }
  }

  record Literal(DataType type, Object value) implements Expr {
    @Override
    public Object eval(Row row) {
      return value;
    }
  }

  /** An expression with a function of its arguments' values, null if any argument is null. */
  private record Strict(DataType type, List<Expr> args, java.util.function.Function<Object[], Object> fn)
      implements Expr {
    @Override
    public Object eval(Row row) {
      Object[] v = new Object[args.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = args.get(i).eval(row);
        if (v[i] == null) {
          return null;
        }
      }
      return fn.apply(v);
    }
  }

  private record Lazy(DataType type, java.util.function.Function<Row, Object> fn) implements Expr {
    @Override
    public Object eval(Row row) {
      return fn.apply(row);
    }
  }

  static Expr compile(SqlNode node, Schema schema) {
    if (node instanceof SqlIdentifier id) {
      return column(id, schema);
    }
    if (node instanceof SqlLiteral lit) {
      return literal(lit);
    }
    if (node instanceof SqlCase c) {
      return caseOf(c, schema);
    }
    if (node instanceof SqlBasicCall call) {
      return call(call, schema);
    }
    throw SqlException.at(node, "unsupported expression: " + safe(node));
  }

  static Column column(SqlIdentifier id, Schema schema) {
    if (id.isStar()) {
      throw SqlException.at(id, "* is only allowed alone in a select list");
    }
    String name = id.names.get(id.names.size() - 1);
    int i = schema.indexOf(name);
    if (i < 0) {
      throw SqlException.at(id, "Column '" + name + "' not found in any table; the columns are " + schema.names());
    }
    return new Column(i, schema.column(i).type(), name);
  }

  private static Expr literal(SqlLiteral lit) {
    switch (lit.getTypeName()) {
      case NULL:
        return new Literal(DataType.STRING, null);
      case BOOLEAN:
        return new Literal(DataType.BOOLEAN, lit.booleanValue());
      case CHAR:
        return new Literal(DataType.STRING, ((NlsString) lit.getValue()).getValue());
      case DECIMAL:
      case DOUBLE:
      case INTEGER:
      case BIGINT: {
        SqlNumericLiteral n = (SqlNumericLiteral) lit;
        BigDecimal v = n.getValueAs(BigDecimal.class);
        if (lit.getTypeName() == org.apache.calcite.sql.type.SqlTypeName.DOUBLE) {
          return new Literal(DataType.DOUBLE, v.doubleValue());
        }
        if (n.isExact() && v.scale() <= 0) {
          try {
            return new Literal(DataType.INT, v.intValueExact());
          } catch (ArithmeticException e) {
            try {
              return new Literal(DataType.BIGINT, v.longValueExact());
            } catch (ArithmeticException e2) {
              return new Literal(DataType.DECIMAL, v);
            }
          }
        }
        return new Literal(DataType.DECIMAL, v);
      }
      default:
        throw SqlException.at(lit, "unsupported literal: " + lit);
    }
  }

  private static Expr caseOf(SqlCase c, Schema schema) {
    if (c.getValueOperand() != null) {
      throw SqlException.at(c, "CASE with a value (CASE x WHEN ...) is not supported: write CASE WHEN x = ... THEN");
    }
    SqlNodeList whens = c.getWhenOperands();
    SqlNodeList thens = c.getThenOperands();
    List<Expr> conds = new ArrayList<>();
    List<Expr> results = new ArrayList<>();
    for (int i = 0; i < whens.size(); i++) {
      conds.add(bool(whens.get(i), schema));
      results.add(compile(thens.get(i), schema));
    }
    Expr otherwise = c.getElseOperand() == null ? new Literal(DataType.STRING, null)
        : compile(c.getElseOperand(), schema);
    List<Expr> all = new ArrayList<>(results);
    all.add(otherwise);
    DataType t = common(c, all);
    List<Expr> rs = results.stream().map(e -> cast(e, t)).toList();
    Expr other = cast(otherwise, t);
    return new Lazy(t, row -> {
      for (int i = 0; i < conds.size(); i++) {
        if (Boolean.TRUE.equals(conds.get(i).eval(row))) {
          return rs.get(i).eval(row);
        }
      }
      return other.eval(row);
    });
  }

  /** A condition: a BOOLEAN expression. */
  static Expr bool(SqlNode node, Schema schema) {
    Expr e = compile(node, schema);
    if (e.type() != DataType.BOOLEAN && !(e instanceof Literal l && l.value() == null)) {
      throw SqlException.at(node, "a condition must be BOOLEAN, not " + e.type() + ": " + safe(node));
    }
    return e;
  }

  private static Expr call(SqlBasicCall call, Schema schema) {
    SqlKind kind = call.getKind();
    List<SqlNode> ops = call.getOperandList();
    switch (kind) {
      case AS:
        return compile(ops.get(0), schema);
      case PLUS:
      case MINUS:
      case TIMES:
      case DIVIDE:
      case MOD:
        return arithmetic(call, kind, compile(ops.get(0), schema), compile(ops.get(1), schema));
      case MINUS_PREFIX: {
        Expr a = compile(ops.get(0), schema);
        return arithmetic(call, SqlKind.MINUS, new Literal(numeric(call, a.type()), zero(a.type())), a);
      }
      case PLUS_PREFIX:
        return compile(ops.get(0), schema);
      case EQUALS:
      case NOT_EQUALS:
      case LESS_THAN:
      case LESS_THAN_OR_EQUAL:
      case GREATER_THAN:
      case GREATER_THAN_OR_EQUAL:
        return comparison(call, kind, compile(ops.get(0), schema), compile(ops.get(1), schema));
      case AND:
      case OR: {
        List<Expr> args = ops.stream().map(o -> bool(o, schema)).toList();
        boolean and = kind == SqlKind.AND;
        return new Lazy(DataType.BOOLEAN, row -> {
          boolean unknown = false;
          for (Expr a : args) {
            Object v = a.eval(row);
            if (v == null) {
              unknown = true;
            } else if ((Boolean) v != and) {
              return !and;
            }
          }
          return unknown ? null : and;
        });
      }
      case NOT: {
        Expr a = bool(ops.get(0), schema);
        return new Strict(DataType.BOOLEAN, List.of(a), v -> !(Boolean) v[0]);
      }
      case IS_NULL:
      case IS_NOT_NULL: {
        Expr a = compile(ops.get(0), schema);
        boolean isNull = kind == SqlKind.IS_NULL;
        return new Lazy(DataType.BOOLEAN, row -> (a.eval(row) == null) == isNull);
      }
      case IS_TRUE:
      case IS_FALSE:
      case IS_NOT_TRUE:
      case IS_NOT_FALSE: {
        Expr a = bool(ops.get(0), schema);
        Boolean want = kind == SqlKind.IS_TRUE || kind == SqlKind.IS_NOT_TRUE;
        boolean negate = kind == SqlKind.IS_NOT_TRUE || kind == SqlKind.IS_NOT_FALSE;
        return new Lazy(DataType.BOOLEAN, row -> want.equals(a.eval(row)) != negate);
      }
      case LIKE: {
        if (call.getOperator().getName().toUpperCase(Locale.ROOT).contains("NOT")) {
          throw SqlException.at(call, "NOT LIKE is not supported: write NOT (x LIKE ...)");
        }
        Expr a = string(call, compile(ops.get(0), schema));
        if (!(ops.get(1) instanceof SqlCharStringLiteral p)) {
          throw SqlException.at(ops.get(1), "LIKE needs a string literal as its pattern");
        }
        Pattern pattern = like(p.getValueAs(String.class));
        return new Strict(DataType.BOOLEAN, List.of(a), v -> pattern.matcher((String) v[0]).matches());
      }
      case CAST: {
        Expr a = compile(ops.get(0), schema);
        return cast(a, type((SqlDataTypeSpec) ops.get(1)));
      }
      case COALESCE:
        return coalesce(call, ops.stream().map(o -> compile(o, schema)).toList());
      case TRIM: {
        // operands: flag (BOTH, LEADING, TRAILING), characters, string
        String flag = ((SqlLiteral) ops.get(0)).getValue().toString();
        Expr chars = string(call, compile(ops.get(1), schema));
        Expr s = string(call, compile(ops.get(2), schema));
        return new Strict(DataType.STRING, List.of(chars, s), v -> trim((String) v[1], (String) v[0], flag));
      }
      case OTHER:
        if (call.getOperator().getName().equals("||")) {
          List<Expr> args = ops.stream().map(o -> string(call, compile(o, schema))).toList();
          return new Strict(DataType.STRING, args, v -> (String) v[0] + v[1]);
        }
        break;
      case OTHER_FUNCTION:
        return function(call, schema);
      default:
        break;
    }
    throw SqlException.at(call, "unsupported operator " + call.getOperator().getName() + ": " + safe(call));
  }

  private static Expr function(SqlBasicCall call, Schema schema) {
    String name = call.getOperator().getName().toUpperCase(Locale.ROOT);
    List<Expr> args = call.getOperandList().stream().map(o -> compile(o, schema)).toList();
    switch (name) {
      case "UPPER":
      case "LOWER": {
        arity(call, args, 1);
        boolean upper = name.equals("UPPER");
        return new Strict(DataType.STRING, List.of(string(call, args.get(0))),
            v -> upper ? ((String) v[0]).toUpperCase(Locale.ROOT) : ((String) v[0]).toLowerCase(Locale.ROOT));
      }
      case "CHAR_LENGTH":
      case "CHARACTER_LENGTH":
        arity(call, args, 1);
        return new Strict(DataType.INT, List.of(string(call, args.get(0))),
            v -> ((String) v[0]).codePointCount(0, ((String) v[0]).length()));
      case "CONCAT":
        return new Strict(DataType.STRING, args.stream().map(a -> string(call, a)).toList(), v -> {
          StringBuilder sb = new StringBuilder();
          for (Object o : v) {
            sb.append((String) o);
          }
          return sb.toString();
        });
      case "SUBSTRING": {
        if (args.size() < 2 || args.size() > 3) {
          throw SqlException.at(call, "SUBSTRING takes a string, a start and an optional length");
        }
        List<Expr> a = new ArrayList<>();
        a.add(string(call, args.get(0)));
        for (int i = 1; i < args.size(); i++) {
          a.add(cast(integer(call, args.get(i)), DataType.BIGINT));
        }
        return new Strict(DataType.STRING, a, v -> substring((String) v[0], (Long) v[1],
            v.length > 2 ? (Long) v[2] : Long.MAX_VALUE));
      }
      case "ABS": {
        arity(call, args, 1);
        Expr a = args.get(0);
        DataType t = numeric(call, a.type());
        return new Strict(t, List.of(a), v -> abs(t, v[0]));
      }
      case "MOD":
        arity(call, args, 2);
        return arithmetic(call, SqlKind.MOD, args.get(0), args.get(1));
      case "COALESCE":
        return coalesce(call, args);
      default:
        throw SqlException.at(call, "No match found for function signature " + name + "(...); the functions are"
            + " UPPER, LOWER, TRIM, CHAR_LENGTH, SUBSTRING, CONCAT, ABS, MOD, COALESCE and CAST");
    }
  }

  private static void arity(SqlCall call, List<Expr> args, int n) {
    if (args.size() != n) {
      throw SqlException.at(call, call.getOperator().getName() + " takes " + n + " argument(s), not " + args.size());
    }
  }

  private static Expr coalesce(SqlCall call, List<Expr> args) {
    DataType t = common(call, args);
    List<Expr> cast = args.stream().map(a -> cast(a, t)).toList();
    return new Lazy(t, row -> {
      for (Expr a : cast) {
        Object v = a.eval(row);
        if (v != null) {
          return v;
        }
      }
      return null;
    });
  }

  private static Expr string(SqlNode at, Expr e) {
    if (e.type() != DataType.STRING) {
      throw SqlException.at(at, "expected a STRING argument, not " + e.type() + ": " + safe(at));
    }
    return e;
  }

  private static Expr integer(SqlNode at, Expr e) {
    if (e.type() != DataType.INT && e.type() != DataType.BIGINT) {
      throw SqlException.at(at, "expected an integer argument, not " + e.type() + ": " + safe(at));
    }
    return e;
  }

  private static int rank(DataType t) {
    switch (t) {
      case INT:
        return 0;
      case BIGINT:
        return 1;
      case DECIMAL:
        return 2;
      case DOUBLE:
        return 3;
      default:
        return -1;
    }
  }

  private static DataType numeric(SqlNode at, DataType t) {
    if (rank(t) < 0) {
      throw SqlException.at(at, "expected a number, not " + t + ": " + safe(at));
    }
    return t;
  }

  private static Object zero(DataType t) {
    switch (t) {
      case INT:
        return 0;
      case BIGINT:
        return 0L;
      case DECIMAL:
        return BigDecimal.ZERO;
      default:
        return 0.0;
    }
  }

  /** The type all of {@code exprs} fit: equal types, or the widest number; a NULL literal fits any. */
  static DataType common(SqlNode at, List<Expr> exprs) {
    DataType t = null;
    for (Expr e : exprs) {
      if (e instanceof Literal l && l.value() == null) {
        continue;
      }
      if (t == null || t == e.type()) {
        t = e.type();
      } else if (rank(t) >= 0 && rank(e.type()) >= 0) {
        t = rank(t) >= rank(e.type()) ? t : e.type();
      } else {
        throw SqlException.at(at, "Cannot apply to arguments of type " + t + " and " + e.type() + ": " + safe(at));
      }
    }
    return t == null ? DataType.STRING : t;
  }

  private static Expr arithmetic(SqlNode at, SqlKind kind, Expr a, Expr b) {
    DataType t = common(at, List.of(a, b));
    numeric(at, t);
    Expr x = cast(a, t);
    Expr y = cast(b, t);
    return new Strict(t, List.of(x, y), v -> compute(at, kind, t, v[0], v[1]));
  }

  private static Object compute(SqlNode at, SqlKind kind, DataType t, Object a, Object b) {
    switch (t) {
      case INT: {
        int x = (Integer) a;
        int y = (Integer) b;
        switch (kind) {
          case PLUS: return x + y;
          case MINUS: return x - y;
          case TIMES: return x * y;
          case DIVIDE: return x / y;
          default: return x % y;
        }
      }
      case BIGINT: {
        long x = (Long) a;
        long y = (Long) b;
        switch (kind) {
          case PLUS: return x + y;
          case MINUS: return x - y;
          case TIMES: return x * y;
          case DIVIDE: return x / y;
          default: return x % y;
        }
      }
      case DECIMAL: {
        BigDecimal x = (BigDecimal) a;
        BigDecimal y = (BigDecimal) b;
        switch (kind) {
          case PLUS: return x.add(y);
          case MINUS: return x.subtract(y);
          case TIMES: return x.multiply(y);
          case DIVIDE: return x.divide(y, DIVISION);
          default: return x.remainder(y);
        }
      }
      default: {
        double x = (Double) a;
        double y = (Double) b;
        switch (kind) {
          case PLUS: return x + y;
          case MINUS: return x - y;
          case TIMES: return x * y;
          case DIVIDE: return x / y;
          default: return x % y;
        }
      }
    }
  }

  private static Object abs(DataType t, Object v) {
    switch (t) {
      case INT: return Math.abs((Integer) v);
      case BIGINT: return Math.abs((Long) v);
      case DECIMAL: return ((BigDecimal) v).abs();
      default: return Math.abs((Double) v);
    }
  }

  private static Expr comparison(SqlNode at, SqlKind kind, Expr a, Expr b) {
    DataType t = common(at, List.of(a, b));
    Expr x = cast(a, t);
    Expr y = cast(b, t);
    return new Strict(DataType.BOOLEAN, List.of(x, y), v -> {
      int c = compare(v[0], v[1]);
      switch (kind) {
        case EQUALS: return c == 0;
        case NOT_EQUALS: return c != 0;
        case LESS_THAN: return c < 0;
        case LESS_THAN_OR_EQUAL: return c <= 0;
        case GREATER_THAN: return c > 0;
        default: return c >= 0;
      }
    });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static int compare(Object a, Object b) {
    return ((Comparable) a).compareTo(b);
  }

  /** {@code e} as type {@code t}: numbers widen or narrow, anything becomes text and text is parsed. */
  static Expr cast(Expr e, DataType t) {
    if (e.type() == t) {
      return e;
    }
    if (e instanceof Literal l && l.value() == null) {
      return new Literal(t, null);
    }
    DataType from = e.type();
    return new Strict(t, List.of(e), v -> convert(v[0], from, t));
  }

  static Object convert(Object v, DataType from, DataType to) {
    if (from == to) {
      return v;
    }
    if (to == DataType.STRING) {
      return from.format(v);
    }
    if (from == DataType.STRING) {
      return to.parse((String) v);
    }
    if (rank(from) >= 0 && rank(to) >= 0) {
      BigDecimal d = from == DataType.DOUBLE ? BigDecimal.valueOf((Double) v)
          : from == DataType.DECIMAL ? (BigDecimal) v : BigDecimal.valueOf(((Number) v).longValue());
      switch (to) {
        case INT: return d.intValue();
        case BIGINT: return d.longValue();
        case DECIMAL: return d;
        default: return ((Number) v).doubleValue();
      }
    }
    if (from == DataType.TIMESTAMP && to == DataType.DATE) {
      return ((LocalDateTime) v).toLocalDate();
    }
    if (from == DataType.DATE && to == DataType.TIMESTAMP) {
      return ((LocalDate) v).atStartOfDay();
    }
    if (from == DataType.BOOLEAN && rank(to) >= 0) {
      return convert((Boolean) v ? 1 : 0, DataType.INT, to);
    }
    throw new IllegalArgumentException("Cannot cast " + from + " to " + to + ": " + v);
  }

  /** The column type named by {@code spec}. */
  static DataType type(SqlDataTypeSpec spec) {
    String name = spec.getTypeNameSpec().getTypeName().getSimple().toUpperCase(Locale.ROOT);
    switch (name) {
      case "VARCHAR":
      case "CHAR":
      case "STRING":
        return DataType.STRING;
      case "TINYINT":
      case "SMALLINT":
      case "INTEGER":
      case "INT":
        return DataType.INT;
      case "BIGINT":
        return DataType.BIGINT;
      case "FLOAT":
      case "REAL":
      case "DOUBLE":
        return DataType.DOUBLE;
      case "DECIMAL":
      case "DEC":
      case "NUMERIC":
        return DataType.DECIMAL;
      case "BOOLEAN":
        return DataType.BOOLEAN;
      case "DATE":
        return DataType.DATE;
      case "TIMESTAMP":
        return DataType.TIMESTAMP;
      default:
        throw SqlException.at(spec, "unsupported type " + name + "; the types are STRING (VARCHAR, CHAR), INT"
            + " (TINYINT, SMALLINT, INTEGER), BIGINT, DOUBLE (FLOAT), DECIMAL, BOOLEAN, DATE and TIMESTAMP");
    }
  }

  private static Pattern like(String p) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '%') {
        sb.append(".*");
      } else if (c == '_') {
        sb.append('.');
      } else {
        sb.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(sb.toString(), Pattern.DOTALL);
  }

  private static String trim(String s, String chars, String flag) {
    int start = 0;
    int end = s.length();
    boolean leading = !flag.equals("TRAILING");
    boolean trailing = !flag.equals("LEADING");
    while (leading && start < end && chars.indexOf(s.charAt(start)) >= 0) {
      start++;
    }
    while (trailing && end > start && chars.indexOf(s.charAt(end - 1)) >= 0) {
      end--;
    }
    return s.substring(start, end);
  }

  private static String substring(String s, long start, long length) {
    // SQL: 1-based; a start before 1 eats into the length
    long from = start - 1;
    long to = length == Long.MAX_VALUE ? Long.MAX_VALUE : from + length;
    if (length < 0) {
      throw new IllegalArgumentException("SUBSTRING length must not be negative: " + length);
    }
    int cps = s.codePointCount(0, s.length());
    int a = (int) Math.max(0, Math.min(cps, from));
    int b = (int) Math.max(0, Math.min(cps, to));
    if (b <= a) {
      return "";
    }
    return s.substring(s.offsetByCodePoints(0, a), s.offsetByCodePoints(0, b));
  }

  /** The SQL text of {@code node}, for messages (never fails). */
  static String safe(SqlNode node) {
    try {
      return node.toString().replace('\n', ' ');
    } catch (RuntimeException e) {
      return node.getKind().toString();
    }
  }

}
