package io.sluice.persistence.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** INTERNAL API: what the Kafka source and sink share: client properties and topic lookups. */
final class KafkaClients {
  /** How long a metadata lookup (partitions of a topic) may take before it is reported as failed. */
  static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(30);

  private KafkaClients() {}

  /** {@code properties} with {@code key} set to {@code value}, for the connectors' withProperty. */
  static Map<String, String> with(Map<String, String> properties, String key, String value) {
    Map<String, String> p = new java.util.LinkedHashMap<>(properties);
    p.put(java.util.Objects.requireNonNull(key, "key"), java.util.Objects.requireNonNull(value, "value"));
    return p;
  }

  static Properties properties(Map<String, String> user) {
    Properties p = new Properties();
    p.putAll(user);
    return p;
  }

  /**
   * The number of partitions of {@code topic}, or an {@link IllegalArgumentException} that says
   * what is wrong: the topic does not exist, access is denied, or the brokers do not answer.
   */
  static int partitions(Map<String, String> properties, String topic) {
    String servers = properties.get("bootstrap.servers");
    Properties p = properties(properties);
    p.put("request.timeout.ms", "10000");
    p.put("default.api.timeout.ms", Long.toString(LOOKUP_TIMEOUT.toMillis()));
    try (Admin admin = Admin.create(p)) {
      TopicDescription d = admin.describeTopics(java.util.List.of(topic)).allTopicNames()
          .get(LOOKUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
      return d.partitions().size();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof UnknownTopicOrPartitionException) {
        throw new IllegalArgumentException("Kafka topic '" + topic + "' does not exist at " + servers
            + " (Sluice does not create topics: create it with the partitions you want)", c);
      }
      if (c instanceof TopicAuthorizationException) {
        throw new IllegalArgumentException("not authorized to describe Kafka topic '" + topic + "' at " + servers
            + ": " + c.getMessage(), c);
      }
      throw new IllegalArgumentException("cannot look up Kafka topic '" + topic + "' at " + servers + ": " + c, c);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalArgumentException("Kafka at " + servers + " did not answer within " + LOOKUP_TIMEOUT.toSeconds()
          + " s while looking up topic '" + topic + "'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while looking up Kafka topic '" + topic + "'", e);
    }
  }

  static void requireServers(Map<String, String> properties) {
    String s = properties.get("bootstrap.servers");
    if (s == null || s.isBlank()) {
      throw new IllegalArgumentException("Kafka property 'bootstrap.servers' is required");
    }
  }
}
