package io.sluice.cluster.demo;

import io.sluice.cluster.CassandraCommandSupport;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.chaos.ChaosReport;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice demo}: the main job of the README. On a fresh machine it starts the dev Cassandra
 * (unless one runs) and a 3-node cluster from {@code conf/}, counts the words of a generated text
 * file with the {@code word-count} pipeline into the exactly-once file sink, kills a node with
 * SIGKILL when 40 % of the words are counted, restarts it 5 s later, and checks the result against
 * an independent count of the file — then stops everything it started.
 */
@Command(name = "demo", description = "Word count on a 3-node cluster through a node kill: start everything, kill"
    + " a node midway, restart it, verify the result, stop everything.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--nodes", split = ",", description = "node config files (default: conf/node-1..3.conf)")
  List<Path> nodes = List.of(Path.of("conf/node-1.conf"), Path.of("conf/node-2.conf"), Path.of("conf/node-3.conf"));

  @Option(names = "--words", description = "words in the generated text (default ${DEFAULT-VALUE})")
  long words = 4_000_000;

  @Option(names = "--seed", description = "seed of the text and of the choice of node (default ${DEFAULT-VALUE})")
  long seed = 2026;

  @Override
  @SuppressWarnings("try") // the lease is held for the try block: it stops a Cassandra it started
  public Integer call() throws Exception {
    Path home = DevCassandra.home();
    Path dir = home.resolve("data/demo");
    Files.createDirectories(dir);
    Path input = dir.resolve("input-" + words + "-" + seed + ".txt");
    if (!Files.exists(input)) {
      System.out.printf("generating %s (%,d words) ...%n", home.relativize(input), words);
      generate(input, words, seed);
    }
    DevCassandra cassandra = CassandraCommandSupport.devCassandra(null);
    String run = Long.toString(System.currentTimeMillis(), 36);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("input", input.toString());
    params.put("output", dir.resolve("out").toString());
    params.put("parallelism", "3");
    ChaosRun.Settings settings = new ChaosRun.Settings("word-count", params, Duration.ZERO, Duration.ZERO,
        Duration.ofSeconds(5), seed, null, Duration.ZERO, null, Duration.ZERO, Duration.ofMinutes(10),
        List.of(words * 4 / 10));
    ChaosRun.Result r;
    Path logs = dir.resolve("logs-" + run);
    try (CassandraCommandSupport.Lease lease = CassandraCommandSupport.serving(cassandra);
        LocalCluster cluster = new LocalCluster(home, nodes, List.of("-Dsluice.cassandra.keyspace=sluice_demo_" + run),
            logs)) {
      System.out.println("word count of " + home.relativize(input) + " on " + nodes + "; a node will be killed with"
          + " SIGKILL when 40 % of the words are counted, and restarted 5 s later");
      r = new ChaosRun(cluster, cassandra, settings, System.out).run();
    }
    Path report = ChaosReport.write(dir.resolve("report-" + run + ".html"), r, settings, nodes.toString());
    Verdict v = r.verdict();
    System.out.println();
    System.out.println("RESULT: " + (r.exact() ? "EXACT" : "NOT EXACT") + " — job " + r.jobId() + " " + r.status());
    if (r.cassandraDeath() != null) {
      System.out.println("  " + r.cassandraDeath());
    }
    if (r.stallCause() != null) {
      System.out.println("  stalled: " + r.stallCause());
    }
    if (v != null) {
      System.out.printf("  %,d word occurrences expected (counted independently from the file), %,d running counts"
          + " delivered: lost %,d, duplicated %,d, wrong %,d%n", v.expected(), v.delivered(), v.lost(), v.duplicated(),
          v.wrong());
      System.out.println("  " + v.summary());
    }
    for (ChaosRun.Fault f : r.faults()) {
      System.out.printf("  %s killed at %.1f s; records flowing again through its %d instance(s) after %s%n",
          f.target(), f.atSeconds(), f.victims().size(),
          f.recoverySeconds() == null ? "(not measured)" : String.format("%.1f s", f.recoverySeconds()));
    }
    System.out.println("  output: " + home.relativize(dir.resolve("out").resolve(r.jobId())) + " (one part file per"
        + " batch); report: " + home.relativize(report) + "; node logs: " + home.relativize(logs));
    return r.exact() ? 0 : 1;
  }

  /**
   * Lines of 12 words drawn (Zipf-like: a few words are very common) from a vocabulary of 5,000
   * made-up words: word {@code i} spells {@code i} in base 15 with one syllable per digit, so every
   * word is distinct. The first word of a line is capitalized (the pipeline lower-cases).
   */
  static void generate(Path file, long words, long seed) throws IOException {
    String[] syllables = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "zu", "fe", "gi", "ho", "ju"};
    String[] vocabulary = new String[5_000];
    for (int i = 0; i < vocabulary.length; i++) {
      StringBuilder w = new StringBuilder();
      int x = i;
      do {
        w.append(syllables[x % syllables.length]);
        x /= syllables.length;
      } while (x > 0);
      vocabulary[i] = w.toString();
    }
    Random random = new Random(seed);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      for (long i = 0; i < words; i++) {
        int idx = (int) Math.floor(Math.pow(vocabulary.length, random.nextDouble())) - 1;
        String w = vocabulary[Math.max(0, Math.min(vocabulary.length - 1, idx))];
        out.write(i % 12 == 0 ? capitalized(w) : w);
        out.write(i % 12 == 11 ? ".\n" : " ");
      }
      out.write('\n');
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static String capitalized(String w) {
    return Character.toUpperCase(w.charAt(0)) + w.substring(1);
  }
}
