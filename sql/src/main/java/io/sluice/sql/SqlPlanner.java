package io.sluice.sql;

import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.SourceStage;
import io.sluice.core.dsl.Stage;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.calcite.config.Lex;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlIntervalLiteral;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.parser.SqlParserUtil;
import org.apache.flink.sql.parser.ddl.SqlSet;
import org.apache.flink.sql.parser.ddl.SqlTableColumn;
import org.apache.flink.sql.parser.ddl.SqlWatermark;
import org.apache.flink.sql.parser.ddl.table.SqlCreateTable;
import org.apache.flink.sql.parser.ddl.table.SqlDropTable;
import org.apache.flink.sql.parser.ddl.view.SqlCreateView;
import org.apache.flink.sql.parser.dml.RichSqlInsert;
import org.apache.flink.sql.parser.dql.SqlRichDescribeTable;
import org.apache.flink.sql.parser.dql.SqlRichExplain;
import org.apache.flink.sql.parser.dql.SqlShowTables;
import org.apache.flink.sql.parser.impl.FlinkSqlParserImpl;
import org.apache.flink.sql.parser.validate.FlinkSqlConformance;

/**
 * Runs a SQL script in Flink's syntax (parsed by Flink's own parser, {@code flink-sql-parser}) and
 * plans its {@code INSERT INTO} statements onto the DSL, as one pipeline, so that SQL jobs have the
 * same exactly-once delivery, failover and chaos behaviour as any other.
 *
 * <p>Statements: {@code CREATE TABLE} (columns, {@code WATERMARK FOR}, {@code WITH} options; see
 * {@link Connectors}), {@code CREATE VIEW}, {@code DROP TABLE}, {@code SET 'key' = 'value'}
 * ({@code parallelism.default}, {@code sluice.dead-letters.path}), {@code SHOW TABLES},
 * {@code DESCRIBE}, {@code EXPLAIN INSERT ...} and {@code INSERT INTO t SELECT ...} with
 * projections, expressions ({@link Exprs}), {@code WHERE}, and {@code GROUP BY window_start,
 * window_end, ...} over the window functions {@code TUMBLE}, {@code HOP} and {@code SESSION} with
 * {@code COUNT}, {@code SUM}, {@code MIN}, {@code MAX} and {@code AVG}. A {@code GROUP BY} without a
 * window updates its results, which the append-only file sink cannot take: refused, as Flink does.
 *
 * <p>Identifiers are case-sensitive; reserved words as names need back quotes (`user`). Relative
 * paths in table options are resolved against the base directory (the script's directory).
 */
public final class SqlPlanner {
  /** The name of the pipeline a script becomes. */
  public static final String PIPELINE_NAME = "sql";
  private static final String WINDOW_START = "window_start";
  private static final String WINDOW_END = "window_end";
  private static final String WINDOW_TIME = "window_time";

  private final Path baseDir;
  private final Map<String, TableDef> tables = new LinkedHashMap<>();
  private final Map<String, SqlNode> views = new LinkedHashMap<>();
  private final Map<String, String> settings = new LinkedHashMap<>();

  /** A planner whose relative paths are resolved against {@code baseDir}. */
  public SqlPlanner(Path baseDir) {
    this.baseDir = baseDir.toAbsolutePath();
  }

  /** What a script gave: the pipeline of its INSERTs (null if none) and the text of EXPLAIN, SHOW and DESCRIBE. */
  public record Result(Pipeline pipeline, List<String> output) {}

