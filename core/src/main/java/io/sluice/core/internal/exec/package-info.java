/**
 * INTERNAL API: operator logic as deterministic steps (sources, keyed state, windows, sinks),
 * their change and snapshot formats, key groups and restart tracking; the runtime (persistence
 * module, test driver) wraps them.
 *
 * <p>Not for use outside Sluice: anything here may change in any release without notice. Public
 * types live in {@code io.sluice.core.dsl}, {@code io.sluice.core.connector},
 * {@code io.sluice.core.codec} and {@code io.sluice.core.testing}.
 */
package io.sluice.core.internal.exec;
