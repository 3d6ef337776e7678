package io.sluice.persistence.testkit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.cassandra.DevCassandra;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one way integration tests get Cassandra. Register it in a test class:
 *
 * <pre>{@code
 * @RegisterExtension static final CassandraExtension cassandra = new CassandraExtension();
 * }</pre>
 *
 * <p>Before the first test class of the run it reuses the running dev Cassandra (anything that
 * answers CQL on the dev port) or starts one ({@link DevCassandra}) and stops it when the run ends.
 * Every test class gets its own keyspace ({@link #keyspace()}), dropped after the class, so tests
 * never see each other's data; when a test of the class failed, the keyspace stays (its journal is
 * the evidence) and its name is printed.
 */
public final class CassandraExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private static final Object LOCK = new Object();
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(CassandraExtension.class);

  private String keyspace;
  private DevCassandra dev;
  private volatile boolean failed;

  /** Holds the Cassandra of the whole run; closed by JUnit when the run ends. */
  private static final class RunCassandra implements AutoCloseable {
    final DevCassandra dev;
    final boolean startedHere;

    RunCassandra(DevCassandra dev, boolean startedHere) {
      this.dev = dev;
      this.startedHere = startedHere;
    }

    @Override
    public void close() {
      if (startedHere) {
        Duration took = dev.stop();
        System.out.printf("[cassandra-extension] stopped the Cassandra this test run started (%.1f s)%n",
            took.toMillis() / 1000.0);
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    RunCassandra run;
    synchronized (LOCK) {
      run = context.getRoot().getStore(NS).getOrComputeIfAbsent(RunCassandra.class, k -> startOrReuse(),
          RunCassandra.class);
    }
    dev = run.dev;
    String cls = context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_");
    keyspace = "it_" + cls.substring(0, Math.min(cls.length(), 30)) + "_"
        + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 25), 36);
  }

  private static RunCassandra startOrReuse() {
    DevCassandra dev = new DevCassandra(DevCassandra.Settings.from(
        ConfigFactory.defaultReferenceUnresolved().resolve(), DevCassandra.home()));
    if (dev.servesCql()) {
      System.out.println("[cassandra-extension] reusing the Cassandra serving CQL on " + dev.contactPoint());
      return new RunCassandra(dev, false);
    }
    System.out.println("[cassandra-extension] starting the dev Cassandra on " + dev.contactPoint() + " ...");
    Duration took = dev.start();
    System.out.printf("[cassandra-extension] Cassandra serves CQL after %.1f s%n", took.toMillis() / 1000.0);
    return new RunCassandra(dev, true);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      failed = true;
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (failed) {
      System.out.println("[cassandra-extension] a test failed: keeping keyspace " + keyspace + " for inspection");
      return;
    }
    if (!dev.servesCql()) {
      return; // a test may have killed it; the keyspace goes with the next clean start
    }
    try (CqlSession s = session()) {
      s.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + keyspace)
          .setTimeout(Duration.ofSeconds(60)));
    } catch (RuntimeException e) {
      System.out.println("[cassandra-extension] could not drop keyspace " + keyspace + ": " + e);
    }
  }

  /** A driver session to the test Cassandra (close it). */
  public CqlSession session() {
    // only the test Cassandra: a builder's own contact point would be added to the config's
    return io.sluice.persistence.cassandra.CassandraSecurity.NONE.sessionBuilder(
        List.of(dev.settings().host() + ":" + dev.settings().cqlPort()), "datacenter1").build();
  }

  /** This test class's keyspace (created on first use by the persistence plugin). */
  public String keyspace() {
    return keyspace;
  }

  public DevCassandra devCassandra() {
    return dev;
  }

  public String contactPoint() {
    return dev.contactPoint();
  }

  /** Settings that point a node or actor system at this Cassandra and this class's keyspace. */
  public Map<String, String> settings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("sluice.cassandra.keyspace", keyspace);
    m.put("sluice.cassandra.schema-autocreate", "on");
    return m;
  }

  /** {@link #settings()} as -D flags for a forked JVM. */
  public List<String> jvmFlags() {
    return settings().entrySet().stream().map(e -> "-D" + e.getKey() + "=" + e.getValue()).toList();
  }

  /** {@link #settings()} as an unresolved Config, to layer over a node's or test's config before resolving. */
  public Config config() {
    return ConfigFactory.parseString("sluice.cassandra.keyspace = \"" + keyspace + "\"\n"
        + "sluice.cassandra.schema-autocreate = on\n");
  }

  /**
   * A complete, resolved config for an actor system of this test class: {@link #config()} over the
   * test's application.conf over the reference (resolved after layering, so that the journal's
   * keyspace follows {@code sluice.cassandra.keyspace}).
   */
  public Config actorSystemConfig(Config overrides) {
    return overrides.withFallback(config()).withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
  }
}