  /** Parses {@code script} into statements; a syntax error names line and column. */
  public static List<SqlNode> parse(String script) {
    SqlParser parser = SqlParser.create(script, SqlParser.config().withParserFactory(FlinkSqlParserImpl.FACTORY)
        .withLex(Lex.JAVA).withConformance(FlinkSqlConformance.DEFAULT));
    try {
      return new ArrayList<>(parser.parseStmtList());
    } catch (SqlParseException e) {
      SqlParserPos p = e.getPos();
      String m = e.getMessage();
      int cut = m.indexOf(" at line ");
      String head = cut > 0 ? m.substring(0, cut) : m.lines().findFirst().orElse(m);
      java.util.Collection<String> names = e.getExpectedTokenNames() == null ? List.of() : e.getExpectedTokenNames();
      String hint;
      if (names.contains("<IDENTIFIER>") && head.startsWith("Encountered \"")) {
        String word = head.substring(13, head.indexOf('"', 13));
        hint = "; expected a name (\"" + word + "\" is a reserved word: quote it as `" + word + "`)";
      } else {
        List<String> words = names.stream().filter(t -> t.startsWith("\"")).map(t -> t.replace("\"", ""))
            .sorted().limit(12).toList();
        hint = words.isEmpty() ? "" : "; expected one of " + String.join(", ", words)
            + (names.size() > words.size() ? ", ..." : "");
      }
      throw new SqlException(p == null ? 0 : p.getLineNum(), p == null ? 0 : p.getColumnNum(), head + hint);
    }
  }

  /** Runs every statement of {@code script} against this planner's tables. */
  public Result plan(String script) {
    List<String> output = new ArrayList<>();
    List<RichSqlInsert> inserts = new ArrayList<>();
    for (SqlNode n : parse(script)) {
      if (n instanceof SqlCreateTable t) {
        createTable(t);
      } else if (n instanceof SqlCreateView v) {
        String name = v.getName().getSimple();
        if (views.containsKey(name) || tables.containsKey(name)) {
          throw SqlException.at(v, "Table or view '" + name + "' already exists");
        }
        views.put(name, v.getQuery());
      } else if (n instanceof SqlDropTable d) {
        String[] full = d.getFullName();
        String name = full[full.length - 1];
        if (tables.remove(name) == null && !d.getIfExists()) {
          throw SqlException.at(d, "Table with identifier '" + name + "' does not exist");
        }
      } else if (n instanceof SqlSet s) {
        set(s);
      } else if (n instanceof RichSqlInsert i) {
        inserts.add(i);
      } else if (n instanceof SqlRichExplain e) {
        if (!(e.getStatement() instanceof RichSqlInsert i)) {
          throw SqlException.at(e, "EXPLAIN supports INSERT INTO ... SELECT ...");
        }
        output.add(build(List.of(i)).describe());
      } else if (n instanceof SqlShowTables) {
        output.add(tables.isEmpty() && views.isEmpty() ? "(no tables)"
            : String.join("\n", new java.util.TreeSet<>(joined(tables.keySet(), views.keySet()))));
      } else if (n instanceof SqlRichDescribeTable d) {
        String[] name = d.fullTableName();
        output.add(describe(table(name[name.length - 1], d)));
      } else {
        throw SqlException.at(n, "unsupported statement: " + n.getKind());
      }
    }
    return new Result(inserts.isEmpty() ? null : build(inserts), output);
  }

  /**
   * The columns a query ({@code SELECT ...}, one statement, no {@code INSERT}) gives, planned against
   * this planner's tables and views, which it leaves as they were: what a table must have to take
   * its rows with {@code INSERT INTO}. A query that updates its results (a {@code GROUP BY} without
   * a window) is refused, as no file sink can take it.
   */
  public Schema resultSchema(String query) {
    List<SqlNode> nodes = parse(query);
    if (nodes.size() != 1 || !nodes.get(0).isA(SqlKind.QUERY)) {
      throw SqlException.at(nodes.isEmpty() ? null : nodes.get(0), "expected one query (SELECT ... FROM ...), got "
          + (nodes.isEmpty() ? "none" : nodes.size() == 1 ? nodes.get(0).getKind() : nodes.size() + " statements"));
    }
    Planned q = query(Pipeline.builder(PIPELINE_NAME).config(config()), "q1", nodes.get(0), new int[] {0});
    if (q.updating() != null) {
      throw SqlException.at(nodes.get(0), "the query updates its results (" + q.updating() + "), which an"
          + " append-only file cannot take; group by a window (TUMBLE, HOP or SESSION) instead");
    }
    return q.schema();
  }

  private static List<String> joined(java.util.Set<String> a, java.util.Set<String> b) {
    List<String> l = new ArrayList<>(a);
    l.addAll(b);
    return l;
  }

