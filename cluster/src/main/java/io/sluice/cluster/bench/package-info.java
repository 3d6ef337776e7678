/**
 * {@code sluice bench}: the keyed running-sum benchmark on one node with Cassandra (events/s,
 * latency, journal bytes per record, CPU, optional flight-recorder profile).
 */
package io.sluice.cluster.bench;
