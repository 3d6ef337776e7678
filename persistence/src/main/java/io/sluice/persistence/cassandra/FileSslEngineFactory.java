package io.sluice.persistence.cassandra;

import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.config.DriverOption;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.metadata.EndPoint;
import com.datastax.oss.driver.api.core.ssl.SslEngineFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * INTERNAL API: the Cassandra driver's TLS engine factory of every session a node opens
 * ({@code advanced.ssl-engine-factory.class} in the driver config, set by
 * {@link CassandraSecurity}). It reads {@code advanced.ssl-engine-factory.truststore-path}, the
 * optional {@code keystore-path} (a client certificate, for Cassandra's
 * {@code require_client_auth}) and {@code hostname-validation} as the driver's own factory does,
 * but takes the stores' password from the file named by
 * {@code advanced.ssl-engine-factory.password-file} instead of the config. The stores are read
 * once, when the session starts.
 */
public final class FileSslEngineFactory implements SslEngineFactory {
  /** The driver config's key of the stores' password file (ours; the driver's factory has none). */
  public static final DriverOption PASSWORD_FILE = () -> "advanced.ssl-engine-factory.password-file";

  private final SSLContext context;
  private final boolean hostnameValidation;

  /** The driver constructs the factory by reflection, with this constructor. */
  public FileSslEngineFactory(DriverContext driver) {
    DriverExecutionProfile p = driver.getConfig().getDefaultProfile();
    String keyStore = p.getString(DefaultDriverOption.SSL_KEYSTORE_PATH, "");
    this.context = context(Path.of(p.getString(DefaultDriverOption.SSL_TRUSTSTORE_PATH)),
        keyStore.isEmpty() ? null : Path.of(keyStore), Path.of(p.getString(PASSWORD_FILE)));
    this.hostnameValidation = p.getBoolean(DefaultDriverOption.SSL_HOSTNAME_VALIDATION, true);
  }

  /**
   * A TLS client context that trusts what {@code trustStore} holds and, with a {@code keyStore},
   * shows its key; both opened with the password in {@code passwordFile}.
   *
   * @throws IllegalStateException naming the file that cannot be used (never the password)
   */
  static SSLContext context(Path trustStore, Path keyStore, Path passwordFile) {
    char[] password;
    try {
      password = CassandraSecurity.readSecret(passwordFile);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the TLS password file " + passwordFile + " ("
          + CassandraSecurity.TLS_PASSWORD_FILE + "): " + e.getClass().getSimpleName(), e);
    }
    try {
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(load(trustStore, password, CassandraSecurity.TRUST_STORE));
      KeyManagerFactory keys = null;
      if (keyStore != null) {
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(keyStore, password, CassandraSecurity.KEY_STORE), password);
      }
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS to Cassandra: " + e.getMessage(), e);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  /** Opens a PKCS12 or JKS store (the JDK tells them apart). */
  static KeyStore load(Path file, char[] password, String setting) {
    try {
      return KeyStore.getInstance(file.toFile(), password);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("the password in " + CassandraSecurity.TLS_PASSWORD_FILE + " does not open "
          + file + " (" + setting + ") as a PKCS12 or JKS store: " + e.getClass().getSimpleName(), e);
    }
  }

  @Override
  public SSLEngine newSslEngine(EndPoint endPoint) {
    SocketAddress a = endPoint.resolve();
    SSLEngine engine = a instanceof InetSocketAddress i
        ? context.createSSLEngine(i.getHostString(), i.getPort()) : context.createSSLEngine();
    engine.setUseClientMode(true);
    if (hostnameValidation) {
      SSLParameters params = engine.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      engine.setSSLParameters(params);
    }
    return engine;
  }

  @Override
  public void close() {
  }
}
