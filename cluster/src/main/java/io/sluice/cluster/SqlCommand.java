package io.sluice.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.sql.SqlPlanner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.reader.EOFError;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice sql -f job.sql}: plans a SQL script here (so a mistake is reported with its file,
 * line and column before anything is submitted), prints what its EXPLAIN, SHOW TABLES and
 * DESCRIBE statements give, and submits its INSERT statements as one job of the {@code sql}
 * pipeline, with the script's directory as the base of its relative paths. Without {@code -f} the
 * script is read from standard input, or, when that is a terminal, {@link SqlShell the interactive
 * shell} starts, with the current directory as its base.
 */
@Command(name = "sql", description = "Run a SQL script (Flink's syntax): CREATE TABLE ... WITH (...); INSERT INTO ..."
    + " SELECT ...; its INSERTs become one job. Reads the script from -f FILE, or from standard input; on a terminal,"
    + " without -f, starts an interactive SQL shell (HELP; lists what it takes).")
final class SqlCommand extends JobsCommands.NodeOption implements Callable<Integer> {
  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "the script")
  Path file;

  @Option(names = "--wait", description = "follow the job until it ends, with a live progress line")
  boolean waitForEnd;

  @Option(names = "--plan-only", description = "check and explain the script, submit nothing")
  boolean planOnly;

  @Spec
  CommandSpec spec;

  /** The body of {@code POST /jobs} that runs {@code script} with relative paths against {@code base}. */
  static Map<String, Object> jobBody(String script, Path base) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("pipeline", SqlPlanner.PIPELINE_NAME);
    body.put("parameters", Map.of("script", script, "base-dir", base.toString()));
    return body;
  }

  @Override
  public Integer call() throws IOException {
    String script;
    Path base;
    String where;
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new JobsCommands.CliFailure("script " + file.toAbsolutePath() + " does not exist");
      }
      script = Files.readString(file, StandardCharsets.UTF_8);
      base = file.toAbsolutePath().getParent();
      where = file.toString();
    } else if (System.console() != null) {
      if (waitForEnd || planOnly) {
        throw new JobsCommands.CliFailure("--wait and --plan-only are for a script (-f FILE, or standard input),"
            + " not for the interactive shell");
      }
      return shell();
    } else {
      script = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
      base = Path.of("").toAbsolutePath();
      where = "<stdin>";
    }
    SqlPlanner.Result r;
    try {
      r = new SqlPlanner(base).plan(script);
    } catch (IllegalArgumentException e) { // a SqlException, or a pipeline the DSL refuses
      throw new JobsCommands.CliFailure(where + ": " + e.getMessage());
    }
    java.io.PrintWriter out = spec.commandLine().getOut();
    for (String o : r.output()) {
      out.println(o);
    }
    if (r.pipeline() == null || planOnly) {
      if (r.pipeline() == null && !planOnly) {
        spec.commandLine().getErr().println(where + ": no INSERT INTO statement: nothing to submit");
      }
      return 0;
    }
    String jobId = call("POST", "/jobs", jobBody(script, base)).path("jobId").asText();
    out.println(jobId);
    out.flush();
    return waitForEnd ? JobsCommands.follow(this, jobId) : 0;
  }

  /**
   * The interactive shell on the terminal: a line editor with the history in
   * {@code ~/.sluice/sql_history}, statements that go on over lines until ';', Ctrl-C to drop the
   * statement being typed or to stop a query, and Ctrl-D, QUIT or EXIT to leave.
   */
  private int shell() throws IOException {
    SqlShell shell = new SqlShell(Path.of("").toAbsolutePath(), new SqlShell.Node() {
      @Override
      public JsonNode call(String method, String path, Object body) {
        return SqlCommand.this.call(method, path, body);
      }

      @Override
      public int follow(String jobId, Duration timeout) {
        return JobsCommands.follow(SqlCommand.this, jobId, timeout);
      }
    }, System.out, System.err);
    Path history = Path.of(System.getProperty("user.home"), ".sluice", "sql_history");
    Files.createDirectories(history.getParent());
    try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
      DefaultParser parser = new StatementParser();
      parser.setEscapeChars(null); // a backslash is a character in SQL
      LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("sluice-sql").parser(parser)
          .variable(LineReader.HISTORY_FILE, history)
          .variable(LineReader.SECONDARY_PROMPT_PATTERN, "      > ")
          .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true) // '!' is a character in SQL
          .build();
      Thread main = Thread.currentThread();
      // outside readLine (which handles it itself), Ctrl-C interrupts what the shell is waiting for
      terminal.handle(Terminal.Signal.INT, signal -> main.interrupt());
      System.out.println("Sluice SQL shell, node " + node + ". Statements end with ';'. HELP; for help, QUIT; to"
          + " leave.");
      while (true) {
        String input;
        try {
          input = reader.readLine("sluice> ");
        } catch (UserInterruptException e) {
          continue; // Ctrl-C: drop what was typed
        } catch (EndOfFileException e) {
          break; // Ctrl-D
        }
        boolean goOn = shell.run(input);
        Thread.interrupted(); // a Ctrl-C that came while a statement ran was for that statement only
        if (!goOn) {
          break;
        }
      }
      reader.getHistory().save();
    }
    return 0;
  }

  /** Takes Enter as the end of the input only when its statements end with ';' (or it is QUIT or EXIT). */
  private static final class StatementParser extends DefaultParser {
    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) {
      if (context == ParseContext.ACCEPT_LINE && !SqlShell.complete(line)) {
        throw new EOFError(-1, cursor, "a statement ends with ';'");
      }
      return super.parse(line, cursor, context);
    }
  }
}
