package io.sluice.core.connector;

/**
 * What a job or a sink promises about each record.
 *
 * <ul>
 *   <li>{@code EXACTLY_ONCE}: every record's effect is in the output exactly once, across failures.
 *   <li>{@code AT_LEAST_ONCE}: nothing is lost, but a failure may repeat records.
 * </ul>
 */
public enum DeliveryGuarantee { EXACTLY_ONCE, AT_LEAST_ONCE }
