package io.sluice.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.cassandra.DevCassandra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The dev Cassandra as configured for the command line: {@code sluice.cassandra.dev} in conf/base.conf. */
public final class CassandraCommandSupport {
  private CassandraCommandSupport() {}

  /** The dev Cassandra configured in {@code config} (default: conf/base.conf of the repository). */
  public static DevCassandra devCassandra(Path config) {
    Path home = DevCassandra.home();
    Path file = config != null ? config : home.resolve("conf/base.conf");
    if (config != null && !Files.isRegularFile(config)) {
      throw new ConfigProblem("config file " + config + " does not exist");
    }
    Config c;
    try {
      c = (Files.isRegularFile(file) ? ConfigFactory.parseFile(file.toFile()) : ConfigFactory.empty())
          .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    } catch (ConfigException e) {
      throw new ConfigProblem(NodeConfig.describe(file, e), e);
    }
    return new DevCassandra(DevCassandra.Settings.from(c, home));
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
