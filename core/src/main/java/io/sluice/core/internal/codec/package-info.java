/**
 * INTERNAL API: the self-describing value encoding and the record batch format, versioned; golden-
 * bytes tests pin them.
 *
 * <p>Not for use outside Sluice: anything here may change in any release without notice. Public
 * types live in {@code io.sluice.core.dsl}, {@code io.sluice.core.connector},
 * {@code io.sluice.core.codec} and {@code io.sluice.core.testing}.
 */
package io.sluice.core.internal.codec;
