/**
 * INTERNAL API: the implementations of the DSL's stage types and the builder that validates and
 * freezes a pipeline.
 *
 * <p>Not for use outside Sluice: anything here may change in any release without notice. Public
 * types live in {@code io.sluice.core.dsl}, {@code io.sluice.core.connector},
 * {@code io.sluice.core.codec} and {@code io.sluice.core.testing}.
 */
package io.sluice.core.internal.dsl;
