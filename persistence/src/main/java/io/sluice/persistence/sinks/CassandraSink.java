package io.sluice.persistence.sinks;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import io.sluice.persistence.cassandra.CassandraSecurity;
import io.sluice.persistence.cassandra.CqlProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Writes records to a Cassandra table with an upsert ({@code INSERT} or {@code UPDATE}) per record.
 *
 * <p>Exactly-once, with one condition on the statement: each record must land in a row whose
 * primary key comes from the record itself (an id, a key and a sequence number...), and the values
 * it writes must come from the record alone. Then writing a batch again after a failure rewrites
 * the same rows with the same values: an upsert is idempotent. A statement that appends (a counter
 * column, a list append) would make it at-least-once; don't use one.
 *
 * <pre>{@code
 * Sink<Total> sink = CassandraSink.upsert("totals",
 *     "INSERT INTO shop.totals (key, seq, total) VALUES (?, ?, ?)",
 *     t -> new Object[] {t.key(), t.seq(), t.total()});
 * }</pre>
 *
 * <p>On a node, the sink logs into Cassandra and speaks TLS as the node's journal does
 * ({@code sluice.cassandra.auth} and {@code sluice.cassandra.tls} of the node file), unless given
 * other settings with {@link #withSecurity}.
 *
 * <p>One driver session per JVM, contact points and settings is shared by the writers of all jobs; records of a
 * batch are written concurrently (up to 256 at a time) and the batch counts as written once every
 * write succeeded.
 *
 * @param <T> the record type
 */
public final class CassandraSink<T> implements Sink<T> {
  /** The bind values of one record, in the order of the statement's markers. */
  @FunctionalInterface
  public interface Binder<T> {
    Object[] values(T record);
  }

  private static final int IN_FLIGHT = 256;
  private static final Map<String, SharedSession> SESSIONS = new HashMap<>();

  private final String name;
  private final String cql;
  private final Binder<? super T> binder;
  private final List<String> contactPoints;
  private final String localDatacenter;
  private final Duration timeout;
  /** Null: the node's ({@link CassandraSecurity#node()}, known only where the writer runs). */
  private final CassandraSecurity security;

  private CassandraSink(String name, String cql, Binder<? super T> binder, List<String> contactPoints,
      String localDatacenter, Duration timeout, CassandraSecurity security) {
    this.name = Objects.requireNonNull(name, "sink name");
    this.cql = Objects.requireNonNull(cql, "statement");
    this.binder = Objects.requireNonNull(binder, "binder");
    this.contactPoints = List.copyOf(contactPoints);
    this.localDatacenter = localDatacenter;
    this.timeout = timeout;
    this.security = security;
    String verb = cql.trim().toUpperCase(Locale.ROOT);
    if (!verb.startsWith("INSERT") && !verb.startsWith("UPDATE")) {
      throw new IllegalArgumentException("sink '" + name + "': the statement must be an INSERT or UPDATE (an upsert),"
          + " was: " + cql);
    }
  }

  /** Upserts with {@code cql}, binding each record's {@code binder} values; Cassandra at 127.0.0.1:9042. */
  public static <T> CassandraSink<T> upsert(String name, String cql, Binder<? super T> binder) {
    return new CassandraSink<>(name, cql, binder, List.of("127.0.0.1:9042"), "datacenter1", Duration.ofSeconds(30),
        null);
  }

  public CassandraSink<T> withContactPoints(List<String> contactPoints, String localDatacenter) {
    for (String cp : contactPoints) {
      CqlProbe.parse(cp);
    }
    return new CassandraSink<>(name, cql, binder, contactPoints, localDatacenter, timeout, security);
  }

  /**
   * Logs in and speaks TLS as {@code security} says, instead of as the node does
   * ({@code sluice.cassandra.auth} and {@code .tls} of the node file: the default, for a sink that
   * writes into the Cassandra of the node's journal). {@link CassandraSecurity#NONE} for a
   * Cassandra without login or TLS.
   */
  public CassandraSink<T> withSecurity(CassandraSecurity security) {
    return new CassandraSink<>(name, cql, binder, contactPoints, localDatacenter, timeout,
        Objects.requireNonNull(security, "security"));
  }

  /** How long a batch may take before the write counts as failed (and is retried). */
  public CassandraSink<T> withTimeout(Duration timeout) {
    return new CassandraSink<>(name, cql, binder, contactPoints, localDatacenter, timeout, security);
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
    return "cassandra(" + cql + ")";
  }

  @Override
  public SinkWriter<T> createWriter(Context context) {
    SharedSession shared = acquire();
    PreparedStatement prepared;
    try {
      prepared = shared.session.prepare(cql);
    } catch (RuntimeException e) {
      release(shared);
      throw new IllegalArgumentException("sink '" + name + "': cannot prepare " + cql + ": " + e.getMessage(), e);
    }
    return new SinkWriter<>() {
      @Override
      public void write(BatchId id, List<T> records) throws Exception {
        List<CompletableFuture<AsyncResultSet>> inFlight = new ArrayList<>(Math.min(records.size(), IN_FLIGHT));
        for (T r : records) {
          BoundStatement s = prepared.bind(binder.values(r)).setTimeout(timeout).setIdempotent(true);
          CompletionStage<AsyncResultSet> f = shared.session.executeAsync(s);
          inFlight.add(f.toCompletableFuture());
          if (inFlight.size() == IN_FLIGHT) {
            await(inFlight);
          }
        }
        await(inFlight);
      }

      private void await(List<CompletableFuture<AsyncResultSet>> futures) throws Exception {
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
            .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        futures.clear();
      }

      @Override
      public void close() {
        release(shared);
      }
    };
  }

  private static final class SharedSession {
    final String key;
    final CqlSession session;
    int users;

    SharedSession(String key, CqlSession session) {
      this.key = key;
      this.session = session;
    }
  }

  private SharedSession acquire() {
    CassandraSecurity sec = security == null ? CassandraSecurity.node() : security;
    String key = contactPoints + "@" + localDatacenter + " " + sec;
    synchronized (SESSIONS) {
      SharedSession s = SESSIONS.get(key);
      if (s == null) {
        s = new SharedSession(key, sec.sessionBuilder(contactPoints, localDatacenter).build());
        SESSIONS.put(key, s);
      }
      s.users++;
      return s;
    }
  }

  private static void release(SharedSession s) {
    synchronized (SESSIONS) {
      if (--s.users == 0) {
        SESSIONS.remove(s.key);
        s.session.close();
      }
    }
  }
}
