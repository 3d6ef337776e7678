package io.sluice.cluster;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The {@code sluice} command line ({@code bin/sluice}). Subcommands start nodes and the dev
 * Cassandra; exit status 0 on success, 2 for a bad config or usage, 3 when a node cannot start,
 * 1 for anything else.
 */
@Command(name = "sluice", mixinStandardHelpOptions = true, version = "sluice 0.1.0",
    description = "Sluice: an exactly-once stream processor on Pekko and Cassandra.",
    subcommands = {Main.NodeCommand.class, CassandraCommand.class, KafkaCommand.class, JobsCommands.Submit.class,
        JobsCommands.Jobs.class, JobsCommands.Status.class, JobsCommands.Cancel.class, JobsCommands.Pipelines.class,
        JobsCommands.Jars.class, JobsCommands.Savepoint.class, JobsCommands.Stop.class, JobsCommands.Rescale.class,
        JobsCommands.Savepoints.class, SqlCommand.class, TlsKeysCommand.class,
        io.sluice.cluster.demo.DemoCommand.class, io.sluice.cluster.bench.BenchCommand.class,
        io.sluice.cluster.chaos.ChaosCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
  static final int EXIT_CONFIG = 2;
  static final int EXIT_START = 3;

  public static void main(String[] args) {
    // The node's name must be known before Logback starts: it names the log file.
    if (args.length >= 2 && args[0].equals("node") && System.getProperty("sluice.node.name") == null) {
      String f = Path.of(args[1]).getFileName().toString();
      System.setProperty("sluice.node.name", f.endsWith(".conf") ? f.substring(0, f.length() - 5) : f);
    }
    System.exit(commandLine().execute(args));
  }

  /**
   * Runs the CLI in this JVM with its output and errors going to {@code out} and {@code err}
   * (for tests of the commands); returns the exit status {@link #main} would exit with.
   */
  public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine cl = commandLine();
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // durations as people write them: 500ms, 40s, 2m, 1h (or ISO-8601: PT40S)
    cl.registerConverter(java.time.Duration.class,
        v -> io.sluice.core.dsl.Parameters.of(java.util.Map.of("duration", v)).duration("duration", null));
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof ConfigProblem) {
        cmd.getErr().println("sluice: " + e.getMessage());
        return EXIT_CONFIG;
      }
      if (e instanceof JobsCommands.CliFailure || e instanceof IllegalArgumentException) {
        cmd.getErr().println("sluice: " + e.getMessage());
        return 1;
      }
      if (e instanceof NodeStartException) {
        cmd.getErr().println("sluice: " + e.getMessage());
        return EXIT_START;
      }
      cmd.getErr().println("sluice: " + e);
      return 1;
    });
    return cl;
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return EXIT_CONFIG;
  }

  /** {@code sluice node conf/node-1.conf}: runs a node until it is stopped or downed. */
  @Command(name = "node", description = "Start a cluster node from a config file and run until stopped.")
  static final class NodeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG", description = "the node's config file, e.g. conf/node-1.conf")
    Path config;

    @Override
    public Integer call() throws Exception {
      // -Dsluice.* and -Dpekko.* flags override the file (tests point nodes at their own keyspace)
      com.typesafe.config.Config sys = com.typesafe.config.ConfigFactory.systemProperties();
      com.typesafe.config.Config overrides = sys.withOnlyPath("sluice").withFallback(sys.withOnlyPath("pekko"));
      NodeConfig cfg = NodeConfig.load(config, overrides);
      SluiceNode node = SluiceNode.start(cfg);
      node.whenTerminated().toCompletableFuture().join();
      return 0;
    }
  }
}