  private void createTable(SqlCreateTable t) {
    String name = t.getName().getSimple();
    if (tables.containsKey(name) || views.containsKey(name)) {
      if (t.isIfNotExists()) {
        return;
      }
      throw SqlException.at(t, "Table or view '" + name + "' already exists");
    }
    List<Column> cols = new ArrayList<>();
    for (SqlNode c : t.getColumnList()) {
      if (!(c instanceof SqlTableColumn.SqlRegularColumn rc)) {
        throw SqlException.at(c, "computed and metadata columns are not supported: " + Exprs.safe(c));
      }
      String col = rc.getName().getSimple();
      if (cols.stream().anyMatch(x -> x.name().equals(col))) {
        throw SqlException.at(c, "A column named '" + col + "' already exists in table '" + name + "'");
      }
      cols.add(new Column(col, Exprs.type(rc.getType())));
    }
    Schema schema = Schema.of(cols);
    Map<String, String> options = new LinkedHashMap<>(t.getProperties());
    String timeColumn = null;
    long delay = 0;
    if (t.getWatermark().isPresent()) {
      SqlWatermark w = t.getWatermark().get();
      timeColumn = w.getEventTimeColumnName().getSimple();
      int i = schema.indexOf(timeColumn);
      if (i < 0 || schema.column(i).type() != DataType.TIMESTAMP) {
        throw SqlException.at(w, "The rowtime attribute field '" + timeColumn + "' is not defined in the table"
            + " schema as a TIMESTAMP column");
      }
      delay = watermarkDelay(w, timeColumn);
    }
    List<String> primaryKey = new ArrayList<>();
    for (org.apache.flink.sql.parser.ddl.constraint.SqlTableConstraint c : t.getFullConstraints()) {
      if (c.isPrimaryKey()) {
        if (c.isEnforced()) {
          throw SqlException.at(c, "Flink doesn't support ENFORCED mode for PRIMARY KEY constraint; write"
              + " PRIMARY KEY (...) NOT ENFORCED");
        }
        for (String k : c.getColumnNames()) {
          if (schema.indexOf(k) < 0) {
            throw SqlException.at(c, "the primary key column '" + k + "' is not a column of table '" + name + "'");
          }
          primaryKey.add(k);
        }
      }
    }
    TableDef def = new TableDef(name, schema, options, timeColumn, delay, primaryKey,
        t.getParserPosition().getLineNum());
    Connectors.check(def);
    tables.put(name, def);
  }

  /** {@code ts} (no delay) or {@code ts - INTERVAL 'n' unit}: how far the watermark trails the time column. */
  private static long watermarkDelay(SqlWatermark w, String timeColumn) {
    SqlNode s = w.getWatermarkStrategy();
    if (s instanceof SqlIdentifier id && id.getSimple().equals(timeColumn)) {
      return 0;
    }
    if (s instanceof SqlBasicCall c && c.getKind() == SqlKind.MINUS && c.operand(0) instanceof SqlIdentifier id
        && id.getSimple().equals(timeColumn) && c.operand(1) instanceof SqlIntervalLiteral lit) {
      long ms = SqlParserUtil.intervalToMillis((SqlIntervalLiteral.IntervalValue) lit.getValue());
      if (ms < 0) {
        throw SqlException.at(s, "a watermark must not be ahead of the time column");
      }
      return ms;
    }
    throw SqlException.at(s, "the watermark must be '" + timeColumn + "' or '" + timeColumn
        + " - INTERVAL ...': " + Exprs.safe(s));
  }

  private void set(SqlSet s) {
    if (s.getKeyString() == null) {
      throw SqlException.at(s, "SET needs a key and a value: SET 'key' = 'value'");
    }
    switch (s.getKeyString()) {
      case "parallelism.default":
        try {
          if (Integer.parseInt(s.getValueString()) < 1) {
            throw new NumberFormatException();
          }
        } catch (NumberFormatException e) {
          throw SqlException.at(s, "'parallelism.default' must be a positive number, not '" + s.getValueString() + "'");
        }
        break;
      case "sluice.dead-letters.path":
        break;
      default:
        throw SqlException.at(s, "unknown setting '" + s.getKeyString()
            + "'; the settings are 'parallelism.default' and 'sluice.dead-letters.path'");
    }
    settings.put(s.getKeyString(), s.getValueString());
  }

