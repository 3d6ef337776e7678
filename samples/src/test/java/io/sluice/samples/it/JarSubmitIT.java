package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.core.connector.FileSink;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.jars.JarInspector;
import io.sluice.persistence.jars.JobClassLoader;
import io.sluice.persistence.testkit.CassandraExtension;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JarSubmitIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static final String PIPELINE = "letter-stats";

  /*
   * Design of this test: the example project examples/first-pipeline is copied and built with
   * Maven as a user would (against the Sluice library installed from this build), once as it is
   * (v1) and once with its key changed to upper case (v2: same class names, different code).
   * Three node JVMs start from conf/ with empty jar caches; none has the example on its classpath.
   *
   * 1. v1's jar is uploaded to node 1 (POST /jars) and its pipeline submitted by the jar's id, on a
   *    text of 2,000,000 words. When 800,000 updates reached the sink, a node running an instance
   *    of the stateful "stats" operator (whose state is a record class of the jar) is killed with
   *    SIGKILL and restarted 5 s later. The output must be exact by the example's own check (its
   *    PipelineFactory.verify, loaded from the jar), and a node that never received the upload
   *    must have fetched the jar from Cassandra.
   * 2. Bad input is refused with its reason and stores nothing: a file that is not a jar, a jar
   *    without pipelines, a jar over sluice.jars.max-bytes (4 MiB here), an unknown pipeline name
   *    in a stored jar, a pipeline of a stored jar that fails to build (its input is missing), a
   *    jar id that is not stored.
   * 3. v1 and v2 run as two jobs at once; deleting v1's jar meanwhile is refused (409). Each
   *    output is exact by its own jar's check, v1's keys are lower case and v2's upper case. Once
   *    both ended, v1's jar can be deleted.
   */
  @Test
  void aUsersJarBuiltWithMavenRunsExactlyThroughANodeKill_andTwoVersionsRunSideBySide() throws Exception {
    Path home = DevCassandra.home();
    Path work = home.resolve("target/it-work/jar-submit");
    NodeJobs.deleteTree(work);
    Files.createDirectories(work);
    ExampleProject.installSluice(home, work);
    Path v1 = ExampleProject.build(home, work, "v1", s -> s);
    Path v2 = ExampleProject.build(home, work, "v2", s -> {
      String changed = s.replace("w.substring(0, 1)", "w.substring(0, 1).toUpperCase(Locale.ROOT)");
      assertNotEquals(s, changed, "the example no longer keys by w.substring(0, 1): adapt this test");
      return changed;
    }, "-DskipTests"); // the example's unit test expects v1's lower-case keys
    Path big = words(work.resolve("big.txt"), 2_000_000, 7);
    Path small = words(work.resolve("small.txt"), 400_000, 8);
    for (int i = 1; i <= 3; i++) { // the nodes' jar caches: every node must get the jar from the cluster
      NodeJobs.deleteTree(Path.of(System.getProperty("java.io.tmpdir"), "sluice-jars-node-" + i));
    }
    List<String> flags = new ArrayList<>(cassandra.jvmFlags());
    flags.add("-Dsluice.jars.max-bytes=4194304");
    Path logs = home.resolve("target/it-logs/jar-submit");
    NodeJobs.deleteTree(logs); // the check for a fetch below reads these logs: none from an earlier run
    try (LocalCluster cluster = new LocalCluster(home, ChaosScenarios.NODES, flags, logs)) {
      ChaosScenarios.assertPortsFree(cluster);

      // 1. the jar through a node kill
      Map<String, String> params = new LinkedHashMap<>();
      params.put("input", big.toString());
      params.put("output", work.resolve("out-kill").toString());
      ChaosRun.Settings s = new ChaosRun.Settings(PIPELINE, params, Duration.ZERO, Duration.ZERO,
          Duration.ofSeconds(5), 42, null, Duration.ofSeconds(8), null, Duration.ofSeconds(10), Duration.ofMinutes(5),
          List.of(800_000L)).withVictimOperator("stats").withJar(v1);
      ChaosRun.Result r = new ChaosRun(cluster, cassandra.devCassandra(), s, System.out).run();
      System.out.println();
      System.out.println("[jar-submit] VERDICT: " + (r.verdict() == null ? "none" : r.verdict().summary()));
      ChaosScenarios.assertExact(r);
      assertEquals(1, r.faults().size(), "one kill");
      assertTrue(r.faults().get(0).recoverySeconds() != null, "the killed node's instances never flowed again");
      // node-1 may have been the one killed and be starting still: wait for its answer (60 s at most)
      String v1Id = cluster.awaitAnswer(0, "/jobs/" + r.jobId(), j -> j.has("jar"), Duration.ofSeconds(60))
          .orElseThrow(() -> new AssertionError("node-1 does not show job " + r.jobId() + " within 60 s"))
          .path("jar").asText();
      assertEquals(sha256(v1), v1Id, "the job pins its jar by content hash");
      assertTrue(fetchedFromTheStore(logs), "no node fetched the jar from Cassandra; logs in " + logs);

      // 2. bad input
      Path notJar = Files.writeString(work.resolve("notes.jar"), "just text\n");
      assertRefused(cluster.upload(1, notJar), 400, "is not a jar file");
      Path noPipelines = zip(work.resolve("empty.jar"), Map.of("README.txt", new byte[] {'h', 'i'}));
      assertRefused(cluster.upload(1, noPipelines), 400, "has no pipelines");
      Path tooLarge = zip(work.resolve("large.jar"), Map.of("data.bin", new Random(1).ints(5 << 20, 0, 256)
          .collect(java.io.ByteArrayOutputStream::new, (o, b) -> o.write(b), (a, b) -> { }).toByteArray()));
      assertRefused(cluster.upload(1, tooLarge), 413, "larger than the 4194304 bytes");
      assertRefused(submit(cluster, "no-such-pipeline", v1Id, params), 400, "has no pipeline named 'no-such-pipeline'");
      Map<String, String> noInput = Map.of("input", work.resolve("missing.txt").toString(), "output", "x");
      assertRefused(submit(cluster, PIPELINE, v1Id, noInput), 400, "missing.txt is not a readable file");
      String unknown = "0123456789abcdef".repeat(4);
      assertRefused(submit(cluster, PIPELINE, unknown, params), 400, "no jar " + unknown + " is stored");
      JsonNode jars = cluster.get(2, "/jars").orElseThrow();
      assertEquals(1, jars.size(), "only the good jar is stored: " + jars);
      assertEquals(List.of(PIPELINE), List.of(jars.get(0).path("pipelines").get(0).asText()));

      // 3. two versions at once
      JsonNode up2 = cluster.upload(2, v2);
      assertEquals(201, up2.path("httpStatus").asInt(), up2.toString());
      String v2Id = up2.path("id").asText();
      assertNotEquals(v1Id, v2Id);
      Map<String, String> p1 = Map.of("input", small.toString(), "output", work.resolve("out-v1").toString());
      Map<String, String> p2 = Map.of("input", small.toString(), "output", work.resolve("out-v2").toString());
      String job1 = submitted(submit(cluster, PIPELINE, v1Id, p1));
      String job2 = submitted(submit(cluster, PIPELINE, v2Id, p2));
      // job 1 has 400,000 words to go through: it runs for seconds, so this comes while it runs
      assertRefused(delete(cluster, v1Id), 409, "is in use by running job(s) [" + job1 + "]");
      assertEquals("FINISHED", NodeJobs.awaitEnd(cluster, job1, Duration.ofMinutes(3)).path("status").asText());
      assertEquals("FINISHED", NodeJobs.awaitEnd(cluster, job2, Duration.ofMinutes(3)).path("status").asText());
      assertExact(verify(v1, p1, job1));
      assertExact(verify(v2, p2, job2));
      List<String> out1 = FileSink.readLines(work.resolve("out-v1").resolve(job1));
      List<String> out2 = FileSink.readLines(work.resolve("out-v2").resolve(job2));
      assertTrue(out1.stream().allMatch(l -> Character.isLowerCase(l.charAt(0))), "v1 keys by lower case");
      assertTrue(out2.stream().allMatch(l -> Character.isUpperCase(l.charAt(0))), "v2 keys by upper case");

      JsonNode deleted = delete(cluster, v1Id);
      assertEquals(200, deleted.path("httpStatus").asInt(), deleted.toString());
      assertFalse(cluster.get(0, "/jars").orElseThrow().toString().contains(v1Id), "v1 is still listed");
    }
  }

  private static JsonNode submit(LocalCluster cluster, String pipeline, String jar, Map<String, String> params) {
    return cluster.post(0, "/jobs", Map.of("pipeline", pipeline, "jar", jar, "parameters", params)).orElseThrow();
  }

  private static String submitted(JsonNode r) {
    assertEquals(201, r.path("httpStatus").asInt(), "submission refused: " + r);
    return r.path("jobId").asText();
  }

  private static JsonNode delete(LocalCluster cluster, String jar) throws Exception {
    LocalCluster.Node n = cluster.node(0);
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
        .newBuilder(java.net.URI.create("http://127.0.0.1:" + n.httpPort() + "/jars/" + jar)).DELETE()
        .timeout(Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    com.fasterxml.jackson.databind.node.ObjectNode j = (com.fasterxml.jackson.databind.node.ObjectNode)
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    j.put("httpStatus", r.statusCode());
    return j;
  }

  private static void assertRefused(JsonNode answer, int status, String reason) {
    assertEquals(status, answer.path("httpStatus").asInt(), answer.toString());
    assertTrue(answer.path("error").asText().contains(reason), "expected '" + reason + "' in " + answer);
  }

  private static Verdict verify(Path jar, Map<String, String> params, String jobId) throws IOException {
    try (JobClassLoader l = new JobClassLoader("verify", jar, JarSubmitIT.class.getClassLoader())) {
      PipelineFactory f = JarInspector.factories(l, jar.toString()).get(PIPELINE);
      return f.verify(Parameters.of(params), jobId).orElseThrow();
    }
  }

  private static void assertExact(Verdict v) {
    System.out.println("[jar-submit] " + v.summary());
    assertTrue(v.exact(), v.summary() + " " + v.problems());
    assertTrue(v.expected() > 100_000, "too small a check: " + v.summary());
  }

  private static boolean fetchedFromTheStore(Path logs) throws IOException {
    try (Stream<Path> files = Files.list(logs)) {
      for (Path f : files.toList()) {
        if (Files.readString(f).contains("fetched from the store")) {
          return true;
        }
      }
    }
    return false;
  }

  private static String sha256(Path file) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(file)));
  }

  /** A text of {@code n} words from a vocabulary of 3,000 made-up words, 10 per line. */
  static Path words(Path file, int n, long seed) throws IOException {
    Random r = new Random(seed);
    String[] vocabulary = new String[3000];
    for (int i = 0; i < vocabulary.length; i++) {
      StringBuilder w = new StringBuilder();
      int len = 2 + r.nextInt(9);
      for (int c = 0; c < len; c++) {
        w.append((char) ('a' + r.nextInt(26)));
      }
      vocabulary[i] = w.toString();
    }
    try (BufferedWriter out = Files.newBufferedWriter(file)) {
      for (int i = 0; i < n; i++) {
        out.write(vocabulary[r.nextInt(vocabulary.length)]);
        out.write(i % 10 == 9 ? "\n" : " ");
      }
    }
    return file;
  }

  private static Path zip(Path file, Map<String, byte[]> entries) throws IOException {
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return file;
  }
}
