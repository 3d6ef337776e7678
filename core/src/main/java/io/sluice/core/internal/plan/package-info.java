/**
 * INTERNAL API: the logical plan a pipeline is built into, and the physical plan of chained
 * operators, instances and channels.
 *
 * <p>Not for use outside Sluice: anything here may change in any release without notice. Public
 * types live in {@code io.sluice.core.dsl}, {@code io.sluice.core.connector},
 * {@code io.sluice.core.codec} and {@code io.sluice.core.testing}.
 */
package io.sluice.core.internal.plan;