  private JobConfig config() {
    JobConfig c = JobConfig.defaults();
    String p = settings.get("parallelism.default");
    if (p != null) {
      c = c.withParallelism(Integer.parseInt(p));
    }
    String dead = settings.get("sluice.dead-letters.path");
    if (dead != null) {
      c = c.withDeadLetterSink(Sinks.<DeadLetter>files("dead-letters", baseDir.resolve(dead).normalize()));
    }
    return c;
  }

  private TableDef table(String name, SqlNode at) {
    TableDef t = tables.get(name);
    if (t == null) {
      throw SqlException.at(at, "Object '" + name + "' not found; the tables are " + tables.keySet());
    }
    return t;
  }

  private static String describe(TableDef t) {
    StringBuilder sb = new StringBuilder();
    for (Column c : t.schema().columns()) {
      sb.append(c.name()).append(' ').append(c.type());
      if (c.name().equals(t.timeColumn())) {
        sb.append(" *ROWTIME* (watermark ").append(Duration.ofMillis(t.watermarkDelayMillis())).append(" behind)");
      }
      sb.append('\n');
    }
    sb.append("WITH ").append(t.options().entrySet().stream().map(e -> "'" + e.getKey() + "' = '" + e.getValue() + "'")
        .collect(Collectors.joining(", ")));
    return sb.toString();
  }

  private Pipeline build(List<RichSqlInsert> inserts) {
    Pipeline.Builder b = Pipeline.builder(PIPELINE_NAME).config(config());
    for (int i = 0; i < inserts.size(); i++) {
      insert(b, "q" + (i + 1), inserts.get(i));
    }
    return b.build();
  }

  /** A planned query: its stage and the schema of its rows, or, for an updating query, what it is. */
  private record Planned(Stage<Row> stage, Schema schema, String updating, List<Integer> keyPositions) {
    Planned(Stage<Row> stage, Schema schema, String updating) {
      this(stage, schema, updating, List.of());
    }
  }

  private void insert(Pipeline.Builder b, String prefix, RichSqlInsert insert) {
    if (!(insert.getTargetTable() instanceof SqlIdentifier target)) {
      throw SqlException.at(insert, "INSERT INTO needs a table name");
    }
    TableDef sink = table(target.getSimple(), target);
    if (insert.getTargetColumnList() != null && !insert.getTargetColumnList().isEmpty()) {
      throw SqlException.at(insert.getTargetColumnList(), "INSERT INTO with a column list is not supported yet");
    }
    Planned q = query(b, prefix, insert.getSource(), new int[] {0});
    if (q.updating() != null && Connectors.appendOnly(sink)) {
      throw SqlException.at(insert.getSource(), "Table sink '" + sink.name() + "' doesn't support consuming update"
          + " changes which is produced by node " + q.updating());
    }
    if (q.updating() != null) {
      // an upsert sink: its primary key must be the query's group key, so that each group updates its own row
      List<String> groupKey = q.keyPositions().stream().map(i -> sink.schema().column(i).name()).sorted().toList();
      if (q.keyPositions().stream().anyMatch(i -> i >= sink.schema().size())
          || !groupKey.equals(sink.primaryKey().stream().sorted().toList())) {
        throw SqlException.at(insert.getSource(), "Table sink '" + sink.name() + "' has the primary key "
            + sink.primaryKey() + ", but the query " + q.updating() + " updates one row per " + groupKey
            + ": the primary key must be the grouped columns");
      }
    }
    Schema want = sink.schema();
    Schema got = q.schema();
    if (got.size() != want.size() || !fits(got, want)) {
      throw SqlException.at(insert.getSource(), "Column types of query result and sink for '" + sink.name()
          + "' do not match. Query schema: [" + got + "] Sink schema: [" + want + "]");
    }
    Stage<Row> out = q.stage();
    if (!sameTypes(got, want)) {
      out = out.map(r -> {
        Object[] v = new Object[want.size()];
        for (int i = 0; i < v.length; i++) {
          Object x = r.get(i);
          v[i] = x == null ? null : Exprs.convert(x, got.column(i).type(), want.column(i).type());
        }
        return Row.of(want, v);
      }).named(prefix + ".to-" + stageName(sink.name()));
    }
    out.writeTo(Connectors.sink(sink, prefix + ".sink." + stageName(sink.name()), baseDir));
  }

