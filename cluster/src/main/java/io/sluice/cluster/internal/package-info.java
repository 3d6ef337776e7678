/**
 * INTERNAL API: the node's HTTP server, the CBOR serializer of control-plane messages, the canary
 * entity and node probes. Not for use outside Sluice.
 */
package io.sluice.cluster.internal;
