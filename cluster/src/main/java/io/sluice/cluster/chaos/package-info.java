/**
 * {@code sluice chaos}: runs a job with a known right answer on a local cluster while killing and
 * freezing nodes and Cassandra on a seeded schedule, then prints the verdict and the recovery time
 * of each fault and writes an HTML report.
 */
package io.sluice.cluster.chaos;
