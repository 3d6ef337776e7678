/**
 * INTERNAL API: the node's HTTP server, the CBOR serializer of control-plane messages, the canary
 * entity, the node's journal probe and its periodic check (behind {@code /ready}), and console-line
 * helpers of the CLI. Not for use outside Sluice.
 */
package io.sluice.cluster.internal;
