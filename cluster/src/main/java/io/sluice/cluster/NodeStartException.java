package io.sluice.cluster;

/** A node could not start for a reason outside its config file (a port in use, Cassandra down). */
public final class NodeStartException extends RuntimeException {
  public NodeStartException(String message) {
    super(message);
  }

  public NodeStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
