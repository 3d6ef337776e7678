package io.sluice.persistence.runtime;

/**
 * INTERNAL API: marker of the data-plane messages, events and snapshots of operator instances,
 * serialized by {@link ProtocolSerializer} (bound in reference.conf) in a compact, versioned binary
 * form. Never Java serialization.
 */
public interface SluiceMessage {}
