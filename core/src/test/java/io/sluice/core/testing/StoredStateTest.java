package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.ListState;
import io.sluice.core.dsl.MapState;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.ValueState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Keyed state stored by key group in chunks: captured as bases and deltas, recovered from them
 * after crashes, old versions reclaimed. The driver's state store takes chunks of at most 4 KiB, so
 * a few thousand keys already span many chunks per key group.
 */
class StoredStateTest {
  record Ev(int key, int seq) {}

  /** Per key: a count, the last five sequence numbers, and how many of each seq mod 3; emits a summary. */
  static final class Summaries extends KeyedProcessFunction<Integer, Ev, String> {
    private ValueState<Integer> count;
    private ListState<Integer> last;
    private MapState<Integer, Integer> mods;

    @Override
    public void open(OpenContext ctx) {
      count = ctx.state(StateSpec.value("count"));
      last = ctx.state(StateSpec.list("last"));
      mods = ctx.state(StateSpec.map("mods"));
    }

    @Override
    public void processElement(Ev e, Context<Integer> ctx, Collector<String> out) {
      int n = count.valueOr(0) + 1;
      count.update(n);
      last.add(e.seq());
      List<Integer> l = last.get();
      if (l.size() > 5) {
        last.update(l.subList(l.size() - 5, l.size()));
      }
      Integer m = mods.get(e.seq() % 3);
      mods.put(e.seq() % 3, m == null ? 1 : m + 1);
      if (n % 4 == 0) {
        mods.remove(0);
      }
      out.collect(e.key() + ":" + n + ":" + last.get() + ":" + new TreeMap<>(mods.entries()));
    }
  }

  private static final int KEYS = 1500;
  private static final int PER_KEY = 10;

  private static List<Ev> input() {
    List<Ev> in = new ArrayList<>();
    for (int s = 1; s <= PER_KEY; s++) {
      for (int k = 0; k < KEYS; k++) {
        in.add(new Ev(k, s));
      }
    }
    return in;
  }

  /** The right answer, computed without the pipeline. */
  private static Map<Integer, String> expectedLast() {
    Map<Integer, String> out = new HashMap<>();
    for (int k = 0; k < KEYS; k++) {
      List<Integer> last = new ArrayList<>();
      TreeMap<Integer, Integer> mods = new TreeMap<>();
      for (int s = 1; s <= PER_KEY; s++) {
        last.add(s);
        if (last.size() > 5) {
          last = new ArrayList<>(last.subList(last.size() - 5, last.size()));
        }
        mods.merge(s % 3, 1, Integer::sum);
        if (s % 4 == 0) {
          mods.remove(0);
        }
        out.put(k, k + ":" + s + ":" + last + ":" + mods);
      }
    }
    return out;
  }

  private static Pipeline pipeline(CollectingSink<String> out) {
    Pipeline.Builder p = Pipeline.builder("stored");
    // small batches, one per source step (credit 2) and a snapshot trigger every 3 events: many
    // captures, deltas and new bases
    p.config(JobConfig.defaults().withParallelism(2).withBatching(500, Duration.ZERO).withSnapshotEvery(3)
        .withCreditWindow(2));
    p.readFrom(Sources.collection("events", input())).keyBy(Ev::key).process("summaries", Summaries::new)
        .writeTo(out);
    return p.build();
  }

  /**
   * Design of this test: the keyed instances crash every few steps, so that most recoveries start
   * from a snapshot whose key groups are in chunks (a base and deltas) plus the events after it.
   * The driver checks after every step that the live state equals a shadow that applied every
   * change since the start, so a restore from chunks that lost or resurrected an entry fails at
   * once. Every key's output must be its whole sequence, exactly once, ending at the right answer.
   */
  @Test
  void whenInstancesCrashBetweenCaptures_thenTheStateRecoveredFromChunksIsExact() {
    CollectingSink<String> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(out))) {
      int crashes = 0;
      while (d.runSteps(6)) {
        d.crash("summaries", crashes % 2);
        crashes++;
      }
      d.run();
      assertTrue(d.isFinished());
      assertTrue(crashes > 10, "crashed " + crashes + " times");
      Map<Integer, Integer> seen = new HashMap<>();
      Map<Integer, String> last = new HashMap<>();
      for (String line : d.results(out)) {
        int key = Integer.parseInt(line.substring(0, line.indexOf(':')));
        int n = Integer.parseInt(line.split(":")[1]);
        assertEquals(seen.getOrDefault(key, 0) + 1, n, "key " + key + ": each record once, in order: " + line);
        seen.put(key, n);
        last.put(key, line);
      }
      assertEquals(expectedLast(), last);
      assertTrue(d.stateStore().versionCount() > 0, "key groups were stored");
    }
  }

  /**
   * Design of this test: a long run with a snapshot every 3 events would store thousands of
   * versions if nothing were reclaimed; a key group keeps at most a base and a bounded number of
   * deltas per kept snapshot, so the store stays bounded by the key groups, not by the run.
   */
  @Test
  void oldVersionsAreReclaimedAsSnapshotsMoveOn() {
    CollectingSink<String> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(out))) {
      d.run();
      assertTrue(d.isFinished());
      int groups = 128; // max parallelism: the key groups of the operator over both instances
      int versions = d.stateStore().versionCount();
      int maxDeltas = io.sluice.core.internal.engine.EngineSettings.defaults().maxDeltas();
      assertTrue(versions <= groups * 2 * (maxDeltas + 1), "stored versions " + versions);
      assertEquals(expectedLast().size(), KEYS);
    }
  }
}
