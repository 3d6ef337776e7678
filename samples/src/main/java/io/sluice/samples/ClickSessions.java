package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.dsl.WindowDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code click-sessions}: event-time session windows over deterministic clicks.
 *
 * <pre>
 *   generator -> withTimestamps(click time, out-of-orderness = gap) -> flatMap(Click)
 *     -> keyBy(user) -> window(session(gap)) -> aggregate "sessions" (clicks, first, last) -> Session -> sink
 * </pre>
 *
 * <p><b>The clicks.</b> A {@link Generator} with {@code users} keys and
 * {@code sessions-per-user * 5} records per key; record {@code seq} of user {@code u} is slot
 * {@code p = (seq - 1) mod 5} of session {@code k = (seq - 1) div 5}. Session {@code k} of
 * {@code u} has {@code 1 + (7u + 3k) mod 5} clicks (slots beyond are dropped), at
 * <pre>
 *   start + k * 4 * gap + (u mod 8) * gap / 16 + p * (gap / 2)
 * </pre>
 * so clicks of a session are half a gap apart and sessions two gaps apart: every session is one
 * session window, whatever the parallelism. In every third session ({@code (u + k) mod 3 = 0})
 * with three or more clicks, clicks 1 and 2 swap times: click 1 arrives a whole gap after click 0
 * (for an even gap exactly one gap: its window touches click 0's and, as in Flink, merges with
 * it) and click 2 arrives half a gap earlier, out of order, inside the merged window. In every
 * third session with exactly two clicks ({@code (u + k) mod 3 = 1}), click 1 is exactly one gap
 * after click 0, for any gap: still one session, as in Flink.
 * Records are never more than the out-of-orderness (one gap) behind the largest time seen, so none
 * is late.
 *
 * <p>Parameters: {@code users} (default 1000), {@code sessions-per-user} (default 10), {@code gap}
 * (default 30s; at least 16ms), {@code rate} (generator records per second over all splits, 0 =
 * unlimited; a user has {@value #MAX_CLICKS} records per session, of which 1 to 5 are clicks: use it to
 * make a chaos run last a minute or two), {@code parallelism} (default 2), {@code batch-size},
 * {@code batch-linger}, {@code snapshot-every} (as in {@link JobConfig}), {@code output} (directory of a
 * file sink, default {@code out/click-sessions}, one {@link Session#toLine()} line per session) or
 * {@code discard=true}; {@code fsync=false} skips the fsync of each part file.
 */
public final class ClickSessions implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "click-sessions";
  /** Slots per session: the most clicks a session has. */
  public static final int MAX_CLICKS = 5;
  /** Event time of the first session of user 0. */
  public static final Instant START = Instant.parse("2024-01-01T00:00:00Z");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "event-time session windows over generated clicks; users=1000 sessions-per-user=10 gap=30s rate=0"
        + " [parallelism=2] [output=<dir> | discard=true]";
  }

  @Override
  public Pipeline create(Parameters params) {
    Model m = model(params);
    int parallelism = SampleSinks.positiveInt(params, "parallelism", 2);
    if (parallelism > m.users()) {
      throw new IllegalArgumentException("parameter 'parallelism' (" + parallelism + ") must not exceed 'users' ("
          + m.users() + "): every generator split needs a user");
    }
    Sink<Session> sink = SampleSinks.sink(params, NAME, Session::toLine);
    return pipeline(m, SampleSinks.config(params), SampleSinks.rate(params), sink);
  }

  /** The click model the parameters describe. */
  public static Model model(Parameters params) {
    long users = SampleSinks.positiveLong(params, "users", 1000);
    long sessions = SampleSinks.positiveLong(params, "sessions-per-user", 10);
    Duration gap = params.duration("gap", Duration.ofSeconds(30));
    return new Model(users, sessions, gap);
  }

  /**
   * The deterministic clicks: {@code users} users with {@code sessionsPerUser} sessions each,
   * sessions separated by more than {@code gap}.
   */
  public record Model(long users, long sessionsPerUser, Duration gap) {
    public Model {
      if (users < 1) {
        throw new IllegalArgumentException("users must be at least 1, was " + users);
      }
      if (sessionsPerUser < 1) {
        throw new IllegalArgumentException("sessions-per-user must be at least 1, was " + sessionsPerUser);
      }
      if (gap == null || gap.toMillis() < 16 || gap.toNanos() % 1_000_000 != 0) {
        throw new IllegalArgumentException("gap must be whole milliseconds and at least 16ms, was " + gap);
      }
      Math.multiplyExact(sessionsPerUser, MAX_CLICKS * 4 * gap.toMillis());
    }

    long gapMillis() {
      return gap.toMillis();
    }

    /** The generator behind the clicks (event time {@link #START}, no tick: times come from {@link #time}). */
    public Generator generator(int splits) {
      return Generator.keyed(users, sessionsPerUser * MAX_CLICKS).withSplits(splits)
          .withEventTime(START, Duration.ZERO);
    }

    /** How many clicks session {@code session} of {@code user} has: 1 to {@link #MAX_CLICKS}. */
    public static int clicksIn(long user, long session) {
      return 1 + (int) Math.floorMod(user * 7 + session * 3, (long) MAX_CLICKS);
    }

    /** The event time of generator record {@code seq} of {@code user}, relative to the generator's time. */
    long offset(long user, long seq) {
      long g = gapMillis();
      long session = (seq - 1) / MAX_CLICKS;
      int slot = (int) ((seq - 1) % MAX_CLICKS);
      int clicks = clicksIn(user, session);
      long at = slot * (g / 2);
      if (clicks >= 3 && (user + session) % 3 == 0 && (slot == 1 || slot == 2)) {
        at = (3 - slot) * (g / 2); // clicks 1 and 2 swap times: 2 arrives after 1 but is earlier
      } else if (clicks == 2 && (user + session) % 3 == 1 && slot == 1) {
        at = g; // exactly one gap after click 0: the two windows touch and merge
      }
      return session * 4 * g + (user % 8) * (g / 16) + at;
    }

    /** The event time of a generator record. */
    public long time(GeneratedRecord r) {
      return r.timestamp() + offset(r.key(), r.seq());
    }

    /** True if the record is a click (not a dropped slot beyond its session's clicks). */
    public boolean isClick(GeneratedRecord r) {
      long session = (r.seq() - 1) / MAX_CLICKS;
      return (r.seq() - 1) % MAX_CLICKS < clicksIn(r.key(), session);
    }

    /** The click of a generator record (call only if {@link #isClick}). */
    public Click click(GeneratedRecord r) {
      return new Click(user(r.key()), "/page/" + Math.floorMod(r.key() * 13 + r.seq() * 7, 50), time(r));
    }

    /**
     * The sessions of {@link #allClicks()}, found without windows: per user, clicks sorted by
     * time, a new session wherever two consecutive clicks are more than a gap apart (clicks exactly
     * a gap apart are one session, as in Flink).
     */
    public List<Session> expectedSessions() {
      Map<String, List<Long>> times = new TreeMap<>();
      for (Click c : allClicks()) {
        times.computeIfAbsent(c.user(), u -> new ArrayList<>()).add(c.timestampMillis());
      }
      long g = gapMillis();
      List<Session> out = new ArrayList<>();
      for (Map.Entry<String, List<Long>> e : times.entrySet()) {
        List<Long> ts = e.getValue();
        ts.sort(null);
        int from = 0;
        for (int i = 1; i <= ts.size(); i++) {
          if (i == ts.size() || ts.get(i) - ts.get(i - 1) > g) {
            out.add(new Session(e.getKey(), ts.get(from), ts.get(i - 1) + g, i - from, ts.get(from), ts.get(i - 1)));
            from = i;
          }
        }
      }
      return out;
    }

    /** Every click, as the pipeline sees them, in no particular order. */
    public List<Click> allClicks() {
      List<Click> out = new ArrayList<>();
      long start = START.toEpochMilli();
      for (long u = 0; u < users; u++) {
        for (long seq = 1; seq <= sessionsPerUser * MAX_CLICKS; seq++) {
          GeneratedRecord r = new GeneratedRecord(u, seq, Generator.value(u, seq), start);
          if (isClick(r)) {
            out.add(click(r));
          }
        }
      }
      return out;
    }
  }

  /**
   * Checks the file-sink output of job {@code jobId} against {@link Model#expectedSessions()}:
   * every session once. {@code wrong} counts lines that are no expected session. Empty for
   * {@code discard=true}.
   */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    Model m = model(params);
    return SampleSinks.jobDirectory(params, NAME, jobId).map(dir -> verify(m, SampleSinks.lines(dir)));
  }

  /** Checks session lines ({@link Session#toLine()}) against the sessions of {@code model}. */
  public static Verdict verify(Model model, List<String> lines) {
    Map<String, Integer> expected = new HashMap<>();
    for (Session s : model.expectedSessions()) {
      expected.merge(s.toLine(), 1, Integer::sum);
    }
    long total = expected.size();
    Map<String, Integer> found = new HashMap<>();
    List<String> problems = new ArrayList<>();
    long wrong = 0;
    long duplicated = 0;
    for (String line : lines) {
      if (!expected.containsKey(line)) {
        wrong++;
        if (problems.size() < 10) {
          problems.add("unexpected session '" + line + "'");
        }
        continue;
      }
      if (found.merge(line, 1, Integer::sum) > 1) {
        duplicated++;
        if (problems.size() < 10) {
          problems.add("session '" + line + "' delivered again");
        }
      }
    }
    long lost = total - found.size();
    if (lost > 0) {
      for (String e : expected.keySet()) {
        if (!found.containsKey(e) && problems.size() < 10) {
          problems.add("session '" + e + "' missing");
          break;
        }
      }
    }
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0 && lines.size() == total;
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + lines.size() + " of " + total
        + " sessions delivered; lost " + lost + ", duplicated " + duplicated + ", wrong " + wrong;
    return new Verdict(exact, total, lines.size(), lost, duplicated, wrong, problems, summary);
  }

  /** The name of user {@code u}. */
  public static String user(long u) {
    return "user-" + u;
  }

  /** The pipeline over the clicks of {@code model}, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(Model model, JobConfig config, Sink<? super Session> sink) {
    return pipeline(model, config, 0, sink);
  }

  /**
   * The pipeline over the clicks of {@code model}, its generator limited to {@code rate} records
   * per second (0: unlimited), with any sink.
   */
  public static Pipeline pipeline(Model model, JobConfig config, long rate, Sink<? super Session> sink) {
    Generator g = model.generator((int) Math.min(config.parallelism(), model.users())).withRate(rate);
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("generator", g))
        .withTimestamps(model::time, model.gap())
        .<Click>flatMap((GeneratedRecord r, Collector<Click> out) -> {
          if (model.isClick(r)) {
            out.collect(model.click(r));
          }
        }).named("clicks")
        .keyBy(Click::user)
        .window(WindowDefinition.session(model.gap()))
        .aggregate("sessions", new SessionAggregate())
        .map(w -> new Session(w.key(), w.start(), w.end(), w.value().clicks(), w.value().firstMillis(),
            w.value().lastMillis())).named("session")
        .writeTo(sink);
    return p.build();
  }

  /**
   * The accumulator and result of a session: clicks, earliest and latest click time.
   *
   * @param clicks clicks so far
   * @param firstMillis earliest click time (Long.MAX_VALUE for none)
   * @param lastMillis latest click time (Long.MIN_VALUE for none)
   */
  public record SessionStats(long clicks, long firstMillis, long lastMillis) {}

  /** Counts the clicks of a session and keeps its first and last time; merges when sessions merge. */
  static final class SessionAggregate implements AggregateFunction<Click, SessionStats, SessionStats> {
    @Override
    public SessionStats createAccumulator() {
      return new SessionStats(0, Long.MAX_VALUE, Long.MIN_VALUE);
    }

    @Override
    public SessionStats add(SessionStats acc, Click c) {
      return new SessionStats(acc.clicks() + 1, Math.min(acc.firstMillis(), c.timestampMillis()),
          Math.max(acc.lastMillis(), c.timestampMillis()));
    }

    @Override
    public SessionStats merge(SessionStats a, SessionStats b) {
      return new SessionStats(a.clicks() + b.clicks(), Math.min(a.firstMillis(), b.firstMillis()),
          Math.max(a.lastMillis(), b.lastMillis()));
    }

    @Override
    public SessionStats result(SessionStats acc) {
      return acc;
    }
  }
}
