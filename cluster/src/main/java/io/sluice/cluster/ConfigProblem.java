package io.sluice.cluster;

/**
 * A node config file that cannot be used, with a message that names the file, the line and the
 * setting at fault. The node exits with a non-zero status and prints only this message.
 */
public final class ConfigProblem extends RuntimeException {
  public ConfigProblem(String message) {
    super(message);
  }

  public ConfigProblem(String message, Throwable cause) {
    super(message, cause);
  }
}
