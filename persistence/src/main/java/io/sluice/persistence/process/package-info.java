/**
 * INTERNAL API: JVMs started by this one (the nodes of a local cluster, a test's victim
 * processes): output copied to a log file, SIGKILL and SIGSTOP for chaos, and a close that never
 * leaves a process behind. Not for use outside Sluice.
 */
package io.sluice.persistence.process;
