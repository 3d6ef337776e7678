package io.sluice.cluster.internal;

/**
 * INTERNAL API: marker of control-plane messages, events and snapshots serialized with Jackson CBOR
 * (bound in {@code reference.conf}). Polymorphic types use logical names
 * ({@code @JsonTypeInfo(use = NAME)}), never class names.
 */
public interface CborMessage {}
