/**
 * {@code sluice chaos}: runs a job with a known right answer on a local cluster while killing and
 * freezing nodes and Cassandra on a seeded schedule, then prints the verdict and the recovery time
 * of each fault and writes an HTML report. It shows the job's state as the job coordinator sees it
 * (DEGRADED with the cause), and says at once when the dev Cassandra died without being killed.
 */
package io.sluice.cluster.chaos;
