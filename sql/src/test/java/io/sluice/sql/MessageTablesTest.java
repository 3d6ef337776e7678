package io.sluice.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CsvFormat;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

/**
 * Tables whose records are messages (Kafka): rows as JSON objects and as CSV records, Flink's
 * rules for missing and null fields, the reasons a message is refused, and the Kafka options.
 */
class MessageTablesTest {
  private static final Schema ORDERS = Schema.builder().column("user", DataType.STRING)
      .column("amount", DataType.DECIMAL).column("n", DataType.INT).column("ts", DataType.TIMESTAMP).build();

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void jsonObjectsBecomeRowsAndRowsJsonObjects() {
    RowFormats.Format json = RowFormats.json(ORDERS, false);
    assertEquals(Row.of(ORDERS, "a \"b\"", new BigDecimal("12.30"), 7, LocalDateTime.of(2024, 1, 2, 3, 4, 5)),
        json.read(bytes("{\"user\":\"a \\\"b\\\"\",\"amount\":12.30,\"n\":\"7\",\"ts\":\"2024-01-02 03:04:05\","
            + "\"extra\":[1]}")));
    assertEquals(Row.of(ORDERS, null, null, null, null), json.read(bytes("{\"amount\":null}")),
        "missing and null fields are null");
    Row r = Row.of(ORDERS, "ü\n", new BigDecimal("-0.001"), Integer.MIN_VALUE, LocalDateTime.of(1999, 12, 31, 23, 59));
    assertEquals("{\"user\":\"ü\\n\",\"amount\":-0.001,\"n\":-2147483648,\"ts\":\"1999-12-31 23:59:00\"}",
        new String(json.write(r), StandardCharsets.UTF_8));
    assertEquals(r, json.read(json.write(r)));
  }

  @Test
  void aJsonMessageThatIsNotARowIsRefusedWithTheReason() {
    RowFormats.Format json = RowFormats.json(ORDERS, false);
    assertEquals("malformed JSON: Unexpected end-of-input within/between Object entries",
        assertThrows(IllegalArgumentException.class, () -> json.read(bytes("{\"user\":"))).getMessage());
    assertEquals("not a JSON object", assertThrows(IllegalArgumentException.class, () -> json.read(bytes("[1]")))
        .getMessage());
    assertEquals("field 'n': 3000000000 is not an INT", assertThrows(IllegalArgumentException.class,
        () -> json.read(bytes("{\"n\":3000000000}"))).getMessage());
    assertEquals("field 'amount': true is not a DECIMAL", assertThrows(IllegalArgumentException.class,
        () -> json.read(bytes("{\"amount\":true}"))).getMessage());
    assertEquals("field 'ts': 'yesterday' is not a TIMESTAMP (yyyy-MM-dd HH:mm:ss[.fraction])",
        assertThrows(IllegalArgumentException.class, () -> json.read(bytes("{\"ts\":\"yesterday\"}"))).getMessage());
    assertEquals("field 'n' is missing", assertThrows(IllegalArgumentException.class,
        () -> RowFormats.json(ORDERS, true).read(bytes("{\"user\":\"a\",\"amount\":1,\"ts\":null}"))).getMessage());
  }

  @Test
  void csvMessagesHoldOneRecordEach() {
    RowFormats.Format csv = RowFormats.csv(ORDERS, CsvFormat.defaults());
    Row r = Row.of(ORDERS, "a,\"b\"\nc", new BigDecimal("1.50"), null, LocalDateTime.of(2024, 1, 2, 3, 4, 5, 6_000_000));
    assertEquals("\"a,\"\"b\"\"\nc\",1.50,,\"2024-01-02 03:04:05.006\"", new String(csv.write(r),
        StandardCharsets.UTF_8), "Jackson quotes a field with a space");
    assertEquals(r, csv.read(csv.write(r)));
    assertEquals(r, csv.read(bytes("\"a,\"\"b\"\"\nc\",1.50,,2024-01-02 03:04:05.006\r\n")), "a trailing line break");
    assertEquals("expected 4 fields (user STRING, amount DECIMAL, n INT, ts TIMESTAMP), found 2",
        assertThrows(IllegalArgumentException.class, () -> csv.read(bytes("a,1"))).getMessage());
  }

  private static String error(String script) {
    return assertThrows(SqlException.class, () -> new SqlPlanner(Path.of(".")).plan(script)).getMessage();
  }

  @Test
  void kafkaTablesCheckTheirOptions() {
    String start = "CREATE TABLE k (a STRING) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json',"
        + " 'properties.bootstrap.servers' = '127.0.0.1:9092'";
    assertEquals("line 1, column 1: table 'k': 'scan.startup.mode' must be 'earliest-offset', 'latest-offset',"
        + " 'group-offsets' or 'timestamp', not 'first'", error(start + ", 'scan.startup.mode' = 'first');"));
    assertEquals("line 1, column 1: table 'k': 'scan.startup.mode' = 'timestamp' needs"
        + " 'scan.startup.timestamp-millis' (milliseconds since the epoch), not null",
        error(start + ", 'scan.startup.mode' = 'timestamp');"));
    assertEquals("line 1, column 1: table 'k': format 'avro' is not supported; the formats are 'csv' and 'json'",
        error(start.replace("'json'", "'avro'") + ");"));
    assertEquals("line 1, column 1: table 'k': the kafka connector needs 'topic'",
        error(start.replace("'topic' = 't', ", "") + ");"));
    assertTrue(error(start + ", 'sink.semantic' = 'exactly-once');").startsWith("line 1, column 1: Unsupported"
        + " options found for 'kafka' (table 'k'): [sink.semantic]; supported options: ["));
    assertEquals("line 1, column 1: table 'k': 'sink.delivery-guarantee' must be 'exactly-once' or"
        + " 'at-least-once', not 'none'", error(start + ", 'sink.delivery-guarantee' = 'none');"));
    new SqlPlanner(Path.of(".")).plan(start + ", 'properties.client.id' = 'c', 'scan.bounded.mode' = 'latest-offset',"
        + " 'scan.startup.mode' = 'group-offsets', 'properties.group.id' = 'g');"); // a valid table: no broker needed yet
  }
}
