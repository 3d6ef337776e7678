package io.sluice.persistence.runtime;

/**
 * INTERNAL API: the snapshot of an operator instance, already encoded in the actor's thread
 * ({@link InstanceState#snapshot}), so that the snapshot store serializes immutable bytes.
 */
public record InstanceSnapshot(byte[] bytes) implements SluiceMessage {}
