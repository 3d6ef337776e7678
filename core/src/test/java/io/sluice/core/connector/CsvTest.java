package io.sluice.core.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.codec.CodecRegistry;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.internal.codec.ValueCodec;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import io.sluice.core.testing.JobFailedException;
import io.sluice.core.testing.PipelineTestDriver;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CSV in and out: typed fields, quoting (delimiters, quotes and line breaks inside fields), byte-range
 * splits that never cut a quoted line break, directories, headers, and malformed lines reported with
 * file and line, either failing the read or as dead letters.
 */
class CsvTest {
  private static final Schema KV_SCHEMA = Schema.builder().column("key", DataType.STRING)
      .column("value", DataType.INT).build();
  private static final Schema ALL = Schema.builder()
      .column("s", DataType.STRING).column("i", DataType.INT).column("l", DataType.BIGINT)
      .column("d", DataType.DOUBLE).column("m", DataType.DECIMAL).column("b", DataType.BOOLEAN)
      .column("day", DataType.DATE).column("ts", DataType.TIMESTAMP).build();

  @TempDir
  Path dir;

  private Path write(String name, String text) throws Exception {
    Path f = dir.resolve(name);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  private static List<Row> readAll(Source<Row> src, int splits, int step) throws Exception {
    List<Row> all = new ArrayList<>();
    for (int s = 0; s < splits; s++) {
      try (SourceReader<Row> r = src.createReader(s, splits)) {
        while (!r.isEnd()) {
          r.read(step, all::add);
        }
      }
    }
    return all;
  }

  @Test
  void everyTypeIsReadFromItsTextAndNullsFromEmptyFields() throws Exception {
    Path f = write("all.csv", "\uFEFFplain,1,10000000000,2.5,12.340,TRUE,2024-02-29,2024-02-29 23:59:58.125\r\n"
        + "\"a, \"\"quoted\"\"\nline\", -7 , -1,1e3,-0.5,false,1970-01-01,2024-03-01T00:00\n"
        + "\n"
        + "\"\",,,,,,,\n");
    List<Row> rows = readAll(Sources.csv("in", f, ALL), 1, 10);
    assertEquals(List.of(
        Row.of(ALL, "plain", 1, 10_000_000_000L, 2.5, new BigDecimal("12.340"), true, LocalDate.of(2024, 2, 29),
            LocalDateTime.of(2024, 2, 29, 23, 59, 58, 125_000_000)),
        Row.of(ALL, "a, \"quoted\"\nline", -7, -1L, 1000.0, new BigDecimal("-0.5"), false, LocalDate.of(1970, 1, 1),
            LocalDateTime.of(2024, 3, 1, 0, 0)),
        Row.of(ALL, "", null, null, null, null, null, null, null)), rows,
        "a BOM is skipped, CRLF ends a line, an empty line is no row, a quoted empty string is the empty string");
    assertEquals(1_709_251_198_125L, rows.get(0).epochMillis("ts"));
  }

  @Test
  void aNullLiteralAndAnotherDelimiterQuoteAndEscapeAreHonoured() throws Exception {
    CsvFormat tsv = CsvFormat.defaults().withDelimiter('\t').withQuote('\'').withEscape('\\').withNullLiteral("NULL")
        .withHeader(true);
    Path f = write("x.tsv", "key\tvalue\n'it''s\ta\ttab'\t1\nback\\\tslash\tNULL\n");
    assertEquals(List.of(Row.of(KV_SCHEMA, "it's\ta\ttab", 1), Row.of(KV_SCHEMA, "back\tslash", null)),
        readAll(Sources.csv("in", f, KV_SCHEMA, tsv), 1, 10));
  }

  /** Records of random fields, many with quoted delimiters, doubled quotes, line breaks, CRLF and non-ASCII. */
  private static List<Row> randomRows(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    String[] parts = {"a", "b,c", "\"", "\n", "\r\n", "é", "日本", " ", "x\"y", ",\n,"};
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder sb = new StringBuilder();
      int len = rnd.nextInt(6);
      for (int j = 0; j < len; j++) {
        sb.append(parts[rnd.nextInt(parts.length)]);
      }
      if (i == n / 2) {
        sb.append("z".repeat(150_000)); // longer than the reader's 64 KiB buffer
      }
      rows.add(Row.of(KV_SCHEMA, "k" + i + sb, i));
    }
    return rows;
  }

