package io.sluice.samples;

/**
 * One click of the {@code click-sessions} sample.
 *
 * @param user who clicked
 * @param page what was clicked
 * @param timestampMillis event time, milliseconds since the epoch
 */
public record Click(String user, String page, long timestampMillis) {}
