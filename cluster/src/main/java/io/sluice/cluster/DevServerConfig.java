package io.sluice.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The settings of a dev server (the dev Cassandra, the dev Kafka broker) for the command line:
 * read from {@code --config}, else from conf/base.conf of the repository, over the modules'
 * reference.conf. Every problem is a {@link ConfigProblem} that names the file.
 */
final class DevServerConfig {
  private DevServerConfig() {}

  /**
   * Reads {@code config} (null: conf/base.conf under {@code home}, if it exists) and makes the
   * server's settings from it with {@code settings}.
   *
   * @throws ConfigProblem if {@code config} does not exist, does not parse, or {@code settings}
   *     finds a setting missing or wrong
   */
  static <T> T read(Path config, Path home, Function<Config, T> settings) {
    Path file = config != null ? config : home.resolve("conf/base.conf");
    if (config != null && !Files.isRegularFile(config)) {
      throw new ConfigProblem("config file " + config + " does not exist");
    }
    try {
      Config c = (Files.isRegularFile(file) ? ConfigFactory.parseFile(file.toFile()) : ConfigFactory.empty())
          .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
      return settings.apply(c);
    } catch (ConfigException e) {
      throw new ConfigProblem(NodeConfig.describe(file, e), e);
    }
  }
}
