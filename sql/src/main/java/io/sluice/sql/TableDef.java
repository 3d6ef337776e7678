package io.sluice.sql;

import io.sluice.core.table.Schema;
import java.util.Map;

/**
 * A table of a script: its columns, its connector options ({@code WITH (...)}) and, if it has
 * {@code WATERMARK FOR col AS col - INTERVAL ...}, its event-time column and how far the watermark
 * trails it.
 */
record TableDef(String name, Schema schema, Map<String, String> options, String timeColumn, long watermarkDelayMillis,
    int line) {
  TableDef {
    options = Map.copyOf(options);
  }
}
