package io.sluice.persistence.testkit;

/** Marker of test-only messages and events, serialized with Jackson CBOR (see test application.conf). */
public interface TestCbor {}
