package io.sluice.cluster;

import io.sluice.sql.SqlPlanner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice sql -f job.sql}: plans a SQL script here (so a mistake is reported with its file,
 * line and column before anything is submitted), prints what its EXPLAIN, SHOW TABLES and
 * DESCRIBE statements give, and submits its INSERT statements as one job of the {@code sql}
 * pipeline, with the script's directory as the base of its relative paths.
 */
@Command(name = "sql", description = "Run a SQL script (Flink's syntax): CREATE TABLE ... WITH (...); INSERT INTO ..."
    + " SELECT ...; its INSERTs become one job. Reads the script from -f FILE, or from standard input.")
final class SqlCommand extends JobsCommands.NodeOption implements Callable<Integer> {
  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "the script")
  Path file;

  @Option(names = "--wait", description = "follow the job until it ends, with a live progress line")
  boolean waitForEnd;

  @Option(names = "--plan-only", description = "check and explain the script, submit nothing")
  boolean planOnly;

  @Spec
  CommandSpec spec;

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
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("pipeline", SqlPlanner.PIPELINE_NAME);
    body.put("parameters", Map.of("script", script, "base-dir", base.toString()));
    String jobId = call("POST", "/jobs", body).path("jobId").asText();
    out.println(jobId);
    out.flush();
    return waitForEnd ? JobsCommands.follow(this, jobId) : 0;
  }
}
