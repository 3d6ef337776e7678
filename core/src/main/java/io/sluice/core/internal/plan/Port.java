package io.sluice.core.internal.plan;

/** INTERNAL API: an output of a step; windows have a second one for late records. */
public enum Port { MAIN, LATE }
