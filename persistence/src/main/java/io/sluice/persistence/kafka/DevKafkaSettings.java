package io.sluice.persistence.kafka;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the dev Kafka broker ({@link DevKafka}), from {@code sluice.kafka.dev} (see
 * reference.conf). Immutable; {@code withX} methods return changed copies.
 *
 * @param directory where its data, logs, generated config, classpath and pid file live
 * @param host the interface both listeners bind to
 * @param port the PLAINTEXT (client) port
 * @param controllerPort the KRaft controller port
 * @param heap the broker JVM's maximum heap, as for {@code -Xmx} (e.g. "512m")
 * @param startTimeout how long {@code start} waits for the broker to be ready
 * @param stopTimeout how long {@code stop} waits after SIGTERM before SIGKILL
 * @param home the Sluice repository (for {@code conf/kafka/})
 */
public record DevKafkaSettings(Path directory, String host, int port, int controllerPort, String heap,
    Duration startTimeout, Duration stopTimeout, Path home) {

  /**
   * Reads {@code sluice.kafka.dev} from a resolved config; a relative directory is taken relative
   * to {@code home}.
   *
   * @throws com.typesafe.config.ConfigException with the key's path when a value is missing or wrong
   */
  public static DevKafkaSettings from(Config config, Path home) {
    Config c = config.getConfig("sluice.kafka.dev");
    Path dir = Path.of(c.getString("directory"));
    return new DevKafkaSettings(dir.isAbsolute() ? dir : home.resolve(dir), c.getString("host"), c.getInt("port"),
        c.getInt("controller-port"), c.getString("heap"), c.getDuration("start-timeout"),
        c.getDuration("stop-timeout"), home);
  }

  public DevKafkaSettings withDirectory(Path directory) {
    return new DevKafkaSettings(directory, host, port, controllerPort, heap, startTimeout, stopTimeout, home);
  }

  /** "host:port" of the client listener, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return host + ":" + port;
  }
}
