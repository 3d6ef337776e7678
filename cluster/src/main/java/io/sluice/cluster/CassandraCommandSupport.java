package io.sluice.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.cassandra.DevCassandra;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
