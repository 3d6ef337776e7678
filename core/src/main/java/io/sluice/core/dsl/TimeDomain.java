package io.sluice.core.dsl;

/** The clock a timer follows. */
public enum TimeDomain { EVENT_TIME, PROCESSING_TIME }
