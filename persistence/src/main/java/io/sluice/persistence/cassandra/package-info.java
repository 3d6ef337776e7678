/**
 * Cassandra for a node: how it logs in and whether it speaks TLS ({@code CassandraSecurity},
 * applied to every driver session through {@code FileAuthProvider} and
 * {@code FileSslEngineFactory}, which read the passwords from files), the journal's session
 * provider, a CQL reachability probe, and the dev Cassandra: Apache Cassandra 5.0 from the
 * {@code cassandra-all} artifact in its own detached JVM ({@code DevCassandra}, behind
 * {@code bin/sluice cassandra start|stop|status} and the integration tests; not for production).
 */
package io.sluice.persistence.cassandra;
