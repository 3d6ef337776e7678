package io.sluice.core.internal.plan;

/** INTERNAL API: an input of a logical operator: which operator's which port, partitioned how. */
public record LogicalEdge(int from, Port port, Partitioning partitioning) {}
