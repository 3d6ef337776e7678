package io.sluice.persistence.sinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.persistence.runtime.RuntimeHarness;
import io.sluice.persistence.testkit.CassandraExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CassandraSinkIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: keyed running totals are upserted into a real Cassandra table keyed by
   * (key, seq), while sink and keyed instances are killed mid-run (the runtime itself runs on the
   * in-memory journal here; the sink is what is under test). Batches written again after a kill
   * rewrite the same rows, so the table must hold exactly one row per (key, seq) with the right
   * running total — and none missing.
   */
  @Test
  void whenSinkInstancesAreKilled_thenUpsertsLeaveExactlyTheRightRows() {
    long keys = 100;
    long perKey = 100;
    String table = cassandra.keyspace() + ".totals";
    try (CqlSession s = cassandra.session()) {
      s.execute(SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS " + cassandra.keyspace()
          + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").setTimeout(Duration.ofSeconds(30)));
      s.execute(SimpleStatement.newInstance("CREATE TABLE " + table
          + " (key bigint, seq bigint, total bigint, PRIMARY KEY (key, seq))").setTimeout(Duration.ofSeconds(30)));
    }
    Pipeline.Builder p = Pipeline.builder("totals-to-cassandra").config(JobConfig.defaults().withParallelism(2)
        .withBatching(50, Duration.ofMillis(2)).withSnapshotEvery(5));
    // 10,000 records at 2,500 per second: the job lasts 4 s, the 10 kills take about 1.5 s
    p.readFrom(Sources.generator("events", Generator.keyed(keys, perKey).withRate(2_500)))
        .keyBy(GeneratedRecord::key)
        .reduce("totals", (a, r) -> new GeneratedRecord(r.key(), r.seq(), a.value() + r.value(), r.timestamp()))
        .writeTo(CassandraSink.<GeneratedRecord>upsert("table",
            "INSERT INTO " + table + " (key, seq, total) VALUES (?, ?, ?)",
            r -> new Object[] {r.key(), r.seq(), r.value()}));
    int kills = RuntimeHarness.runWithKills(p.build(), 10, Duration.ofSeconds(90));
    assertEquals(10, kills, "the job ended before every kill");
    try (CqlSession s = cassandra.session()) {
      long rows = 0;
      for (Row r : s.execute(SimpleStatement.newInstance("SELECT key, seq, total FROM " + table)
          .setTimeout(Duration.ofSeconds(30)).setPageSize(5000))) {
        long key = r.getLong("key");
        long seq = r.getLong("seq");
        assertEquals(Generator.sumOfFirst(key, seq), r.getLong("total"), "running total of key " + key + " at " + seq);
        rows++;
      }
      assertEquals(keys * perKey, rows, "one row per record, none missing");
    }
    assertTrue(kills > 0);
  }
}
