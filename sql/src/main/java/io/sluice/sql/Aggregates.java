package io.sluice.sql;

import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.KV;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;

/**
 * SQL's aggregate functions over the rows of a group (COUNT(*), COUNT(x), COUNT(DISTINCT x), SUM,
 * MIN, MAX, AVG) as one {@link AggregateFunction} whose accumulator is a {@link Row} of slots and a
 * set of value texts per COUNT(DISTINCT) (so it is stored without Java class names; a set grows
 * with the distinct values of its group, as Flink's state does). Result types follow Flink: COUNT is BIGINT, SUM, MIN, MAX and AVG have their
 * argument's type (AVG of integers is an integer); they are null for a group without values.
 */
final class Aggregates {
  private Aggregates() {}

  enum Kind { COUNT_STAR, COUNT, COUNT_DISTINCT, SUM, MIN, MAX, AVG }

  /**
   * One aggregate call: its kind, argument (null for COUNT(*)), result type, first slot in the
   * accumulator's row, and (COUNT(DISTINCT)) the index of its set of values in the accumulator.
   */
  record Call(Kind kind, Expr arg, DataType type, int slot, int set) {
    Call(Kind kind, Expr arg, DataType type, int slot) {
      this(kind, arg, type, slot, -1);
    }
  }

  static boolean isAggregate(SqlNode node) {
    if (!(node instanceof SqlBasicCall c)) {
      return false;
    }
    switch (c.getOperator().getName().toUpperCase(Locale.ROOT)) {
      case "COUNT":
      case "SUM":
      case "MIN":
      case "MAX":
      case "AVG":
        return true;
      default:
        return false;
    }
  }

  /**
   * Compiles aggregate call {@code node} over {@code input}, its accumulator slots starting at
   * {@code slot}; a COUNT(DISTINCT) gets set {@code set} of the accumulator.
   */
  static Call compile(SqlBasicCall node, Schema input, int slot, int set) {
    String name = node.getOperator().getName().toUpperCase(Locale.ROOT);
    List<SqlNode> ops = node.getOperandList();
    if (node.getFunctionQuantifier() != null
        && "DISTINCT".equalsIgnoreCase(String.valueOf(node.getFunctionQuantifier().getValue()))) {
      if (!name.equals("COUNT") || ops.size() != 1) {
        throw SqlException.at(node, name + "(DISTINCT ...) is not supported; COUNT(DISTINCT x) is");
      }
      return new Call(Kind.COUNT_DISTINCT, Exprs.compile(ops.get(0), input), DataType.BIGINT, slot, set);
    }
    if (name.equals("COUNT") && ops.size() == 1 && ops.get(0) instanceof SqlIdentifier id && id.isStar()) {
      return new Call(Kind.COUNT_STAR, null, DataType.BIGINT, slot);
    }
    if (ops.size() != 1) {
      throw SqlException.at(node, name + " takes one argument");
    }
    Expr arg = Exprs.compile(ops.get(0), input);
    Kind kind = Kind.valueOf(name);
    switch (kind) {
      case COUNT:
        return new Call(kind, arg, DataType.BIGINT, slot);
      case SUM:
      case AVG:
        if (arg.type() != DataType.INT && arg.type() != DataType.BIGINT && arg.type() != DataType.DECIMAL
            && arg.type() != DataType.DOUBLE) {
          throw SqlException.at(node, name + " needs a number, not " + arg.type() + ": " + Exprs.safe(node));
        }
        return new Call(kind, arg, arg.type(), slot);
      default:
        if (arg.type() == DataType.BOOLEAN) {
          throw SqlException.at(node, name + " of a BOOLEAN is not supported");
        }
        return new Call(kind, arg, arg.type(), slot);
    }
  }

  /** The accumulator's columns for {@code calls}, in slot order. */
  static Schema accumulator(List<Call> calls) {
    List<Column> cols = new ArrayList<>();
    for (Call c : calls) {
      switch (c.kind()) {
        case COUNT_DISTINCT:
          break;
        case COUNT_STAR:
        case COUNT:
          cols.add(new Column("a" + cols.size(), DataType.BIGINT));
          break;
        case AVG:
          cols.add(new Column("a" + cols.size(), c.type() == DataType.DOUBLE ? DataType.DOUBLE : DataType.DECIMAL));
          cols.add(new Column("a" + cols.size(), DataType.BIGINT));
          break;
        default:
          cols.add(new Column("a" + cols.size(), c.type()));
          break;
      }
    }
    if (cols.isEmpty()) {
      cols.add(new Column("unused", DataType.BOOLEAN)); // only COUNT(DISTINCT): its sets hold everything
    }
    return Schema.of(cols);
  }

  /** The number of accumulator slots {@code c} takes. */
  static int slots(Call c) {
    return c.kind() == Kind.AVG ? 2 : c.kind() == Kind.COUNT_DISTINCT ? 0 : 1;
  }

  /** The number of sets of distinct values {@code c} takes. */
  static int sets(Call c) {
    return c.kind() == Kind.COUNT_DISTINCT ? 1 : 0;
  }

  /** A value as the text a set of distinct values holds: numbers that are equal have the same text. */
  private static String distinct(DataType t, Object v) {
    if (t == DataType.DECIMAL) {
      BigDecimal d = ((BigDecimal) v).stripTrailingZeros();
      return d.signum() == 0 ? "0" : d.toPlainString();
    }
    return t.format(v);
  }

