package io.sluice.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.connector.CsvFormat;
import io.sluice.core.connector.CsvSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import io.sluice.sql.SqlPlanner;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;

/**
 * The interactive SQL shell of {@code sluice sql}, without its terminal: what to do with the text
 * typed. It keeps one {@link SqlPlanner} session whose relative paths are resolved against a base
 * directory. {@code CREATE TABLE}, {@code CREATE VIEW}, {@code DROP TABLE} and {@code SET} change
 * the session and are kept, in order, as the script so far; {@code INSERT INTO} is submitted as a
 * job of that script plus the INSERT; a {@code SELECT} runs as such a job into a temporary CSV
 * table under {@code <base>/.sluice-sql/results/}, and its rows are printed as a table when it
 * ends; {@code EXPLAIN}, {@code SHOW TABLES} and {@code DESCRIBE} print what they give, and
 * {@code SHOW JOBS} lists the node's jobs. A mistake is printed ({@code line L, column C: ...},
 * counted from the start of the statement) and the shell goes on.
 */
final class SqlShell {
  /** The most rows of a query printed; the rest are counted. */
  static final int MAX_ROWS = 1000;
  /** The widest cell printed; longer values are cut and end with "...". */
  static final int MAX_WIDTH = 40;
  /** How long a query's job may run before the shell cancels it. */
  static final Duration QUERY_TIMEOUT = Duration.ofMinutes(10);
  static final String NULL = "<NULL>";
  static final String OK = "[INFO] Execute statement succeeded.";

  private static final Pattern SHOW_JOBS = Pattern.compile("(?i)SHOW\\s+JOBS");
  private static final Pattern HELP = Pattern.compile("(?i)HELP");
  private static final Pattern QUIT = Pattern.compile("(?i)QUIT|EXIT");

  /** The node's HTTP API, as far as the shell uses it. */
  interface Node {
    /** A call of the API, as {@link JobsCommands.NodeOption#call(String, String, Object)}. */
    JsonNode call(String method, String path, Object body);

    /**
     * Follows a job until it ends, with progress on stderr: 0 if it FINISHED. Throws a
     * {@link JobsCommands.CliFailure} once {@code timeout} has passed, or when interrupted.
     */
    int follow(String jobId, Duration timeout);
  }

  private final Path baseDir;
  private final Node node;
  private final PrintStream out;
  private final PrintStream err;
  private final SqlPlanner planner;
  private final List<String> script = new ArrayList<>();

  /** A shell whose relative paths are resolved against {@code baseDir}; it prints to {@code out} and {@code err}. */
  SqlShell(Path baseDir, Node node, PrintStream out, PrintStream err) {
    this.baseDir = baseDir.toAbsolutePath();
    this.node = node;
    this.out = out;
    this.err = err;
    this.planner = new SqlPlanner(this.baseDir);
  }

  /** The CREATE, DROP and SET statements run so far, in order, each ended by ';' and a line break. */
  String scriptSoFar() {
    StringBuilder sb = new StringBuilder();
    for (String s : script) {
      sb.append(s).append(";\n");
    }
    return sb.toString();
  }

  /** Statements split at the ';' that end them, and the text after the last one. */
  record Split(List<String> statements, String rest, boolean restBlank) {}

