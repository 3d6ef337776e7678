/**
 * Sinks that need the persistence module: {@code CassandraSink}, exactly-once through idempotent
 * upserts keyed by the record.
 */
package io.sluice.persistence.sinks;
