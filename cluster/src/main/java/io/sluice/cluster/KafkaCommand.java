package io.sluice.cluster;

import io.sluice.persistence.kafka.DevKafka;
import io.sluice.persistence.kafka.DevKafkaSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice kafka start|stop|status|kill}: the dev Kafka broker in its own JVM. */
@Command(name = "kafka", description = "Start, stop or inspect the dev Kafka broker (its own detached JVM).")
final class KafkaCommand implements Callable<Integer> {
  enum Action { start, stop, status, kill }

  @Parameters(index = "0", paramLabel = "ACTION", description = "start, stop, status or kill")
  Action action;

  @Option(names = "--config", paramLabel = "FILE", description = "config with sluice.kafka.dev settings"
      + " (default: conf/base.conf in the repository)")
  Path config;

  @Override
  public Integer call() {
    DevKafka kafka = devKafka(config);
    switch (action) {
      case start: {
        DevKafka.Status before = kafka.status();
        if (before.answers()) {
          System.out.println("Kafka is already " + before + " on " + kafka.bootstrapServers());
          return 0;
        }
        System.out.println("starting Kafka 4.4 on " + kafka.bootstrapServers() + " (data in "
            + kafka.settings().directory() + ") ...");
        try {
          Duration took = kafka.start();
          System.out.printf("Kafka is ready on %s (pid %d), started in %.1f s%n", kafka.bootstrapServers(),
              kafka.status().pid(), took.toMillis() / 1000.0);
          return 0;
        } catch (IllegalStateException e) {
          System.err.println("sluice: " + e.getMessage());
          return 1;
        }
      }
      case stop: {
        DevKafka.Status s = kafka.status();
        if (s.state() != DevKafka.Status.State.RUNNING) {
          System.out.println("Kafka is " + s + "; nothing to stop");
          return 0;
        }
        Duration took = kafka.stop();
        System.out.printf("stopped Kafka (pid %d) in %.1f s%n", s.pid(), took.toMillis() / 1000.0);
        return 0;
      }
      case kill: {
        long pid = kafka.status().pid();
        boolean killed = kafka.kill();
        System.out.println(killed ? "killed Kafka (pid " + pid + ") with SIGKILL" : "Kafka was not running");
        return 0;
      }
      default: {
        DevKafka.Status s = kafka.status();
        System.out.println("Kafka on " + kafka.bootstrapServers() + ": " + s);
        return s.answers() ? 0 : 1;
      }
    }
  }

  /** The dev Kafka configured in {@code config} (default: conf/base.conf of the repository). */
  static DevKafka devKafka(Path config) {
    Path home = DevKafka.home();
    return new DevKafka(DevServerConfig.read(config, home, c -> DevKafkaSettings.from(c, home)));
  }
}
