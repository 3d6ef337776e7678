package io.sluice.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sluice.cluster.internal.Lines;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice submit|jobs|status|cancel}: the CLI over a node's HTTP API. */
final class JobsCommands {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JobsCommands() {}

  /** The environment variable the CLI takes the API token from when no --token-file is given. */
  static final String TOKEN_ENV = "SLUICE_API_TOKEN";

  /**
   * Options shared by the commands: which node to talk to, and the token its POST and DELETE
   * requests need if the node has one ({@code sluice.node.http.token-file}).
   */
  static class NodeOption {
    @Option(names = "--node", paramLabel = "URL", description = "a node's HTTP address (default: ${DEFAULT-VALUE})",
        defaultValue = "http://127.0.0.1:8551")
    String node;

    @Option(names = "--token-file", paramLabel = "FILE", description = "the file with the node's API token (its"
        + " sluice.node.http.token-file), sent with every request that changes something; default: the environment"
        + " variable " + TOKEN_ENV + ", else no token")
    java.nio.file.Path tokenFile;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** The token to send: from --token-file, else from SLUICE_API_TOKEN; null if neither is set. */
    String token() {
      String t;
      String from;
      if (tokenFile == null) {
        t = System.getenv(TOKEN_ENV);
        if (t == null || t.isBlank()) {
          return null;
        }
        from = "the environment variable " + TOKEN_ENV;
      } else {
        from = "the token file " + tokenFile.toAbsolutePath() + " (--token-file)";
        try {
          t = java.nio.file.Files.readString(tokenFile, java.nio.charset.StandardCharsets.US_ASCII);
        } catch (IOException e) { // MalformedInputException too: not ASCII
          throw new CliFailure("cannot read " + from + ": " + e.getClass().getSimpleName());
        }
      }
      t = t.strip();
      if (t.isEmpty()) {
        throw new CliFailure(from + " is empty");
      }
      // the HTTP client would refuse it with a message that shows it: never show a token
      if (!t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new CliFailure(from + " must hold one line of printable ASCII without spaces (the token)");
      }
      return t;
    }

    JsonNode call(String method, String path, Object body) {
      return call(method, path, body, Duration.ofSeconds(30));
    }