  @Test
  void everySplitCountReadsEveryRowOnceAndNoSplitStartsInsideAQuotedLineBreak() throws Exception {
    List<Row> rows = randomRows(400, 11);
    CsvSink sink = Sinks.csv("out", dir.resolve("written"), KV_SCHEMA);
    try (SinkWriter<Row> w = sink.createWriter(context("job-1", 0))) {
      w.write(new BatchId(0, "up", 0, 1), rows);
    }
    Path dirOfParts = sink.jobDirectory("job-1");
    String text = Files.readString(dirOfParts.resolve(List.of(dirOfParts.toFile().list()).stream()
        .filter(n -> n.startsWith("part-")).findFirst().orElseThrow()));
    assertTrue(text.contains("\"\"") && text.contains("\r\n"), "the file has quotes and line breaks in fields");
    Source<Row> src = Sources.csv("in", dirOfParts, KV_SCHEMA);
    for (int splits = 1; splits <= 9; splits++) {
      assertEquals(rows, readAll(src, splits, 7), splits + " splits");
    }
  }

  @Test
  void aSplitReadFromAReportedPositionGivesTheSameRows() throws Exception {
    List<Row> rows = randomRows(200, 5);
    CsvSink sink = Sinks.csv("out", dir.resolve("w"), KV_SCHEMA);
    try (SinkWriter<Row> w = sink.createWriter(context("j", 0))) {
      w.write(new BatchId(0, "up", 0, 1), rows);
    }
    Source<Row> src = Sources.csv("in", sink.jobDirectory("j"), KV_SCHEMA);
    List<Row> first = new ArrayList<>();
    List<Long> marks = new ArrayList<>();
    try (SourceReader<Row> r = src.createReader(1, 3)) {
      while (!r.isEnd()) {
        marks.add(r.position());
        r.read(13, first::add);
      }
    }
    for (int m = 0; m < marks.size(); m++) {
      try (SourceReader<Row> r = src.createReader(1, 3)) {
        r.seek(marks.get(m));
        List<Row> again = new ArrayList<>();
        r.read(13, again::add);
        assertEquals(first.subList(13 * m, Math.min(first.size(), 13 * m + 13)), again, "from mark " + m);
      }
    }
  }

  @Test
  void aDirectoryIsReadInNameOrderWithAHeaderPerFileSkippingHiddenFiles() throws Exception {
    CsvFormat header = CsvFormat.defaults().withHeader(true);
    write("d/b.csv", "key,value\nb1,3\nb2,4\n");
    write("d/a.csv", "key,value\na1,1\n\"a\n2\",2");
    write("d/c.csv", "");
    write("d/_SUCCESS", "not,csv,at,all\n");
    write("d/.hidden.csv", "x,y\n");
    List<Row> want = List.of(Row.of(KV_SCHEMA, "a1", 1), Row.of(KV_SCHEMA, "a\n2", 2), Row.of(KV_SCHEMA, "b1", 3),
        Row.of(KV_SCHEMA, "b2", 4));
    for (int splits = 1; splits <= 6; splits++) {
      assertEquals(want, readAll(Sources.csv("in", dir.resolve("d"), KV_SCHEMA, header), splits, 1), splits + " splits");
    }
  }

  private String failure(String text, CsvFormat format) throws Exception {
    Path f = write("bad.csv", text);
    IllegalStateException none = new IllegalStateException("no failure");
    try {
      readAll(Sources.csv("in", f, KV_SCHEMA, format), 1, 100);
    } catch (java.io.IOException e) {
      return e.getMessage().replace(f.toString(), "bad.csv");
    }
    throw none;
  }

  @Test
  void aMalformedLineFailsTheReadNamingTheFileTheLineAndTheReason() throws Exception {
    CsvFormat f = CsvFormat.defaults();
    assertEquals("source 'in': bad.csv, line 4: expected 2 fields (key STRING, value INT), found 3",
        failure("a,1\n\"b\nb\",2\nc,3,4\n", f));
    assertEquals("source 'in': bad.csv, line 2: column 2 'value': 'x7' is not an INT (a whole number from"
        + " -2147483648 to 2147483647)", failure("a,1\nb,x7\n", f));
    assertEquals("source 'in': bad.csv, line 2: column 2 'value': '99999999999' is not an INT (a whole number from"
        + " -2147483648 to 2147483647)", failure("a,1\nb,99999999999\n", f));
    assertEquals("source 'in': bad.csv, line 2: a quoted field is not closed before the end of the file",
        failure("a,1\n\"b,2\nc,3\n", f));
    assertEquals("source 'in': bad.csv, line 2: the record is longer than 8 bytes (is a quote not closed?)",
        failure("a,1\n\"bbbbbbbb,2\"\nc,3\n", f.withMaxRecordBytes(8)));
    Path bin = dir.resolve("bin.csv");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("a,1\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes(new byte[] {'o', (byte) 0xC3, 0x28, ',', '2', '\n'});
    Files.write(bin, b.toByteArray());
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> readAll(Sources.csv("in", bin, KV_SCHEMA), 1, 9));
    assertEquals("source 'in': " + bin + ", line 2: invalid UTF-8", e.getMessage());
  }