  /**
   * One function for all of {@code calls}: the result is the accumulator, the row of scalar slots
   * with the list of sets of value texts, one per COUNT(DISTINCT) (so it is stored without Java
   * class names); {@link #result} reads each call's value. The accumulator is a {@link KV}, not a
   * list: the window state writes a list accumulator as appended elements, which this is not.
   */
  static AggregateFunction<Row, KV<Row, List<Object>>, KV<Row, List<Object>>> function(List<Call> calls) {
    Schema acc = accumulator(calls);
    int sets = calls.stream().mapToInt(Aggregates::sets).sum();
    return new AggregateFunction<>() {
      @Override
      public KV<Row, List<Object>> createAccumulator() {
        Object[] v = new Object[acc.size()];
        for (Call c : calls) {
          if (c.kind() == Kind.COUNT || c.kind() == Kind.COUNT_STAR) {
            v[c.slot()] = 0L;
          } else if (c.kind() == Kind.AVG) {
            v[c.slot() + 1] = 0L;
          }
        }
        List<Object> out = new ArrayList<>(sets);
        for (int i = 0; i < sets; i++) {
          out.add(new LinkedHashSet<String>());
        }
        return KV.of(Row.of(acc, v), out);
      }

      @Override
      @SuppressWarnings("unchecked")
      public KV<Row, List<Object>> add(KV<Row, List<Object>> all, Row r) {
        Row a = all.key();
        Object[] v = a.values();
        for (Call c : calls) {
          int s = c.slot();
          if (c.kind() == Kind.COUNT_DISTINCT) {
            Object x = c.arg().eval(r);
            if (x != null) {
              ((Set<String>) all.value().get(c.set())).add(distinct(c.arg().type(), x));
            }
            continue;
          }
          if (c.kind() == Kind.COUNT_STAR) {
            v[s] = (Long) v[s] + 1;
            continue;
          }
          Object x = c.arg().eval(r);
          if (x == null) {
            continue;
          }
          switch (c.kind()) {
            case COUNT:
              v[s] = (Long) v[s] + 1;
              break;
            case SUM:
              v[s] = v[s] == null ? x : plus(c.type(), v[s], x);
              break;
            case MIN:
              v[s] = v[s] == null || Exprs.compare(x, v[s]) < 0 ? x : v[s];
              break;
            case MAX:
              v[s] = v[s] == null || Exprs.compare(x, v[s]) > 0 ? x : v[s];
              break;
            default: { // AVG
              Object w = c.type() == DataType.DOUBLE ? x : Exprs.convert(x, c.type(), DataType.DECIMAL);
              DataType st = c.type() == DataType.DOUBLE ? DataType.DOUBLE : DataType.DECIMAL;
              v[s] = v[s] == null ? w : plus(st, v[s], w);
              v[s + 1] = (Long) v[s + 1] + 1;
              break;
            }
          }
        }
        return KV.of(Row.of(acc, v), all.value());
      }

      @Override
      @SuppressWarnings("unchecked")
      public KV<Row, List<Object>> merge(KV<Row, List<Object>> allA, KV<Row, List<Object>> allB) {
        Row a = allA.key();
        Row b = allB.key();
        Object[] v = a.values();
        for (Call c : calls) {
          int s = c.slot();
          if (c.kind() == Kind.COUNT_DISTINCT) {
            ((Set<String>) allA.value().get(c.set())).addAll((Set<String>) allB.value().get(c.set()));
            continue;
          }
          Object y = b.get(s);
          switch (c.kind()) {
            case COUNT_STAR:
            case COUNT:
              v[s] = (Long) v[s] + (Long) y;
              break;
            case SUM:
              v[s] = v[s] == null ? y : y == null ? v[s] : plus(c.type(), v[s], y);
              break;
            case MIN:
              v[s] = v[s] == null ? y : y == null || Exprs.compare(v[s], y) <= 0 ? v[s] : y;
              break;
            case MAX:
              v[s] = v[s] == null ? y : y == null || Exprs.compare(v[s], y) >= 0 ? v[s] : y;
              break;
            default: {
              DataType st = c.type() == DataType.DOUBLE ? DataType.DOUBLE : DataType.DECIMAL;
              v[s] = v[s] == null ? y : y == null ? v[s] : plus(st, v[s], y);
              v[s + 1] = (Long) v[s + 1] + (Long) b.get(s + 1);
              break;
            }
          }
        }
        return KV.of(Row.of(acc, v), allA.value());
      }

      @Override
      public KV<Row, List<Object>> result(KV<Row, List<Object>> a) {
        return a;
      }
    };
  }

  /** The value of {@code c} in accumulator {@code all} (see {@link #function}). */
  static Object result(Call c, KV<Row, List<Object>> all) {
    if (c.kind() == Kind.COUNT_DISTINCT) {
      return (long) ((Set<?>) all.value().get(c.set())).size();
    }
    Row acc = all.key();
    Object v = acc.get(c.slot());
    if (c.kind() != Kind.AVG) {
      return v;
    }
    long n = (Long) acc.get(c.slot() + 1);
    if (v == null || n == 0) {
      return null;
    }
    switch (c.type()) {
      case DOUBLE:
        return (Double) v / n;
      case DECIMAL: {
        BigDecimal sum = (BigDecimal) v;
        return sum.divide(BigDecimal.valueOf(n), Math.max(6, sum.scale()), RoundingMode.HALF_UP);
      }
      default:
        return Exprs.convert(((BigDecimal) v).divide(BigDecimal.valueOf(n), 0, RoundingMode.DOWN), DataType.DECIMAL,
            c.type());
    }
  }

  private static Object plus(DataType t, Object a, Object b) {
    switch (t) {
      case INT:
        return (Integer) a + (Integer) b;
      case BIGINT:
        return (Long) a + (Long) b;
      case DECIMAL:
        return ((BigDecimal) a).add((BigDecimal) b);
      default:
        return (Double) a + (Double) b;
    }
  }
}
