/**
 * INTERNAL API: users' pipeline jars, stored durably in the cluster (Cassandra, in bounded
 * chunks), pinned by content hash, cached on each node that runs one of their jobs and loaded in
 * a class loader of their own.
 */
package io.sluice.persistence.jars;
