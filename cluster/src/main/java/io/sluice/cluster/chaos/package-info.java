/**
 * {@code sluice chaos}: runs a job with a known right answer on a local cluster while killing and
 * freezing nodes and Cassandra on a seeded schedule, then prints the verdict and the recovery time
 * of each fault and writes an HTML report. It shows the job's state as the job coordinator sees it
 * (DEGRADED with the cause), and says at once when the dev Cassandra died without being killed.
 *
 * <p>With {@code --network} the nodes run in network namespaces and the seeded schedule also cuts
 * the network ({@link io.sluice.cluster.chaos.NetworkSchedule}): for each cut the verdict tells
 * when records flowed again and which nodes stayed members and which downed themselves, and
 * {@link io.sluice.cluster.chaos.JournalWriters} reads the journal for instances written by two
 * incarnations interleaved, which fails the run.
 */
package io.sluice.cluster.chaos;
