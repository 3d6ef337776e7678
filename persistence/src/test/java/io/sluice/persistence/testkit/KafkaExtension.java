package io.sluice.persistence.testkit;

import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.kafka.DevKafka;
import io.sluice.persistence.kafka.DevKafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one way integration tests get Kafka. Register it in a test class:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
 *
 * String topic = kafka.createTopic("input", 3);   // e.g. "it-mytestit-4kq2s9-input"
 * props.put("bootstrap.servers", kafka.bootstrapServers());
 * }</pre>
 *
 * <p>Before the first test class of the run it reuses the running dev Kafka broker (anything that
 * answers Kafka requests on the dev port) or starts one ({@link DevKafka}) and stops it when the
 * run ends. Topics are never created automatically: a test creates its own with
 * {@link #createTopic}, named after the test class plus a random part, so tests never see each
 * other's records. They are deleted after the class; when a test of the class failed they stay
 * (their records are the evidence) and their names are printed.
 */
public final class KafkaExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private static final Object LOCK = new Object();
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(KafkaExtension.class);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(60);

  private DevKafka dev;
  private String prefix;
  private final List<String> topics = new ArrayList<>();
  private volatile boolean failed;

  /** Holds the broker of the whole run; closed by JUnit when the run ends. */
  private static final class RunKafka implements AutoCloseable {
    final DevKafka dev;
    final boolean startedHere;

    RunKafka(DevKafka dev, boolean startedHere) {
      this.dev = dev;
      this.startedHere = startedHere;
    }

    @Override
    public void close() {
      if (startedHere) {
        Duration took = dev.stop();
        System.out.printf("[kafka-extension] stopped the Kafka broker this test run started (%.1f s)%n",
            took.toMillis() / 1000.0);
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    RunKafka run;
    synchronized (LOCK) {
      run = context.getRoot().getStore(NS).getOrComputeIfAbsent(RunKafka.class, k -> startOrReuse(), RunKafka.class);
    }
    dev = run.dev;
    String cls = context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "-");
    prefix = "it-" + cls.substring(0, Math.min(cls.length(), 40)) + "-"
        + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 25), 36) + "-";
  }

  private static RunKafka startOrReuse() {
    DevKafka dev = new DevKafka(DevKafkaSettings.from(ConfigFactory.defaultReferenceUnresolved().resolve(),
        DevKafka.home()));
    if (dev.answers()) {
      System.out.println("[kafka-extension] reusing the Kafka broker on " + dev.bootstrapServers());
      return new RunKafka(dev, false);
    }
    System.out.println("[kafka-extension] starting the dev Kafka broker on " + dev.bootstrapServers() + " ...");
    Duration took = dev.start();
    System.out.printf("[kafka-extension] Kafka is ready after %.1f s%n", took.toMillis() / 1000.0);
    return new RunKafka(dev, true);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      failed = true;
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> mine;
    synchronized (topics) {
      mine = List.copyOf(topics);
      topics.clear();
    }
    if (mine.isEmpty()) {
      return;
    }
    if (failed) {
      System.out.println("[kafka-extension] a test failed: keeping topics " + mine + " for inspection");
      return;
    }
    if (!dev.answers()) {
      return; // a test may have killed it; the topics stay until the data directory is cleared
    }
    try (Admin admin = admin()) {
      Set<String> existing = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<String> delete = mine.stream().filter(existing::contains).toList();
      if (!delete.isEmpty()) {
        admin.deleteTopics(delete).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      System.out.println("[kafka-extension] could not delete topics " + mine + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** "host:port" of the broker, for a client's {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return dev.bootstrapServers();
  }

  public DevKafka devKafka() {
    return dev;
  }

  /**
   * Creates a topic of this test class with {@code partitions} partitions (one replica) and
   * returns its full name: {@code name} after the class's prefix. It is deleted after the class.
   *
   * @throws IllegalStateException if it cannot be created within a minute (e.g. it exists)
   */
  public String createTopic(String name, int partitions) {
    String topic = topicName(name);
    long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all()
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      // The controller answers once the topic is in the metadata log; the broker learns of it a
      // moment later. A client that asks before would not find it.
      while (!hasLeaders(admin, topic, partitions)) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("the partitions of " + topic + " have no leader after " + ADMIN_TIMEOUT);
        }
        Thread.sleep(20);
      }
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot create topic " + topic + " on " + bootstrapServers() + ": " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + topic, e);
    }
    return topic;
  }

  /**
   * The full name of a topic of this test class, {@code name} after the class's prefix, without
   * creating it: for code under test that creates its own topics. If it exists after the class,
   * it is deleted like those of {@link #createTopic}.
   */
  public String topicName(String name) {
    String topic = prefix + name;
    synchronized (topics) {
      if (!topics.contains(topic)) {
        topics.add(topic);
      }
    }
    return topic;
  }

  private static boolean hasLeaders(Admin admin, String topic, int partitions)
      throws InterruptedException, TimeoutException {
    try {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
      return d.partitions().size() == partitions && d.partitions().stream().allMatch(p -> p.leader() != null);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause(), e.getCause());
    }
  }

  /** An admin client of the test broker (close it). */
  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis());
    return Admin.create(p);
  }
}