  @Test
  void aMalformedLineFailsTheJobWithTheSameMessage() throws Exception {
    Path f = write("bad.csv", "a,1\nb,2\nc,three\n");
    Pipeline.Builder p = Pipeline.builder("bad-csv");
    p.config(JobConfig.defaults().withParallelism(1).withRestartStrategy(RestartStrategy.none()));
    p.readFrom(Sources.csv("in", f, KV_SCHEMA)).writeTo(Sinks.collecting("out"));
    try (PipelineTestDriver d = PipelineTestDriver.of(p.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'in (reading split 0)' after 1 attempt(s): java.io.IOException: source 'in': "
          + f + ", line 3: column 2 'value': 'three' is not an INT (a whole number from -2147483648 to 2147483647)",
          e.getMessage());
    }
  }

  @Test
  void withDeadLettersAMalformedLineGoesThereWithFileAndLineAndTheRestIsRead() throws Exception {
    Path f = write("mixed.csv", "a,1\nb,x\n\"c\nc\",3\nd,4,4\n\"e,5\n");
    CollectingSink<Row> out = Sinks.collecting("out");
    CollectingSink<DeadLetter> dead = Sinks.collecting("dead");
    Pipeline.Builder p = Pipeline.builder("dead-csv");
    p.config(JobConfig.defaults().withParallelism(1).withRestartStrategy(RestartStrategy.none())
        .withDeadLetterSink(dead).withBatching(1, Duration.ZERO));
    p.readFrom(Sources.csv("in", f, KV_SCHEMA, CsvFormat.defaults().onError(CsvFormat.OnError.DEAD_LETTER)))
        .writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p.build())) {
      d.run();
      assertTrue(d.isFinished());
      assertEquals(List.of(Row.of(KV_SCHEMA, "a", 1), Row.of(KV_SCHEMA, "c\nc", 3)), d.results(out));
      List<String> letters = d.results(dead).stream().map(l -> l.record().replace(f.toString(), "mixed.csv")
          + " | " + l.error()).toList();
      assertEquals(List.of(
          "mixed.csv, line 2: b,x | java.lang.IllegalArgumentException: column 2 'value': 'x' is not an INT (a whole"
              + " number from -2147483648 to 2147483647)",
          "mixed.csv, line 5: d,4,4 | java.lang.IllegalArgumentException: expected 2 fields (key STRING, value INT),"
              + " found 3",
          "mixed.csv, line 6: \"e,5\n | java.lang.IllegalArgumentException: a quoted field is not closed before the"
              + " end of the file"), letters);
    }
  }

  @Test
  void aCsvPipelineIsExactWhenEveryInstanceIsCheckedForRecovery() throws Exception {
    // keys with quotes, commas and line breaks, summed per key, written as CSV and read back
    SplittableRandom rnd = new SplittableRandom(3);
    StringBuilder in = new StringBuilder("key,value\n");
    Map<String, Integer> want = new TreeMap<>();
    String[] keys = {"plain", "with,comma", "with \"quote\"", "two\nlines", "naïve", "日本"};
    for (int i = 0; i < 3_000; i++) {
      String k = keys[rnd.nextInt(keys.length)];
      int v = rnd.nextInt(100);
      want.merge(k, v, Integer::sum);
      in.append('"').append(k.replace("\"", "\"\"")).append("\",").append(v).append(i % 3 == 0 ? "\r\n" : "\n");
    }
    Path f = write("sums.csv", in.toString());
    CsvFormat header = CsvFormat.defaults().withHeader(true);
    CsvSink sink = Sinks.csv("out", dir.resolve("out"), KV_SCHEMA, header);
    Pipeline.Builder p = Pipeline.builder("csv-sums");
    p.config(JobConfig.defaults().withParallelism(3).withBatching(50, Duration.ZERO));
    p.readFrom(Sources.csv("in", f, KV_SCHEMA, header))
        .keyBy(r -> r.getString("key"))
        .reduce("sums", (a, b) -> Row.of(KV_SCHEMA, a.getString("key"), a.getInt("value") + b.getInt("value")))
        .writeTo(sink);
    String jobId;
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p.build())) {
      d.run();
      assertTrue(d.isFinished());
      jobId = d.jobId();
    }
    Map<String, Integer> last = new HashMap<>();
    List<Row> got = sink.readRows(sink.jobDirectory(jobId));
    assertEquals(3_000, got.size(), "one running sum per input row");
    for (Row r : got) {
      last.merge(r.getString("key"), r.getInt("value"), Math::max);
    }
    assertEquals(want, new TreeMap<>(last));
    assertTrue(Files.readString(PartFiles.parts(sink.jobDirectory(jobId)).get(0)).startsWith("key,value\n"),
        "each part starts with the header");
  }

  @Test
  void aBatchWrittenAgainReplacesItsPartAndARowOfAnotherShapeIsRefused() throws Exception {
    CsvSink sink = Sinks.csv("out", dir.resolve("o"), KV_SCHEMA);
    BatchId id = new BatchId(0, "up", 0, 7);
    try (SinkWriter<Row> w = sink.createWriter(context("j", 0))) {
      w.write(id, List.of(Row.of(KV_SCHEMA, "a", 1), Row.of(KV_SCHEMA, null, null)));
      w.write(id, List.of(Row.of(KV_SCHEMA, "a", 1), Row.of(KV_SCHEMA, null, null)));
      Schema other = Schema.builder().column("key", DataType.STRING).column("value", DataType.BIGINT).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> w.write(new BatchId(0, "up", 0, 8), List.of(Row.of(other, "b", 2L))));
      assertEquals("sink 'out': a row of (key STRING, value BIGINT) does not fit the table (key STRING, value INT):"
          + " (b, 2)", e.getMessage());
    }
    assertEquals(List.of(Row.of(KV_SCHEMA, "a", 1), Row.of(KV_SCHEMA, null, null)),
        sink.readRows(sink.jobDirectory("j")));
  }

  @Test
  void rowsEncodeWithoutClassNamesAndReadBackEqual() {
    ValueCodec codec = new ValueCodec(CodecRegistry.defaults(), getClass().getClassLoader());
    Row r = Row.of(ALL, "s", 1, 2L, 3.5, new BigDecimal("-1234567890123456789.000123"), true, LocalDate.of(1, 1, 1),
        LocalDateTime.of(2024, 5, 6, 7, 8, 9, 123_456_789));
    Row nulls = Row.of(ALL, null, null, null, null, null, null, null, null);
    for (Row row : List.of(r, nulls)) {
      byte[] bytes = codec.toBytes(KV.of("k", row));
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      assertTrue(text.contains("sluice.Row") && !text.contains("io.sluice"), "logical name only");
      assertEquals(KV.of("k", row), codec.fromBytes(bytes));
    }
  }

  @Test
  void badFormatsAndRowsAreRefusedWithTheReason() {
    assertEquals("the CSV delimiter must be an ASCII character other than a line break, not '\u00e9' (U+00E9)",
        assertThrows(IllegalArgumentException.class, () -> CsvFormat.defaults().withDelimiter('é')).getMessage());
    assertEquals("the delimiter ',' must differ from the quote and escape characters",
        assertThrows(IllegalArgumentException.class, () -> CsvFormat.defaults().withQuote(',')).getMessage());
    assertEquals("column 'value' is INT (Integer), not String: 1",
        assertThrows(IllegalArgumentException.class, () -> Row.of(KV_SCHEMA, "a", "1")).getMessage());
    assertEquals("no column 'x' in (key STRING, value INT)",
        assertThrows(IllegalArgumentException.class, () -> Row.of(KV_SCHEMA, "a", 1).get("x")).getMessage());
    assertEquals("column 'key' is defined twice", assertThrows(IllegalArgumentException.class,
        () -> Schema.builder().column("key", DataType.STRING).column("key", DataType.INT).build()).getMessage());
  }

  private static Sink.Context context(String job, int instance) {
    return FileSinkTest.context(job, instance);
  }
}
