/**
 * The dev Cassandra: Apache Cassandra 5.0 from the {@code cassandra-all} artifact in its own
 * detached JVM ({@code DevCassandra}, behind {@code bin/sluice cassandra start|stop|status} and
 * the integration tests), and a CQL reachability probe. Not for production.
 */
package io.sluice.persistence.cassandra;
