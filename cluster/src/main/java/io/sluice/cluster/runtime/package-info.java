/**
 * The cluster side of running jobs: operator instances sharded over the nodes (one shard per
 * instance, spread by operator), the job coordinator (a persistent cluster singleton that owns
 * every job's lifecycle and keeps its instances alive), job status views and the jobs HTTP API.
 */
package io.sluice.cluster.runtime;
