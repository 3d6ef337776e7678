package io.sluice.persistence.cassandra;

import com.datastax.oss.driver.api.core.auth.PlainTextAuthProviderBase;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.config.DriverOption;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.metadata.EndPoint;
import java.io.IOException;
import java.nio.file.Path;

/**
 * INTERNAL API: the Cassandra driver's auth provider of every session a node opens
 * ({@code advanced.auth-provider.class} in the driver config, set by {@link CassandraSecurity}).
 * Logs in with Cassandra's {@code PasswordAuthenticator} (SASL PLAIN) as
 * {@code advanced.auth-provider.username}, with the password read from the file named by
 * {@code advanced.auth-provider.password-file}. The driver's own plain-text provider takes the
 * password from the config; this one keeps it out of every config, and reads the file for each
 * new connection, so a changed password is used without a restart.
 *
 * <p>If the file cannot be read, the connection fails with a message that names the file, never
 * its content.
 */
public final class FileAuthProvider extends PlainTextAuthProviderBase {
  /** The driver config's key of the password file (ours; the driver's provider has none). */
  public static final DriverOption PASSWORD_FILE = () -> "advanced.auth-provider.password-file";

  private final String username;
  private final Path passwordFile;

  /** The driver constructs the provider by reflection, with this constructor. */
  public FileAuthProvider(DriverContext context) {
    this(context.getSessionName(), context.getConfig().getDefaultProfile());
  }

  private FileAuthProvider(String sessionName, DriverExecutionProfile profile) {
    this(sessionName, profile.getString(DefaultDriverOption.AUTH_PROVIDER_USER_NAME),
        Path.of(profile.getString(PASSWORD_FILE)));
  }

  FileAuthProvider(String sessionName, String username, Path passwordFile) {
    super(sessionName);
    this.username = username;
    this.passwordFile = passwordFile;
  }

  @Override
  protected Credentials getCredentials(EndPoint endPoint, String serverAuthenticator) {
    try {
      return new Credentials(username.toCharArray(), CassandraSecurity.readSecret(passwordFile));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the Cassandra password file " + passwordFile + " ("
          + CassandraSecurity.PASSWORD_FILE + "): " + e.getClass().getSimpleName(), e);
    }
  }
}