  /** Query columns fit a sink's when each type is the same or widens (INT, BIGINT, DECIMAL, DOUBLE). */
  private static boolean fits(Schema got, Schema want) {
    for (int i = 0; i < got.size(); i++) {
      DataType g = got.column(i).type();
      DataType w = want.column(i).type();
      if (g != w && !(widens(g, w))) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameTypes(Schema a, Schema b) {
    for (int i = 0; i < a.size(); i++) {
      if (a.column(i).type() != b.column(i).type()) {
        return false;
      }
    }
    return true;
  }

  private static boolean widens(DataType from, DataType to) {
    List<DataType> order = List.of(DataType.INT, DataType.BIGINT, DataType.DECIMAL, DataType.DOUBLE);
    return order.contains(from) && order.contains(to) && order.indexOf(from) < order.indexOf(to);
  }

  private static String stageName(String table) {
    String s = table.replaceAll("[^A-Za-z0-9_.-]", "_");
    return s.length() > 60 ? s.substring(0, 60) : s;
  }

  private Planned query(Pipeline.Builder b, String prefix, SqlNode node, int[] counter) {
    if (node instanceof SqlSelect s) {
      return select(b, prefix, s, counter);
    }
    throw SqlException.at(node, "unsupported query (only SELECT ... FROM ...): " + node.getKind());
  }

  /** The rows of a FROM item: a table's source, a view's or subquery's plan, or a window function's input. */
  private Planned from(Pipeline.Builder b, String prefix, SqlNode from, int[] counter) {
    if (from instanceof SqlBasicCall as && as.getKind() == SqlKind.AS) {
      return from(b, prefix, as.operand(0), counter);
    }
    if (from instanceof SqlIdentifier id) {
      String name = id.getSimple();
      SqlNode view = views.get(name);
      if (view != null) {
        return query(b, prefix, view, counter);
      }
      TableDef t = table(name, id);
      int n = ++counter[0];
      SourceStage<Row> src = b.readFrom(Connectors.source(t, prefix + ".src" + (n > 1 ? n : "") + "."
          + stageName(t.name()), baseDir));
      if (t.timeColumn() != null) {
        String col = t.timeColumn();
        src = src.withTimestamps(r -> r.epochMillis(col), Duration.ofMillis(t.watermarkDelayMillis()));
      }
      return new Planned(src, t.schema(), null);
    }
    if (from instanceof SqlSelect s) {
      return select(b, prefix, s, counter);
    }
    throw SqlException.at(from, "unsupported FROM item: " + Exprs.safe(from));
  }

  private Planned select(Pipeline.Builder b, String prefix, SqlSelect s, int[] counter) {
    if (s.getHaving() != null || (s.getOrderList() != null && !s.getOrderList().isEmpty()) || s.getFetch() != null
        || s.getOffset() != null || s.isDistinct()) {
      throw SqlException.at(s, "HAVING, ORDER BY, LIMIT, OFFSET and SELECT DISTINCT are not supported yet");
    }
    SqlNode from = s.getFrom();
    if (from == null) {
      throw SqlException.at(s, "SELECT needs a FROM");
    }
    WindowCall window = window(from);
    Planned input = from(b, prefix, window != null ? window.table() : from, counter);
    if (window != null) {
      checkTimeColumn(window, input);
    }
    Stage<Row> stage = input.stage();
    Schema schema = input.schema();
    if (s.getWhere() != null) {
      Expr cond = Exprs.bool(s.getWhere(), schema);
      stage = stage.filter(r -> Boolean.TRUE.equals(cond.eval(r))).named(prefix + ".where" + counter[0]);
    }
    boolean grouped = (s.getGroup() != null && !s.getGroup().isEmpty())
        || s.getSelectList().stream().anyMatch(Aggregates::isAggregate);
    if (window != null && !grouped) {
      throw SqlException.at(from, "a window function is supported with GROUP BY window_start, window_end, ...");
    }
    if (!grouped) {
      return project(prefix, s.getSelectList(), stage, schema, counter);
    }
    return aggregate(prefix, s, stage, schema, window);
  }

  private Planned project(String prefix, SqlNodeList list, Stage<Row> stage, Schema schema, int[] counter) {
    if (list.size() == 1 && list.get(0) instanceof SqlIdentifier id && id.isStar()) {
      return new Planned(stage, schema, null);
    }
    List<Expr> exprs = new ArrayList<>();
    List<Column> cols = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      SqlNode item = list.get(i);
      if (item instanceof SqlIdentifier id && id.isStar()) {
        for (int c = 0; c < schema.size(); c++) {
          exprs.add(new Exprs.Column(c, schema.column(c).type(), schema.column(c).name()));
          cols.add(uniqueColumn(cols, schema.column(c).name(), schema.column(c).type(), item));
        }
        continue;
      }
      Expr e = Exprs.compile(item, schema);
      exprs.add(e);
      cols.add(uniqueColumn(cols, columnName(item, i), e.type(), item));
    }
    Schema out = Schema.of(cols);
    Stage<Row> mapped = stage.map(r -> {
      Object[] v = new Object[exprs.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = exprs.get(i).eval(r);
      }
      return Row.of(out, v);
    }).named(prefix + ".select" + counter[0]);
    return new Planned(mapped, out, null);
  }

  private static Column uniqueColumn(List<Column> cols, String name, DataType type, SqlNode at) {
    if (cols.stream().anyMatch(c -> c.name().equals(name))) {
      throw SqlException.at(at, "the select list has two columns named '" + name + "': name one with AS");
    }
    return new Column(name, type);
  }

  /** The name of select item {@code i}: its alias, its column, or {@code EXPR$i} as in Flink. */
  private static String columnName(SqlNode item, int i) {
    if (item instanceof SqlBasicCall c && c.getKind() == SqlKind.AS) {
      return ((SqlIdentifier) c.operand(1)).getSimple();
    }
    if (item instanceof SqlIdentifier id) {
      return id.names.get(id.names.size() - 1);
    }
    return "EXPR$" + i;
  }

  /** A window table function in FROM: TUMBLE, HOP or SESSION over a table, a time column, durations. */
  private record WindowCall(SqlBasicCall call, SqlNode table, SqlIdentifier time, WindowDefinition def) {}

  private static WindowCall window(SqlNode from) {
    SqlNode f = from instanceof SqlBasicCall as && as.getKind() == SqlKind.AS ? as.operand(0) : from;
    if (!(f instanceof SqlBasicCall table) || table.getKind() != SqlKind.COLLECTION_TABLE) {
      return null;
    }
    if (!(table.operand(0) instanceof SqlBasicCall fn)) {
      throw SqlException.at(table, "unsupported table function: " + Exprs.safe(table));
    }
    String name = fn.getOperator().getName().toUpperCase(Locale.ROOT);
    List<SqlNode> ops = fn.getOperandList();
    int durations = name.equals("HOP") ? 2 : 1;
    if (!List.of("TUMBLE", "HOP", "SESSION").contains(name)) {
      throw SqlException.at(fn, "unsupported table function " + name + "; the window functions are TUMBLE, HOP and"
          + " SESSION");
    }
    if (ops.size() != 2 + durations) {
      throw SqlException.at(fn, name + " takes TABLE t, DESCRIPTOR(time column) and " + durations + " interval(s)");
    }
    SqlNode data = ops.get(0);
    if (data instanceof SqlCall sem && sem.getKind() == SqlKind.SET_SEMANTICS_TABLE) {
      data = sem.operand(0); // SESSION(TABLE t PARTITION BY k, ...): the group keys partition anyway
    }
    if (!(data instanceof SqlBasicCall explicit) || explicit.getKind() != SqlKind.EXPLICIT_TABLE) {
      throw SqlException.at(data, name + " needs TABLE t as its first argument");
    }
    if (!(ops.get(1) instanceof SqlBasicCall desc) || !desc.getOperator().getName().equalsIgnoreCase("DESCRIPTOR")
        || !(desc.operand(0) instanceof SqlIdentifier time)) {
      throw SqlException.at(ops.get(1), name + " needs DESCRIPTOR(time column) as its second argument");
    }
    long[] ms = new long[durations];
    for (int i = 0; i < durations; i++) {
      SqlNode d = ops.get(2 + i);
      if (!(d instanceof SqlIntervalLiteral lit)) {
        throw SqlException.at(d, name + " needs an interval such as INTERVAL '10' SECOND: " + Exprs.safe(d));
      }
      ms[i] = SqlParserUtil.intervalToMillis((SqlIntervalLiteral.IntervalValue) lit.getValue());
    }
    WindowDefinition def;
    try {
      switch (name) {
        case "TUMBLE":
          def = WindowDefinition.tumbling(Duration.ofMillis(ms[0]));
          break;
        case "HOP": // HOP(data, time, slide, size)
          def = WindowDefinition.sliding(Duration.ofMillis(ms[1]), Duration.ofMillis(ms[0]));
          break;
        default:
          def = WindowDefinition.session(Duration.ofMillis(ms[0]));
          break;
      }
    } catch (IllegalArgumentException e) {
      throw SqlException.at(fn, e.getMessage());
    }
    return new WindowCall(fn, explicit.operand(0), time, def);
  }

  private static void checkTimeColumn(WindowCall w, Planned input) {
    String col = w.time().getSimple();
    int i = input.schema().indexOf(col);
    if (i < 0) {
      throw SqlException.at(w.time(), "Column '" + col + "' not found in the window function's table");
    }
    if (!(w.table() instanceof SqlIdentifier)) {
      throw SqlException.at(w.table(), "a window function's table must be a table with a watermark");
    }
    if (!(input.stage() instanceof SourceStage<?>)) {
      throw SqlException.at(w.table(), "a window function's table must be a table with a watermark, not a view");
    }
  }

  private Planned aggregate(String prefix, SqlSelect s, Stage<Row> stage, Schema schema, WindowCall window) {
    List<Integer> keyColumns = new ArrayList<>();
    boolean hasStart = false;
    boolean hasEnd = false;
    for (SqlNode g : s.getGroup() == null ? new SqlNodeList(SqlParserPos.ZERO) : s.getGroup()) {
      if (!(g instanceof SqlIdentifier id)) {
        throw SqlException.at(g, "GROUP BY supports columns only: " + Exprs.safe(g));
      }
      String n = id.getSimple();
      if (window != null && n.equals(WINDOW_START)) {
        hasStart = true;
      } else if (window != null && n.equals(WINDOW_END)) {
        hasEnd = true;
      } else {
        keyColumns.add(Exprs.column(id, schema).index());
      }
    }
    if (window != null && (!hasStart || !hasEnd)) {
      throw SqlException.at(s.getGroup() == null ? s : s.getGroup(), "GROUP BY over a window function must contain"
          + " window_start and window_end");
    }
    // the select list: window columns, group columns, aggregate calls
    List<Item> items = new ArrayList<>();
    List<Aggregates.Call> calls = new ArrayList<>();
    List<Column> cols = new ArrayList<>();
    int slot = 0;
    int sets = 0;
    SqlNodeList list = s.getSelectList();
    for (int i = 0; i < list.size(); i++) {
      SqlNode item = list.get(i);
      SqlNode e = item instanceof SqlBasicCall as && as.getKind() == SqlKind.AS ? as.operand(0) : item;
      String name = columnName(item, i);
      if (e instanceof SqlIdentifier id && !id.isStar()) {
        String n = id.getSimple();
        if (window != null && (n.equals(WINDOW_START) || n.equals(WINDOW_END) || n.equals(WINDOW_TIME))) {
          items.add(new Item(n, -1, null));
          cols.add(uniqueColumn(cols, name, DataType.TIMESTAMP, item));
          continue;
        }
        int c = Exprs.column(id, schema).index();
        int k = keyColumns.indexOf(c);
        if (k < 0) {
          throw SqlException.at(id, "Expression '" + n + "' is not being grouped");
        }
        items.add(new Item(null, k, null));
        cols.add(uniqueColumn(cols, name, schema.column(c).type(), item));
      } else if (Aggregates.isAggregate(e)) {
        Aggregates.Call call = Aggregates.compile((SqlBasicCall) e, schema, slot, sets);
        slot += Aggregates.slots(call);
        sets += Aggregates.sets(call);
        calls.add(call);
        items.add(new Item(null, -1, call));
        cols.add(uniqueColumn(cols, name, call.type(), item));
      } else {
        throw SqlException.at(item, "a grouped select list holds group columns, window_start, window_end and"
            + " aggregate calls only (no expressions over them yet): " + Exprs.safe(item));
      }
    }
    Schema out = Schema.of(cols);
    List<Column> keyCols = new ArrayList<>();
    for (int c : keyColumns) {
      keyCols.add(schema.column(c));
    }
    Schema keySchema = keyCols.isEmpty() ? Schema.of(new Column("all", DataType.BOOLEAN)) : Schema.of(keyCols);
    int[] keyIdx = keyColumns.stream().mapToInt(Integer::intValue).toArray();
    List<Item> fixed = List.copyOf(items);
    if (window == null) {
      // a running aggregate: an updated result for every input row, for an upsert sink keyed by the group
      String groupBy = keyCols.stream().map(Column::name).collect(Collectors.joining(", "));
      String selected = list.stream().map(Exprs::safe).collect(Collectors.joining(", "));
      List<Integer> positions = new ArrayList<>();
      for (int i = 0; i < fixed.size(); i++) {
        if (fixed.get(i).window() == null && fixed.get(i).call() == null) {
          positions.add(i);
        }
      }
      if (positions.size() != keyColumns.size()) {
        throw SqlException.at(s, "a GROUP BY without a window must select every grouped column");
      }
      Stage<Row> updates = stage
          .keyBy(r -> key(r, keySchema, keyIdx))
          .aggregate(prefix + ".group", Aggregates.function(calls))
          .map((io.sluice.core.dsl.KV<Row, io.sluice.core.dsl.KV<Row, List<Object>>> kv) -> {
            Object[] v = new Object[fixed.size()];
            for (int i = 0; i < v.length; i++) {
              Item it = fixed.get(i);
              v[i] = it.call() != null ? Aggregates.result(it.call(), kv.value()) : kv.key().get(it.key());
            }
            return Row.of(out, v);
          }).named(prefix + ".select");
      return new Planned(updates, out, "GroupAggregate(groupBy=[" + groupBy + "], select=[" + selected + "])",
          positions);
    }
    return new Planned(stage
        .keyBy(r -> key(r, keySchema, keyIdx))
        .window(window.def())
        .aggregate(prefix + ".window", Aggregates.function(calls))
        .map((WindowResult<Row, io.sluice.core.dsl.KV<Row, List<Object>>> w) -> {
          Object[] v = new Object[fixed.size()];
          for (int i = 0; i < v.length; i++) {
            Item it = fixed.get(i);
            if (it.window() != null) {
              long t = it.window().equals(WINDOW_START) ? w.start() : it.window().equals(WINDOW_END) ? w.end()
                  : w.end() - 1;
              v[i] = LocalDateTime.ofEpochSecond(Math.floorDiv(t, 1000), Math.floorMod(t, 1000) * 1_000_000,
                  ZoneOffset.UTC);
            } else if (it.call() != null) {
              v[i] = Aggregates.result(it.call(), w.value());
            } else {
              v[i] = w.key().get(it.key());
            }
          }
          return Row.of(out, v);
        }).named(prefix + ".select"), out, null);
  }

  /** A grouped select item: a window column, the k-th group column, or an aggregate call. */
  private record Item(String window, int key, Aggregates.Call call) {}

  private static Row key(Row r, Schema keySchema, int[] idx) {
    if (idx.length == 0) {
      return Row.of(keySchema, Boolean.TRUE);
    }
    Object[] v = new Object[idx.length];
    for (int i = 0; i < idx.length; i++) {
      v[i] = r.get(idx[i]);
    }
    return Row.of(keySchema, v);
  }
}
