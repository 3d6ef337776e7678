package io.sluice.cluster;

import io.sluice.persistence.cassandra.DevCassandra;
import java.nio.file.Path;
import java.time.Duration;

/** The dev Cassandra as configured for the command line: {@code sluice.cassandra.dev} in conf/base.conf. */
public final class CassandraCommandSupport {
  private CassandraCommandSupport() {}

  /** The dev Cassandra configured in {@code config} (default: conf/base.conf of the repository). */
  public static DevCassandra devCassandra(Path config) {
    Path home = DevCassandra.home();
    return new DevCassandra(DevServerConfig.read(config, home, c -> DevCassandra.Settings.from(c, home)));
  }

  /**
   * Uses the Cassandra that serves CQL at {@code cassandra}'s address, or starts the dev Cassandra
   * there; closing the lease stops it only if this lease started it.
   */
  public static Lease serving(DevCassandra cassandra) {
    if (cassandra.servesCql()) {
      System.out.println("using the Cassandra already serving CQL on " + cassandra.contactPoint());
      return new Lease(cassandra, false);
    }
    System.out.println("starting the dev Cassandra on " + cassandra.contactPoint() + " ...");
    Duration took = cassandra.start();
    System.out.printf("Cassandra serves CQL after %.1f s%n", took.toMillis() / 1000.0);
    return new Lease(cassandra, true);
  }

  /** The dev Cassandra for the length of one command. */
  public record Lease(DevCassandra cassandra, boolean startedHere) implements AutoCloseable {
    @Override
    public void close() {
      if (startedHere) {
        System.out.println("stopping the Cassandra this command started ...");
        cassandra.stop();
      }
    }
  }
}
