package io.sluice.cluster;

import io.sluice.persistence.cassandra.DevCassandra;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice cassandra start|stop|status|kill}: the dev Cassandra in its own JVM. */
@Command(name = "cassandra", description = "Start, stop or inspect the dev Cassandra (its own detached JVM).")
final class CassandraCommand implements Callable<Integer> {
  enum Action { start, stop, status, kill }

  @Parameters(index = "0", paramLabel = "ACTION", description = "start, stop, status or kill")
  Action action;

  @Option(names = "--config", paramLabel = "FILE", description = "config with sluice.cassandra.dev settings"
      + " (default: conf/base.conf in the repository)")
  Path config;

  @Override
  public Integer call() {
    DevCassandra cassandra = CassandraCommandSupport.devCassandra(config);
    switch (action) {
      case start: {
        DevCassandra.Status before = cassandra.status();
        if (before.servesCql()) {
          System.out.println("Cassandra is already " + before + " on " + cassandra.contactPoint());
          return 0;
        }
        System.out.println("starting Cassandra 5.0 on " + cassandra.contactPoint() + " (data in "
            + cassandra.settings().directory() + ") ...");
        try {
          Duration took = cassandra.start();
          System.out.printf("Cassandra is serving CQL on %s (pid %d), started in %.1f s%n", cassandra.contactPoint(),
              cassandra.status().pid(), took.toMillis() / 1000.0);
          return 0;
        } catch (IllegalStateException e) {
          System.err.println("sluice: " + e.getMessage());
          return 1;
        }
      }
      case stop: {
        DevCassandra.Status s = cassandra.status();
        if (s.state() != DevCassandra.Status.State.RUNNING) {
          System.out.println("Cassandra is " + s + "; nothing to stop");
          return 0;
        }
        Duration took = cassandra.stop();
        System.out.printf("stopped Cassandra (pid %d) in %.1f s%n", s.pid(), took.toMillis() / 1000.0);
        return 0;
      }
      case kill: {
        long pid = cassandra.status().pid();
        boolean killed = cassandra.kill();
        System.out.println(killed ? "killed Cassandra (pid " + pid + ") with SIGKILL" : "Cassandra was not running");
        return 0;
      }
      default: {
        DevCassandra.Status s = cassandra.status();
        System.out.println("Cassandra on " + cassandra.contactPoint() + ": " + s);
        return s.servesCql() ? 0 : 1;
      }
    }
  }
}
