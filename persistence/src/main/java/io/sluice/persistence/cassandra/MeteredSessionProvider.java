package io.sluice.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.internal.core.config.typesafe.DefaultDriverConfigLoader;
import com.typesafe.config.Config;
import io.sluice.persistence.metrics.SluiceMetrics;
import java.nio.file.Path;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.stream.connectors.cassandra.CqlSessionProvider;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * INTERNAL API: the Cassandra session of the journal, the snapshot store and the state store
 * ({@code pekko.persistence.cassandra.session-provider}): the driver's session from the same
 * driver config as Pekko's default provider, with the driver's metrics recorded into the node's
 * meters ({@link SluiceMetrics}), so that {@code /metrics} shows requests, their latency, errors
 * and connections per Cassandra node, and with the node's login and TLS ({@link CassandraSecurity}).
 * Pekko constructs it by reflection.
 */
public final class MeteredSessionProvider implements CqlSessionProvider {
  private final ActorSystem system;
  private final Config config;

  public MeteredSessionProvider(ActorSystem system, Config config) {
    this.system = system;
    this.config = config;
  }

  @Override
  public Future<CqlSession> connect(ExecutionContext ec) {
    CassandraSecurity security;
    try {
      security = CassandraSecurity.from(system.settings().config(), Path.of("").toAbsolutePath());
    } catch (CassandraSecurity.Problem e) {
      return scala.concurrent.Future$.MODULE$.failed(new IllegalArgumentException("setting '" + e.setting() + "' " + e.getMessage(), e));
    }
    // the node's login and TLS: the files' paths, never their content
    Config driver = security.driverConfig().withFallback(CqlSessionProvider.driverConfig(system, config));
    return FutureConverters.asScala(CqlSession.builder()
        .withConfigLoader(new DefaultDriverConfigLoader(() -> driver, false))
        .withMetricRegistry(SluiceMetrics.get(Adapter.toTyped(system)).registry())
        .buildAsync());
  }
}
