package io.sluice.sql;

import io.sluice.core.table.Schema;
import java.util.List;
import java.util.Map;

/**
 * A table of a script: its columns, its connector options ({@code WITH (...)}) and, if it has
 * {@code WATERMARK FOR col AS col - INTERVAL ...}, its event-time column and how far the watermark
 * trails it; and its {@code PRIMARY KEY (...) NOT ENFORCED} columns, if any (an upsert sink's key).
 */
record TableDef(String name, Schema schema, Map<String, String> options, String timeColumn, long watermarkDelayMillis,
    List<String> primaryKey, int line) {
  TableDef {
    options = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(options));
    primaryKey = List.copyOf(primaryKey);
  }
}
