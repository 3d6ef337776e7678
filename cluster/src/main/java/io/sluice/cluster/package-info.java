/**
 * A Sluice node: starts from a config file ({@link io.sluice.cluster.NodeConfig}), joins the
 * Pekko cluster, hosts sharded operator instances and the job coordinator, and serves the HTTP
 * API. {@link io.sluice.cluster.Main} is the {@code sluice} command line.
 */
package io.sluice.cluster;
