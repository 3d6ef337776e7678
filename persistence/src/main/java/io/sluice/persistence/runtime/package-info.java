/**
 * INTERNAL API: the runtime of an operator instance: an event-sourced Pekko behavior
 * ({@code OperatorEntity}) that runs the core's operator logic under the channel protocol of
 * DESIGN.md (per-channel sequence numbers, deduplication, outboxes persisted with each step,
 * credit-based backpressure), its state and snapshot format, its messages and their serializer,
 * and the job catalog a node resolves pipelines with.
 *
 * <p>It assumes a journal that never loses a write it acknowledged; an instance that meets proof
 * of such a loss fails the job rather than continue. Not for use outside Sluice.
 */
package io.sluice.persistence.runtime;
