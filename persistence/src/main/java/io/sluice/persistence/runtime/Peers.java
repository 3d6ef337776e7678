package io.sluice.persistence.runtime;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * INTERNAL API: how an operator instance reaches the rest of the job: other instances (through
 * Cluster Sharding in a cluster, through a map of actors in tests) and the job coordinator.
 * Every method is fire-and-forget and may silently lose the message: the channel protocol
 * resends.
 */
public interface Peers {
  /** Sends to the instance {@code target}, starting it if it does not run. */
  void send(InstanceId target, OperatorCommand command);

  /** Reports an instance's progress, end or failure to the job coordinator. */
  void report(InstanceReport report);

  /** Asks the job coordinator for a job's spec; empty if the job is unknown or no longer runs. */
  CompletionStage<Optional<JobSpec>> lookup(String jobId);

  /**
   * Messages between these instances seem to vanish: {@code from} has resent to {@code to} for a
   * while and heard nothing back. Asks whatever routes them to look their homes up afresh. A no-op
   * where routes cannot go stale.
   */
  default void suspectRoutes(InstanceId from, InstanceId to) {}

  /** Tells the job coordinator about this instance's part of a savepoint (or why it has none yet). */
  default void savepointPart(SavepointPartReport part) {}

  /** The name of this node, for reports. */
  String nodeName();
}
