/** INTERNAL API: the meters instances and nodes record into (Micrometer), exposed by the node. */
package io.sluice.persistence.metrics;