    JsonNode call(String method, String path, Object body, Duration timeout) {
      try {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + path)).timeout(timeout);
        String token = method.equals("GET") ? null : token();
        if (token != null) {
          b.header("Authorization", "Bearer " + token);
        }
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : body instanceof byte[] bytes ? b.header("Content-Type", "application/java-archive").method(method,
                HttpRequest.BodyPublishers.ofByteArray(bytes))
            : b.header("Content-Type", "application/json").method(method,
                HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        JsonNode j = JSON.readTree(r.body());
        if (r.statusCode() >= 400) {
          throw new CliFailure(j.path("error").asText(r.statusCode() + " from " + node + path));
        }
        return j;
      } catch (IOException e) {
        throw new CliFailure("cannot reach the node at " + node + " (" + e.getMessage() + "): is it running?"
            + " Start one with: bin/sluice node conf/node-1.conf");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliFailure("interrupted");
      }
    }
  }

  /** A failure to report in one line, exit status 1. */
  static final class CliFailure extends RuntimeException {
    CliFailure(String message) {
      super(message);
    }
  }

  /**
   * Uploads {@code file} through {@code POST /jars}; returns the stored jar's description. A file
   * that is missing, not a jar or too large is refused with the reason.
   */
  static JsonNode upload(NodeOption node, java.nio.file.Path file) {
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new CliFailure("jar " + file.toAbsolutePath() + " does not exist (build it first, e.g. mvn package)");
    }
    byte[] bytes;
    try {
      bytes = java.nio.file.Files.readAllBytes(file);
    } catch (IOException e) {
      throw new CliFailure("cannot read " + file + ": " + e.getMessage());
    }
    String name = file.getFileName().toString();
    return node.call("POST", "/jars?name=" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8),
        bytes);
  }

  @Command(name = "submit", description = "Submit a pipeline (by name, with name=value parameters), from the nodes'"
      + " own pipelines or from a jar of yours (--jar).")
  static final class Submit extends NodeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PIPELINE", description = "the pipeline's name (see: sluice pipelines)")
    String pipeline;

    @Option(names = "--jar", paramLabel = "FILE", description = "upload this jar (stored in the cluster, pinned by its"
        + " SHA-256) and run the pipeline from it")
    java.nio.file.Path jar;

    @Option(names = "--jar-id", paramLabel = "SHA256", description = "run the pipeline from a jar uploaded before"
        + " (see: sluice jars)")
    String jarId;

    @Parameters(index = "1..*", paramLabel = "NAME=VALUE", description = "the pipeline's parameters")
    List<String> parameters = List.of();

    @Option(names = "--wait", description = "follow a bounded job until it ends, with a live progress line")
    boolean waitForEnd;

    @Option(names = "--from-savepoint", paramLabel = "ID", description = "start from this savepoint (see: sluice"
        + " savepoints): each stateful operator takes the state it holds under its name")
    String fromSavepoint;

    @Option(names = "--allow-non-restored-state", description = "with --from-savepoint: drop the state of operators"
        + " the pipeline no longer has (refused otherwise)")
    boolean allowNonRestoredState;

    @Override
    public Integer call() {
      Map<String, String> params = io.sluice.core.dsl.Parameters.parse(parameters).asMap();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("pipeline", pipeline);
      body.put("parameters", params);
      if (fromSavepoint != null) {
        body.put("fromSavepoint", fromSavepoint);
        body.put("allowNonRestoredState", allowNonRestoredState);
      } else if (allowNonRestoredState) {
        throw new CliFailure("--allow-non-restored-state needs --from-savepoint");
      }
      if (jar != null && jarId != null) {
        throw new CliFailure("give --jar or --jar-id, not both");
      }
      if (jar != null) {
        JsonNode stored = upload(this, jar);
        jarId = stored.path("id").asText();
        System.err.println("jar " + jarId + " (" + stored.path("name").asText() + ", " + stored.path("bytes").asLong()
            + " bytes): pipelines " + stored.path("pipelines"));
      }
      if (jarId != null) {
        body.put("jar", jarId);
      }
      String jobId = call("POST", "/jobs", body).path("jobId").asText();
      System.out.println(jobId);
      if (!waitForEnd) {
        return 0;
      }
      return follow(this, jobId);
    }
  }

  /**
   * What a job view shows: {@code state} (RUNNING, DEGRADED, FINISHED, ...); nodes of older versions
   * have only the lifecycle, {@code status}.
   */
  static String state(JsonNode j) {
    String state = j.path("state").asText("");
    return state.isEmpty() || j.path("state").isNull() ? j.path("status").asText() : state;
  }

  /**
   * Follows a job until it ends, with a live progress line on stderr: the records at the sinks and
   * their rate, or, while the job is DEGRADED, the cause, cut to fit the line. Entering and leaving
   * DEGRADED is also printed in full on a line of its own.
   */
  static int follow(NodeOption node, String jobId) {
    return follow(node, jobId, null);
  }

  /**
   * As {@link #follow(NodeOption, String)}, but gives up once {@code timeout} has passed (null: never)
   * with a {@link CliFailure} that says the job is still running; the job is left as it is.
   */
  static int follow(NodeOption node, String jobId, Duration timeout) {
    long t0 = System.nanoTime();
    long lastCount = 0;
    long lastNanos = t0;
    double rate = 0;
    int lastLength = 0;
    boolean wasDegraded = false;
    while (true) {
      JsonNode j = node.call("GET", "/jobs/" + jobId, null);
      String status = j.path("status").asText();
      String state = state(j);
      long now = System.nanoTime();
      long count = j.path("sinkRecords").asLong();
      if (now - lastNanos > 500_000_000L) {
        rate = (count - lastCount) * 1e9 / (now - lastNanos);
        lastCount = count;
        lastNanos = now;
      }
      boolean degraded = "DEGRADED".equals(state);
      if (degraded && !wasDegraded) {
        System.err.printf("%n%s DEGRADED since %s: %s%n", jobId, Lines.clock(j.path("degradedSince").asLong()),
            Lines.shorten(j.path("cause").asText(), 2_000));
      } else if (!degraded && wasDegraded && "RUNNING".equals(state)) {
        System.err.printf("%n%s RUNNING again%n", jobId);
      }
      wasDegraded = degraded;
      String line = String.format("%s %-9s %6.1f s  %,d records at the sinks  %,.0f/s  ", jobId, state,
          (now - t0) / 1e9, count, rate);
      line += degraded ? Lines.shorten(j.path("cause").asText(), Math.max(10, Lines.width() - 1 - line.length()))
          : String.format("lag %d  recoveries %d  p99 %.0f ms", j.path("lag").asLong(), j.path("recoveries").asLong(),
              j.path("latencyP99Millis").asDouble());
      line = Lines.cut(line, Lines.width() - 1);
      System.err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
      lastLength = line.length();
      if (timeout != null && "RUNNING".equals(status) && now - t0 > timeout.toNanos()) {
        System.err.println();
        throw new CliFailure(jobId + " is still " + state + " after " + timeout.toSeconds() + " s");
      }
      if (!"RUNNING".equals(status)) {
        System.err.println();
        if ("FAILED".equals(status)) {
          System.err.println("failed in " + j.path("failedInstance").asText() + ": stage '"
              + j.path("failedStage").asText() + "'" + (j.path("failedRecord").isNull() ? ""
              : " on record " + j.path("failedRecord").asText()) + ": " + j.path("failedError").asText());
        }
        return "FINISHED".equals(status) ? 0 : 1;
      }
      LockSupport.parkNanos(250_000_000L);
    }
  }

  @Command(name = "jobs", description = "List the jobs.")
  static final class Jobs extends NodeOption implements Callable<Integer> {
    @Override
    public Integer call() {
      JsonNode jobs = call("GET", "/jobs", null);
      String header = String.format("%-28s %-16s %-12s %-10s %14s %8s", "JOB", "PIPELINE", "JAR", "STATE",
          "SINK RECORDS", "LAG");
      System.out.println(header + "  CAUSE");
      for (JsonNode j : jobs) {
        String jar = j.path("jar").asText("");
        String row = String.format("%-28s %-16s %-12s %-10s %,14d %8d", j.path("jobId").asText(),
            j.path("pipeline").asText(), jar.isEmpty() ? "-" : jar.substring(0, Math.min(12, jar.length())), state(j),
            j.path("sinkRecords").asLong(), j.path("lag").asLong());
        String cause = j.path("cause").isTextual() ? j.path("cause").asText() : "";
        System.out.println(cause.isEmpty() ? row
            : row + "  " + Lines.shorten(cause, Math.max(20, Lines.width() - 3 - row.length())));
      }
      return 0;
    }
  }

  @Command(name = "status", description = "Show a job's status: state, per-operator records, lag, recoveries, failure.")
  static final class Status extends NodeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB")
    String jobId;

    @Option(names = "--json", description = "print the raw JSON")
    boolean json;

    @Override
    public Integer call() throws IOException {
      JsonNode j = call("GET", "/jobs/" + jobId, null);
      if (json) {
        System.out.println(JSON.writeValueAsString(j));
        return 0;
      }
      String state = state(j);
      System.out.printf("job %s (%s %s): %s%n", j.path("jobId").asText(), j.path("pipeline").asText(),
          j.path("parameters"), state);
      if (!j.path("jar").asText("").isEmpty()) {
        System.out.println("  from jar " + j.path("jar").asText());
      }
      if (state.equals("DEGRADED")) {
        long since = j.path("degradedSince").asLong();
        System.out.printf("  degraded since %s (%d s ago): %s%n", Lines.clock(since),
            Math.max(0, System.currentTimeMillis() - since) / 1000, j.path("cause").asText());
        int shown = 0;
        for (JsonNode i : call("GET", "/jobs/" + jobId + "/instances", null)) {
          if (i.path("trouble").isTextual() && shown++ < 10) {
            System.out.printf("  %s on %s: %s (since %s)%n", i.path("instance").asText(), i.path("node").asText(),
                Lines.shorten(i.path("trouble").asText(), 300), Lines.clock(i.path("troubleSinceMillis").asLong()));
          }
        }
      }
      if (j.path("status").asText().equals("FAILED")) {
        System.out.println("  failed in " + j.path("failedInstance").asText() + ": stage '"
            + j.path("failedStage").asText() + "'" + (j.path("failedRecord").isNull() ? ""
            : " on record " + j.path("failedRecord").asText()) + ": " + j.path("failedError").asText());
      }
      System.out.printf("  %-20s %5s %14s %14s %8s %8s %9s  %s%n", "OPERATOR", "INST", "RECORDS IN", "RECORDS OUT",
          "BACKLOG", "UNACKED", "RECOVERED", "NODES (OF EACH INSTANCE)");
      for (JsonNode o : j.path("operators")) {
        System.out.printf("  %-20s %2d/%-2d %,14d %,14d %8d %8d %9d  %s%n", o.path("name").asText(),
            o.path("reporting").asInt(), o.path("parallelism").asInt(), o.path("recordsIn").asLong(),
            o.path("recordsOut").asLong(), o.path("backlog").asLong(), o.path("unacked").asLong(),
            o.path("recoveries").asLong(), o.path("instanceNodes").isArray() ? o.path("instanceNodes") : o.path("nodes"));
      }
      System.out.printf("  sink records %,d; end-to-end latency p50 %.0f ms, p99 %.0f ms over %d batches%n",
          j.path("sinkRecords").asLong(), j.path("latencyP50Millis").asDouble(), j.path("latencyP99Millis").asDouble(),
          j.path("latencySamples").asLong());
      return 0;
    }
  }

  @Command(name = "cancel", description = "Cancel a running job.")
  static final class Cancel extends NodeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB")
    String jobId;

    @Override
    public Integer call() {
      JsonNode r = call("POST", "/jobs/" + jobId + "/cancel", null);
      System.out.println(jobId + ": " + r.path("status").asText());
      return 0;
    }
  }

  /** Savepoints can take a while: the job drains first (sluice.savepoints.timeout, 5 min by default). */
  private static final Duration SAVEPOINT_CALL = Duration.ofMinutes(6);

  @Command(name = "savepoint", description = "Take a savepoint of a running job (it pauses its sources until it is"
      + " drained, then resumes); --stop ends the job with it. Prints the savepoint's id.")
  static class Savepoint extends NodeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB")
    String jobId;

    @Option(names = "--stop", description = "stop the job with the savepoint (it ends STOPPED)")
    boolean stop;

    @Override
    public Integer call() {
      JsonNode r = call("POST", "/jobs/" + jobId + "/savepoint" + (stop ? "?stop=true" : ""), null, SAVEPOINT_CALL);
      System.out.println(r.path("savepointId").asText());
      if (stop) {
        System.err.println(jobId + ": STOPPED");
      }
      return 0;
    }
  }

  @Command(name = "stop", description = "Stop a running job with a savepoint (as: savepoint --stop). Prints the"
      + " savepoint's id.")
  static final class Stop extends Savepoint {
    @Option(names = "--savepoint", description = "(the default and only way: a job that stops keeps its state in a"
        + " savepoint; to drop its state, cancel it)")
    boolean withSavepoint;

    @Override
    public Integer call() {
      stop = true;
      return super.call();
    }
  }

  @Command(name = "rescale", description = "Change a running job's parallelism: a savepoint that stops it, then the"
      + " same pipeline from it with parallelism=N (and any other NAME=VALUE given). Prints the new job's id.")
  static final class Rescale extends NodeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB")
    String jobId;

    @Parameters(index = "1", paramLabel = "N", description = "the new parallelism")
    int parallelism;

    @Parameters(index = "2..*", paramLabel = "NAME=VALUE", description = "other parameters to change")
    List<String> parameters = List.of();

    @Override
    public Integer call() {
      if (parallelism < 1) {
        throw new CliFailure("the parallelism must be at least 1, was " + parallelism);
      }
      Map<String, String> params = new LinkedHashMap<>(io.sluice.core.dsl.Parameters.parse(parameters).asMap());
      params.put("parallelism", Integer.toString(parallelism));
      JsonNode r = call("POST", "/jobs/" + jobId + "/rescale", Map.of("parameters", params), SAVEPOINT_CALL);
      System.err.println(jobId + ": STOPPED with savepoint " + r.path("savepointId").asText());
      System.out.println(r.path("jobId").asText());
      return 0;
    }
  }

  @Command(name = "savepoints", description = "List the savepoints, or delete one no running job started from"
      + " (--delete ID).")
  static final class Savepoints extends NodeOption implements Callable<Integer> {
    @Option(names = "--delete", paramLabel = "ID", description = "delete this savepoint")
    String delete;

    @Override
    public Integer call() {
      if (delete != null) {
        call("DELETE", "/savepoints/" + delete, null);
        System.out.println("deleted " + delete);
        return 0;
      }
      System.out.printf("%-12s %-28s %-16s %14s  %-9s %s%n", "SAVEPOINT", "JOB", "PIPELINE", "BYTES", "TAKEN",
          "OPERATORS");
      for (JsonNode s : call("GET", "/savepoints", null)) {
        List<String> ops = new java.util.ArrayList<>();
        s.path("operators").properties().forEach(e -> ops.add(e.getKey() + ": " + e.getValue().asText()));
        System.out.printf("%-12s %-28s %-16s %,14d  %-9s %s%n", s.path("id").asText(), s.path("jobId").asText(),
            s.path("pipeline").asText(), s.path("bytes").asLong(), Lines.clock(s.path("createdMillis").asLong()),
            String.join("; ", ops));
      }
      return 0;
    }
  }

  @Command(name = "pipelines", description = "List the pipelines a node can run.")
  static final class Pipelines extends NodeOption implements Callable<Integer> {
    @Override
    public Integer call() {
      for (JsonNode p : call("GET", "/pipelines", null)) {
        System.out.printf("%-16s %s%n", p.path("name").asText(), p.path("description").asText());
      }
      return 0;
    }
  }

  @Command(name = "jars", description = "List the jars stored in the cluster, upload one (--upload FILE), or delete"
      + " one no running job uses (--delete SHA256).")
  static final class Jars extends NodeOption implements Callable<Integer> {
    @Option(names = "--upload", paramLabel = "FILE", description = "upload this jar")
    java.nio.file.Path upload;

    @Option(names = "--delete", paramLabel = "SHA256", description = "delete this jar")
    String delete;

    @Override
    public Integer call() {
      if (upload != null) {
        JsonNode j = upload(this, upload);
        System.out.println(j.path("id").asText());
        System.err.println("pipelines " + j.path("pipelines"));
        return 0;
      }
      if (delete != null) {
        call("DELETE", "/jars/" + delete, null);
        System.out.println("deleted " + delete);
        return 0;
      }
      System.out.printf("%-64s %-28s %12s  %-9s %-24s %s%n", "JAR", "NAME", "BYTES", "UPLOADED", "PIPELINES",
          "RUNNING JOBS");
      for (JsonNode j : call("GET", "/jars", null)) {
        List<String> pipelines = new java.util.ArrayList<>();
        j.path("pipelines").forEach(p -> pipelines.add(p.asText()));
        List<String> jobs = new java.util.ArrayList<>();
        j.path("usedBy").forEach(p -> jobs.add(p.asText()));
        System.out.printf("%-64s %-28s %,12d  %-9s %-24s %s%n", j.path("id").asText(), j.path("name").asText(),
            j.path("bytes").asLong(), Lines.clock(j.path("uploadedMillis").asLong()), String.join(",", pipelines),
            jobs.isEmpty() ? "-" : String.join(",", jobs));
      }
      return 0;
    }
  }
}
