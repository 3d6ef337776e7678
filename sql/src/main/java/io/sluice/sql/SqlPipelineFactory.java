package io.sluice.sql;

import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import java.nio.file.Path;

/**
 * {@code sql}: a SQL script as a job ({@link SqlPlanner}). Parameters: {@code script}, the text
 * of the script, and {@code base-dir}, the directory relative paths in it are resolved against
 * (default: the node's working directory). {@code sluice sql -f job.sql} submits a script this way.
 */
public final class SqlPipelineFactory implements PipelineFactory {
  @Override
  public String name() {
    return SqlPlanner.PIPELINE_NAME;
  }

  @Override
  public String description() {
    return "a SQL script (CREATE TABLE ... WITH (...); INSERT INTO ... SELECT ...); script=<text> [base-dir=<dir>]";
  }

  @Override
  public Pipeline create(Parameters params) {
    String script = params.string("script");
    Pipeline p = new SqlPlanner(Path.of(params.string("base-dir", "."))).plan(script).pipeline();
    if (p == null) {
      throw new IllegalArgumentException("the script has no INSERT INTO statement: nothing to run");
    }
    return p;
  }
}
