package io.sluice.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * INTERNAL API: tables of Sluice's own next to the journal (jars, savepoints), on the journal's
 * driver session: the session is asked for on first use, the tables created then (when
 * {@code createTables} are given: development schemas) and the statements {@code S} prepared;
 * a failure is retried on the next use.
 *
 * @param <S> the prepared statements
 */
public final class CqlTables<S> {
  private final Supplier<CompletionStage<CqlSession>> sessionSource;
  private final List<String> createTables;
  private final Function<CqlSession, CompletionStage<S>> prepare;
  private final Duration timeout;
  private volatile CompletionStage<CqlSession> session;
  private volatile CompletionStage<S> statements;

  public CqlTables(Supplier<CompletionStage<CqlSession>> session, List<String> createTables,
      Function<CqlSession, CompletionStage<S>> prepare, Duration timeout) {
    this.sessionSource = session;
    this.createTables = List.copyOf(createTables);
    this.prepare = prepare;
    this.timeout = timeout;
  }

  private CompletionStage<S> statements() {
    CompletionStage<S> st = statements;
    if (st == null || st.toCompletableFuture().isCompletedExceptionally()) {
      synchronized (this) {
        st = statements;
        if (st == null || st.toCompletableFuture().isCompletedExceptionally()) {
          CompletionStage<CqlSession> s = session;
          if (s == null || s.toCompletableFuture().isCompletedExceptionally()) {
            s = sessionSource.get();
            session = s;
          }
          st = s.thenCompose(ses -> create(ses).thenCompose(v -> prepare.apply(ses)));
          statements = st;
        }
      }
    }
    return st;
  }

  private CompletionStage<Void> create(CqlSession s) {
    CompletionStage<?> f = CompletableFuture.completedFuture(null);
    for (String cql : createTables) {
      f = f.thenCompose(x -> s.executeAsync(SimpleStatement.newInstance(cql).setTimeout(Duration.ofSeconds(60))));
    }
    return f.thenApply(x -> null);
  }

  /** Runs the statement {@code bind} makes of the prepared ones, with the timeout. */
  public CompletionStage<AsyncResultSet> execute(Function<S, BoundStatement> bind) {
    return statements().thenCompose(st -> session.thenCompose(s -> s.executeAsync(bind.apply(st).setTimeout(timeout))));
  }

  /** Every row of {@code rs}, following its pages, as {@code map} makes them. */
  public static <T> CompletionStage<List<T>> all(AsyncResultSet rs, Function<Row, T> map) {
    return all(rs, map, new ArrayList<>());
  }

  private static <T> CompletionStage<List<T>> all(AsyncResultSet rs, Function<Row, T> map, List<T> into) {
    for (Row r : rs.currentPage()) {
      into.add(map.apply(r));
    }
    return rs.hasMorePages() ? rs.fetchNextPage().thenCompose(next -> all(next, map, into))
        : CompletableFuture.completedFuture(into);
  }
}
