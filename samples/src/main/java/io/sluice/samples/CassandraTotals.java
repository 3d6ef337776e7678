package io.sluice.samples;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.CassandraSecurity;
import io.sluice.persistence.cassandra.CqlProbe;
import io.sluice.persistence.sinks.CassandraSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * {@code cassandra-sink}: keyed running totals written to a Cassandra table with
 * {@link CassandraSink}, one row per total, and checked by reading the table back.
 *
 * <pre>
 *   generator -> keyBy(key) -> process "totals" (running total per key) -> CassandraSink (upsert) -> table
 * </pre>
 *
 * <p>The table, created if absent (and its keyspace, with replication factor 1, for development):
 *
 * <pre>
 *   CREATE TABLE keyspace.table (job_id text, bucket int, key bigint, seq bigint, value bigint, total bigint,
 *                                PRIMARY KEY ((job_id, bucket), key, seq))
 * </pre>
 *
 * with {@code bucket = key mod 64}, so that a job's rows spread over 64 partitions. Every row's
 * primary key comes from its record, so writing a batch again after a failure rewrites the same
 * rows with the same values: the upsert is what makes the sink exactly-once. {@link #verify} reads
 * every partition of the job and hands the rows, in (key, seq) order, to {@link TotalsVerifier}:
 * every key's totals 1..n, each right. A record written twice is invisible by design (one row);
 * a record lost is a missing row.
 *
 * <p>Parameters: {@code keys} (default 5000), {@code records-per-key} (100), {@code keyspace}
 * ({@code sluice_samples}), {@code table} ({@code totals}), {@code contact-point}
 * ({@code 127.0.0.1:9042}), {@code local-datacenter} ({@code datacenter1}), {@code rate} (records/s, 0 =
 * unlimited), {@code splits}, {@code parallelism} (2), {@code batch-size}, {@code batch-linger},
 * {@code snapshot-every}, or {@code discard=true} (no table at all; benchmarks).
 */
public final class CassandraTotals implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "cassandra-sink";
  /** Partitions per job. */
  public static final int BUCKETS = 64;
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z][a-z0-9_]{0,47}");
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9_.-]{1,200}");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "running totals upserted into a Cassandra table and checked by reading it back; keys=5000"
        + " records-per-key=100 keyspace=sluice_samples table=totals rate=0 [parallelism=2] [discard=true]";
  }

  /** Where the rows go. */
  record Table(String keyspace, String table, String contactPoint, String localDatacenter) {
    Table {
      for (String id : List.of(keyspace, table)) {
        if (!IDENTIFIER.matcher(id).matches()) {
          throw new IllegalArgumentException("keyspace and table must be lower-case CQL identifiers (a letter, then"
              + " letters, digits or '_', at most 48), was '" + id + "'");
        }
      }
      CqlProbe.parse(contactPoint);
    }

    String name() {
      return keyspace + "." + table;
    }

    /** A session with the login and TLS of the node running in this JVM (none elsewhere). */
    CqlSession session() {
      return CassandraSecurity.node().sessionBuilder(List.of(contactPoint), localDatacenter).build();
    }
  }

  static Table table(Parameters params) {
    return new Table(params.string("keyspace", "sluice_samples"), params.string("table", "totals"),
        params.string("contact-point", "127.0.0.1:9042"), params.string("local-datacenter", "datacenter1"));
  }

  @Override
  public Pipeline create(Parameters params) {
    Generator g = SampleSinks.keyedGenerator(params, 5000, 100);
    Sink<Total> out = SampleSinks.bool(params, "discard", false) ? Sinks.discarding("out")
        : new TableSink("out", table(params));
    return pipeline(g, SampleSinks.config(params), out);
  }

  /** The pipeline, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(Generator generator, JobConfig config, Sink<? super Total> out) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", generator))
        .keyBy(GeneratedRecord::key)
        .process("totals", KeyedTotals.RunningTotal::new)
        .writeTo(out);
    return p.build();
  }

  /**
   * A {@link CassandraSink} whose rows carry the job id: a writer upserts with the job id as a
   * literal of its statement (the sink's binder sees only the record), and creates the table first
   * if the statement cannot be prepared for want of it.
   */
  static final class TableSink implements Sink<Total> {
    private final String name;
    private final Table table;

    TableSink(String name, Table table) {
      this.name = name;
      this.table = table;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public DeliveryGuarantee guarantee() {
      return DeliveryGuarantee.EXACTLY_ONCE;
    }

    @Override
    public String describe() {
      return "cassandra(" + table.name() + " at " + table.contactPoint() + ", upsert per total)";
    }

    @Override
    public SinkWriter<Total> createWriter(Context context) throws Exception {
      if (!JOB_ID.matcher(context.jobId()).matches()) {
        throw new IllegalArgumentException("job id '" + context.jobId() + "' cannot be a CQL literal");
      }
      String cql = "INSERT INTO " + table.name() + " (job_id, bucket, key, seq, value, total) VALUES ('"
          + context.jobId() + "', ?, ?, ?, ?, ?)";
      CassandraSink<Total> sink = CassandraSink.<Total>upsert(name, cql, t -> new Object[] {
          Math.floorMod(t.key(), BUCKETS), t.key(), t.seq(), t.value(), t.total()})
          .withContactPoints(List.of(table.contactPoint()), table.localDatacenter());
      try {
        // the table usually exists: a recovering instance then opens no session but the sink's own
        return sink.createWriter(context);
      } catch (IllegalArgumentException cannotPrepare) {
        createTable(table);
        return sink.createWriter(context);
      }
    }
  }

  /** Creates the keyspace (replication factor 1: development) and the table if they do not exist. */
  static void createTable(Table table) {
    if (CREATED.contains(table)) {
      return;
    }
    try (CqlSession s = table.session()) {
      s.execute(SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS " + table.keyspace()
          + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
          .setTimeout(Duration.ofSeconds(60)));
      s.execute(SimpleStatement.newInstance("CREATE TABLE IF NOT EXISTS " + table.name()
          + " (job_id text, bucket int, key bigint, seq bigint, value bigint, total bigint,"
          + " PRIMARY KEY ((job_id, bucket), key, seq))").setTimeout(Duration.ofSeconds(60)));
    }
    CREATED.add(table);
  }

  private static final Set<Table> CREATED = ConcurrentHashMap.newKeySet();

  /** Every row of job {@code jobId}, as totals in (key, seq) order per key. */
  static List<Total> read(Table table, String jobId) {
    List<Total> out = new ArrayList<>();
    try (CqlSession s = table.session()) {
      if (s.getMetadata().getKeyspace(table.keyspace()).flatMap(k -> k.getTable(table.table())).isEmpty()) {
        return out; // nothing was ever written
      }
      for (int b = 0; b < BUCKETS; b++) {
        ResultSet rs = s.execute(SimpleStatement.newInstance("SELECT key, seq, value, total FROM " + table.name()
            + " WHERE job_id = ? AND bucket = ?", jobId, b).setPageSize(5000).setTimeout(Duration.ofSeconds(60)));
        for (Row r : rs) {
          out.add(new Total(r.getLong(0), r.getLong(1), r.getLong(2), r.getLong(3)));
        }
      }
    }
    return out;
  }

  /** Reads the job's rows and checks them with {@link TotalsVerifier}; empty for {@code discard=true}. */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    if (SampleSinks.bool(params, "discard", false)) {
      return Optional.empty();
    }
    Generator g = SampleSinks.keyedGenerator(params, 5000, 100);
    List<Total> rows = read(table(params), jobId);
    TotalsVerifier.Verdict v = TotalsVerifier.verify(g, rows);
    String summary = v.summary().replaceFirst(" records delivered", " rows in " + table(params).name());
    return Optional.of(new Verdict(v.exact(), v.expected(), v.delivered(), v.lost(), v.duplicated(),
        v.outOfOrder() + v.wrongValues() + v.wrongTotals() + v.malformed(), v.examples(), summary));
  }
}