  /**
   * Splits {@code text} at each ';' that is not inside a quoted string ('...'), a quoted name
   * ("..." or `...`) or a comment (-- to the end of the line, or /* ... *&#47;). The statements are
   * returned without their ';' and stripped of white space around them; a statement of nothing but
   * white space and comments is dropped. {@code restBlank} says whether the text after the last
   * ';' holds nothing else either (no open quote or comment included).
   */
  static Split split(String text) {
    List<String> statements = new ArrayList<>();
    int start = 0;
    boolean content = false;
    char quote = 0;
    boolean lineComment = false;
    boolean blockComment = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
      if (lineComment) {
        lineComment = c != '\n';
      } else if (blockComment) {
        if (c == '*' && next == '/') {
          blockComment = false;
          i++;
        }
      } else if (quote != 0) {
        if (c == quote) {
          quote = 0; // a doubled quote ('it''s') closes and opens again
        }
      } else if (c == '-' && next == '-') {
        lineComment = true;
        i++;
      } else if (c == '/' && next == '*') {
        blockComment = true;
        i++;
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
        content = true;
      } else if (c == ';') {
        if (content) {
          statements.add(text.substring(start, i).strip());
        }
        start = i + 1;
        content = false;
      } else if (!Character.isWhitespace(c)) {
        content = true;
      }
    }
    return new Split(statements, text.substring(start), !content && quote == 0 && !blockComment);
  }

  /**
   * True if {@code input} is ready to run: every statement in it ends with ';', or it is
   * {@code QUIT} or {@code EXIT} (which need none). Blank input is complete too.
   */
  static boolean complete(String input) {
    Split s = split(input);
    return s.restBlank() || QUIT.matcher(s.rest().strip()).matches();
  }

  /**
   * Runs the statements of {@code input}, in order; false if one of them asks to leave (QUIT or
   * EXIT), and then the rest are not run. Text after the last ';' runs as a statement of its own.
   */
  boolean run(String input) {
    Split s = split(input);
    List<String> statements = new ArrayList<>(s.statements());
    if (!s.restBlank()) {
      statements.add(s.rest().strip());
    }
    for (String statement : statements) {
      if (!execute(statement)) {
        return false;
      }
    }
    return true;
  }

  /** Runs one statement (without its ';'); false if it is QUIT or EXIT. Errors are printed, not thrown. */
  boolean execute(String statement) {
    String s = statement.strip();
    if (QUIT.matcher(s).matches()) {
      return false;
    }
    try {
      if (SHOW_JOBS.matcher(s).matches()) {
        showJobs();
      } else if (HELP.matcher(s).matches()) {
        help();
      } else {
        dispatch(s);
      }
    } catch (IllegalArgumentException | JobsCommands.CliFailure e) {
      // a SqlException ("line L, column C: ..."), a pipeline the DSL refuses, or the node's answer
      err.println(e.getMessage());
    } catch (IOException | UncheckedIOException e) {
      err.println("cannot read the query's result: " + e.getMessage());
    }
    return true;
  }

  private void dispatch(String s) throws IOException {
    List<SqlNode> nodes = SqlPlanner.parse(s);
    if (nodes.isEmpty()) {
      return;
    }
    if (nodes.size() == 1 && nodes.get(0).isA(SqlKind.QUERY)) {
      select(s);
      return;
    }
    SqlPlanner.Result r = planner.plan(s);
    if (r.pipeline() != null) {
      out.println(submit(scriptSoFar() + s + ";\n"));
    } else if (r.output().isEmpty()) { // CREATE, DROP or SET: it changed the session
      script.add(s);
      out.println(OK);
    } else {
      r.output().forEach(out::println);
    }
  }

  private String submit(String jobScript) {
    return node.call("POST", "/jobs", SqlCommand.jobBody(jobScript, baseDir)).path("jobId").asText();
  }

  /** Runs a query as a job into a temporary CSV table, prints its rows, and deletes the table's files. */
  private void select(String query) throws IOException {
    Schema schema = planner.resultSchema(query);
    String id = UUID.randomUUID().toString();
    Path dir = baseDir.resolve(".sluice-sql").resolve("results").resolve(id);
    String table = "`sluice_result_" + id.substring(0, 8) + "`";
    StringBuilder create = new StringBuilder("CREATE TABLE ").append(table).append(" (");
    for (int i = 0; i < schema.size(); i++) {
      Column c = schema.column(i);
      create.append(i == 0 ? "" : ", ").append('`').append(c.name().replace("`", "``")).append("` ").append(c.type());
    }
    create.append(") WITH ('connector' = 'filesystem', 'path' = '").append(dir.toString().replace("'", "''"))
        .append("', 'format' = 'csv', 'csv.header' = 'true', 'sink.fsync' = 'false')");
    String jobId = submit(scriptSoFar() + create + ";\nINSERT INTO " + table + "\n" + query + ";\n");
    try {
      int end;
      try {
        end = node.follow(jobId, QUERY_TIMEOUT);
      } catch (JobsCommands.CliFailure e) { // the timeout, or Ctrl-C
        Thread.interrupted(); // so that the cancel call can go out
        node.call("POST", "/jobs/" + jobId + "/cancel", null);
        throw new JobsCommands.CliFailure(e.getMessage() + ": cancelled the query's job " + jobId);
      }
      if (end != 0) {
        err.println("the query's job " + jobId + " did not finish; its rows are not shown");
        return;
      }
      CsvSink sink = Sinks.csv("result", dir, schema, CsvFormat.defaults().withHeader(true));
      Path jobDir = sink.jobDirectory(jobId);
      List<Row> rows = Files.isDirectory(jobDir) ? sink.readRows(jobDir) : List.of();
      out.print(resultTable(schema, rows));
    } finally {
      deleteRecursively(dir);
    }
  }

  /** The rows of a query as a table: at most {@link #MAX_ROWS}, then how many more, then the count. */
  static String resultTable(Schema schema, List<Row> rows) {
    List<Boolean> right = new ArrayList<>();
    for (Column c : schema.columns()) {
      right.add(c.type() == DataType.INT || c.type() == DataType.BIGINT || c.type() == DataType.DOUBLE
          || c.type() == DataType.DECIMAL);
    }
    List<List<String>> cells = new ArrayList<>();
    for (Row r : rows.subList(0, Math.min(MAX_ROWS, rows.size()))) {
      List<String> line = new ArrayList<>();
      for (int i = 0; i < schema.size(); i++) {
        Object v = r.get(i);
        line.add(v == null ? null : schema.column(i).type().format(v));
      }
      cells.add(line);
    }
    return table(schema.names(), right, cells, rows.size() - cells.size())
        + rows.size() + (rows.size() == 1 ? " row" : " rows") + " in set\n";
  }

  /**
   * An ASCII table with a header row and borders. A null cell shows as {@code <NULL>}; line breaks
   * and tabs show as {@code \n} and {@code \t}; a cell wider than {@link #MAX_WIDTH} is cut and ends
   * with "...". Columns marked in {@code rightAligned} are aligned right (numbers). If {@code more}
   * is positive, a line "... N more rows" follows.
   */
  static String table(List<String> header, List<Boolean> rightAligned, List<List<String>> rows, long more) {
    int n = header.size();
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    List<List<String>> shown = new ArrayList<>();
    int[] width = new int[n];
    for (List<String> row : all) {
      List<String> line = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String c = cell(i < row.size() ? row.get(i) : null);
        width[i] = Math.max(width[i], c.length());
        line.add(c);
      }
      shown.add(line);
    }
    StringBuilder border = new StringBuilder("+");
    for (int w : width) {
      border.append("-".repeat(w + 2)).append('+');
    }
    border.append('\n');
    StringBuilder sb = new StringBuilder(border);
    for (int r = 0; r < shown.size(); r++) {
      sb.append('|');
      for (int i = 0; i < n; i++) {
        String c = shown.get(r).get(i);
        String pad = " ".repeat(width[i] - c.length());
        boolean right = r > 0 && i < rightAligned.size() && rightAligned.get(i);
        sb.append(' ').append(right ? pad + c : c + pad).append(" |");
      }
      sb.append('\n');
      if (r == 0) {
        sb.append(border);
      }
    }
    sb.append(border);
    if (more > 0) {
      sb.append("... ").append(more).append(more == 1 ? " more row" : " more rows").append('\n');
    }
    return sb.toString();
  }

  private static String cell(String value) {
    if (value == null) {
      return NULL;
    }
    String c = value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n").replace("\t", "\\t");
    if (c.length() <= MAX_WIDTH) {
      return c;
    }
    int cut = MAX_WIDTH - 3;
    if (Character.isHighSurrogate(c.charAt(cut - 1))) {
      cut--;
    }
    return c.substring(0, cut) + "...";
  }

  /** {@code SHOW JOBS}: the node's jobs (GET /jobs) as a table. */
  private void showJobs() {
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode j : node.call("GET", "/jobs", null)) {
      rows.add(List.of(j.path("jobId").asText(), j.path("pipeline").asText(), JobsCommands.state(j),
          Long.toString(j.path("sinkRecords").asLong()), Long.toString(j.path("lag").asLong()),
          j.path("cause").isTextual() ? j.path("cause").asText() : ""));
    }
    if (rows.isEmpty()) {
      out.println("(no jobs)");
      return;
    }
    out.print(table(List.of("JOB", "PIPELINE", "STATE", "SINK RECORDS", "LAG", "CAUSE"),
        List.of(false, false, false, true, true, false), rows, 0));
  }

  private void help() {
    out.println("""
        Statements end with ';' and may span lines. Flink's SQL:
          CREATE TABLE t (...) WITH ('connector' = 'filesystem', 'path' = '...', 'format' = 'csv');
          CREATE VIEW v AS SELECT ...;  DROP TABLE t;  SET 'parallelism.default' = '2';
          INSERT INTO t SELECT ...;     submits a job (the tables so far and the INSERT); prints its id
          SELECT ...;                   runs the query as a job and prints its rows
          EXPLAIN INSERT INTO ...;  SHOW TABLES;  DESCRIBE t;
        And the shell's own:
          SHOW JOBS;                    the node's jobs
          HELP;  QUIT;  EXIT;           (or Ctrl-D)""");
  }

  private void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      err.println("cannot delete the query's result " + dir + ": " + e.getMessage());
    }
  }
}
