/**
 * INTERNAL API: JVMs started by this one. A {@link io.sluice.persistence.process.ChildJvm} (a node
 * of a local cluster, a test's victim process) lives as long as its starter: output copied to a
 * log file, SIGKILL and SIGSTOP for chaos, and a close that never leaves a process behind. A
 * {@link io.sluice.persistence.process.DetachedJvm} (the dev Cassandra, the dev Kafka broker)
 * outlives it and is found again through its pid file. Not for use outside Sluice.
 */
package io.sluice.persistence.process;
