/**
 * Typed rows: a {@link io.sluice.core.table.Schema} of named, typed columns and the
 * {@link io.sluice.core.table.Row}s that follow it. Table connectors (CSV) read and write rows;
 * SQL will plan onto them.
 */
package io.sluice.core.table;
