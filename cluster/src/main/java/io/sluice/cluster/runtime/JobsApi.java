package io.sluice.cluster.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.cluster.internal.HttpApi;
import io.sluice.cluster.internal.Secrets;
import io.sluice.cluster.internal.HttpApi.Response;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.internal.exec.SavepointFormat;
import io.sluice.persistence.jars.JarInfo;
import io.sluice.persistence.jars.JarInspector;
import io.sluice.persistence.jars.JobJars;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.OperatorCommand;
import io.sluice.persistence.runtime.Peers;
import io.sluice.persistence.savepoints.SavepointInfo;
import io.sluice.persistence.savepoints.Savepoints;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * INTERNAL API: the jobs part of a node's HTTP API, over the job coordinator singleton:
 *
 * <pre>
 *   GET  /pipelines              the nodes' own pipelines (classpath and pipeline directories)
 *   POST /jars?name=my.jar       body: a jar of pipelines → 201 {"id": sha-256, "pipelines": [...], ...}
 *                                (200 if the same bytes are stored already); 400 with the reason for a
 *                                file that is not a jar or has no pipelines; 413 over sluice.jars.max-bytes
 *   GET  /jars                   the stored jars, each with the jobs that use it
 *   GET  /jars/{id}              one stored jar
 *   DELETE /jars/{id}            deletes a jar no running job uses (409 if one does)
 *   POST /jobs                   {"pipeline": "word-count", "parameters": {"input": "..."}, "jar": sha-256 (optional)}
 *                                → 201 {"jobId": ...}
 *   GET  /jobs                   every job's status
 *   GET  /jobs/{id}              one job's status: state, per operator records in/out, lag, recoveries, failure
 *                                also "fromSavepoint": id, "allowNonRestoredState": true|false
 *   POST /jobs/{id}/cancel       cancels a running job
 *   POST /jobs/{id}/savepoint    takes a savepoint (?stop=true: then the job ends STOPPED) → 201 {"savepointId": ...}
 *   POST /jobs/{id}/rescale      {"parameters": {"parallelism": "4", ...}}: a savepoint that stops the job, then
 *                                the same pipeline with these parameters changed from it → 201 {"savepointId", "jobId"}
 *   GET  /savepoints             every savepoint: job, pipeline, size, time, operators
 *   GET  /savepoints/{id}        one savepoint
 *   DELETE /savepoints/{id}      deletes a savepoint no running job started from (409 if one did)
 *   GET  /jobs/{id}/instances    each instance as it last reported (node, incarnation, counts)
 *   GET  /jobs/{id}/plan         a running job's operator graph: operators (kind, parallelism, chained steps)
 *                                and edges (partitioning); 409 for an ended job, whose plan is not kept
 *   POST /jobs/{id}/instances/{operator}/{index}/crash
 *                                chaos mode only (sluice.node.chaos-mode): the instance fails at once and
 *                                recovers; without chaos mode the route does not exist (404)
 * </pre>
 *
 * <p>Every POST and DELETE needs the node's token, if it has one: {@link HttpApi} checks that for
 * each mutating route before its handler runs.
 */
public final class JobsApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ASK = Duration.ofSeconds(10);

  private final ActorSystem<?> system;
  private final ActorRef<JobCoordinator.Command> coordinator;
  private final ServicePipelineResolver pipelines;
  private final Peers peers;
  private final JobJars jars;
  private final boolean chaosMode;

  /** {@code chaosMode}: whether to serve the crash route ({@code sluice.node.chaos-mode}). */
  public JobsApi(ActorSystem<?> system, ActorRef<JobCoordinator.Command> coordinator,
      ServicePipelineResolver pipelines, Peers peers, JobJars jars, boolean chaosMode) {
    this.system = system;
    this.coordinator = coordinator;
    this.pipelines = pipelines;
    this.peers = peers;
    this.jars = jars;
    this.chaosMode = chaosMode;
  }

  public void register(HttpApi http) {
    http.route("GET", "/pipelines", r -> {
      List<Map<String, String>> out = new ArrayList<>();
      for (PipelineFactory f : pipelines.factories().values()) {
        out.add(Map.of("name", f.name(), "description", f.description(), "from", pipelines.origins().get(f.name())));
      }
      return Response.ok(out);
    });
    http.route("POST", "/jars", jars.maxBytes(), r -> upload(r.query().getOrDefault("name", "upload.jar"), r.body()));
    http.route("GET", "/jars", r -> {
      Map<String, List<String>> users = jarUsers();
      List<Map<String, Object>> out = new ArrayList<>();
      for (JarInfo j : await(jars.store().list())) {
        out.add(describe(j, users.getOrDefault(j.id(), List.of())));
      }
      return Response.ok(out);
    });
    http.route("GET", "/jars/([0-9a-f]{64})", r -> {
      Optional<JarInfo> j = await(jars.store().info(r.param(0)));
      return j.isEmpty() ? Response.error(404, "no jar " + r.param(0))
          : Response.ok(describe(j.get(), jarUsers().getOrDefault(r.param(0), List.of())));
    });
    http.route("DELETE", "/jars/([^/]+)", r -> {
      String id;
      try {
        id = JobJars.checkId(r.param(0));
      } catch (JarInspector.BadJarException e) {
        return Response.error(400, e.getMessage());
      }
      List<String> using = jarUsers().getOrDefault(id, List.of());
      if (!using.isEmpty()) {
        return Response.error(409, "jar " + id + " is in use by running job(s) " + using
            + ": cancel them first");
      }
      return jars.delete(id) ? Response.ok(Map.of("deleted", id)) : Response.error(404, "no jar " + id);
    });
    http.route("POST", "/jobs", r -> submit(r.body()));
    http.route("GET", "/jobs", r -> {
      JobCoordinator.JobList list = ask(JobCoordinator.ListJobs::new);
      return Response.ok(list.jobs().stream().map(JobView::shown).toList());
    });
    http.route("GET", "/jobs/([A-Za-z0-9_.-]+)", r -> {
      JobCoordinator.JobReply reply = ask(to -> new JobCoordinator.GetJob(r.param(0), to));
      return reply.view() == null ? Response.error(404, "no job " + r.param(0)) : Response.ok(reply.view().shown());
    });
    http.route("GET", "/jobs/([A-Za-z0-9_.-]+)/instances", r -> {
      JobCoordinator.InstanceList list = ask(to -> new JobCoordinator.GetInstances(r.param(0), to));
      return Response.ok(list.instances());
    });
    http.route("GET", "/jobs/([A-Za-z0-9_.-]+)/plan", r -> {
      JobCoordinator.PlanReply reply = ask(to -> new JobCoordinator.GetPlan(r.param(0), to));
      return reply.plan() != null ? Response.ok(reply.plan()) : Response.error(reply.found() ? 409 : 404,
          reply.error());
    });
    if (chaosMode) {
      http.route("POST", "/jobs/([A-Za-z0-9_.-]+)/instances/([A-Za-z0-9_.-]+)/([0-9]+)/crash", r -> {
        InstanceId id = new InstanceId(r.param(0), r.param(1), Integer.parseInt(r.param(2)));
        peers.send(id, new OperatorCommand.Crash(id.jobId()));
        return Response.ok(Map.of("crashed", id.entityId()));
      });
    }
    http.route("POST", "/jobs/([A-Za-z0-9_.-]+)/savepoint", r -> {
      boolean stop = "true".equals(r.query().get("stop"));
      JobCoordinator.SavepointResult res = ask(to -> new JobCoordinator.TakeSavepoint(r.param(0), stop, to),
          savepointTimeout());
      return res.error() != null ? Response.error(res.error().startsWith("no job ") ? 404 : 409, res.error())
          : new Response(201, Map.of("jobId", r.param(0), "savepointId", res.savepointId(), "stopped", stop));
    });
    http.route("POST", "/jobs/([A-Za-z0-9_.-]+)/rescale", r -> rescale(r.param(0), r.body()));
    http.route("GET", "/savepoints", r -> {
      List<Map<String, Object>> out = new ArrayList<>();
      for (SavepointInfo i : await(Savepoints.get(system).catalog().list())) {
        out.add(describe(i));
      }
      return Response.ok(out);
    });
    http.route("GET", "/savepoints/([A-Za-z0-9_.-]+)", r -> {
      Optional<SavepointInfo> i = await(Savepoints.get(system).catalog().info(r.param(0)));
      return i.isEmpty() ? Response.error(404, "no savepoint " + r.param(0)) : Response.ok(describe(i.get()));
    });
    http.route("DELETE", "/savepoints/([A-Za-z0-9_.-]+)", r -> {
      JobCoordinator.SavepointResult res = ask(to -> new JobCoordinator.DeleteSavepoint(r.param(0), to));
      return res.error() == null ? Response.ok(Map.of("deleted", r.param(0)))
          : Response.error(res.error().startsWith("no savepoint") ? 404 : 409, res.error());
    });
    http.route("POST", "/jobs/([A-Za-z0-9_.-]+)/cancel", r -> {
      JobCoordinator.CancelResult c = ask(to -> new JobCoordinator.Cancel(r.param(0), to));
      return c.found() ? Response.ok(Map.of("jobId", r.param(0), "status", c.status()))
          : Response.error(404, "no job " + r.param(0));
    });
  }

  private Response submit(byte[] body) throws Exception {
    JsonNode req;
    try {
      req = JSON.readTree(body);
    } catch (java.io.IOException e) {
      return Response.error(400, "the body must be JSON: {\"pipeline\": \"<name>\", \"parameters\": {...}}");
    }
    if (req == null || !req.path("pipeline").isTextual()) {
      return Response.error(400, "missing \"pipeline\": the body must be {\"pipeline\": \"<name>\", \"parameters\": {...}}");
    }
    Map<String, String> params = new LinkedHashMap<>();
    JsonNode p = req.path("parameters");
    if (!p.isMissingNode() && !p.isNull()) {
      if (!p.isObject()) {
        return Response.error(400, "\"parameters\" must be an object of strings");
      }
      p.properties().forEach(e -> params.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText()
          : e.getValue().toString()));
    }
    String jar = req.path("jar").isTextual() ? req.get("jar").asText() : "";
    if (!jar.isEmpty()) {
      try {
        JobJars.checkId(jar);
      } catch (JarInspector.BadJarException e) {
        return Response.error(400, "\"jar\": " + e.getMessage());
      }
    }
    String from = req.path("fromSavepoint").isTextual() ? req.get("fromSavepoint").asText() : "";
    boolean allow = req.path("allowNonRestoredState").asBoolean(false);
    JobCoordinator.SubmitResult res = ask(to -> new JobCoordinator.Submit(req.get("pipeline").asText(), params, jar,
        from, allow, to));
    if (res.error() != null) {
      return Response.error(400, res.error());
    }
    return new Response(201, Map.of("jobId", res.jobId()));
  }

  /**
   * A savepoint that stops the job, then the same pipeline (and jar) from it with the parameters
   * given changed: the parallelism, typically. If the new job is refused, the old one stays
   * STOPPED and the answer names the savepoint to submit from by hand.
   */
  private Response rescale(String jobId, byte[] body) throws Exception {
    Map<String, String> changed = new LinkedHashMap<>();
    try {
      JsonNode req = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
      req.path("parameters").properties().forEach(e -> changed.put(e.getKey(), e.getValue().isTextual()
          ? e.getValue().asText() : e.getValue().toString()));
    } catch (java.io.IOException e) {
      return Response.error(400, "the body must be JSON: {\"parameters\": {\"parallelism\": \"4\"}}");
    }
    if (changed.isEmpty()) {
      return Response.error(400, "nothing to change: give {\"parameters\": {\"parallelism\": \"<n>\"}}");
    }
    JobCoordinator.JobReply job = ask(to -> new JobCoordinator.GetJob(jobId, to));
    if (job.view() == null) {
      return Response.error(404, "no job " + jobId);
    }
    JobView v = job.view();
    Map<String, String> params = new LinkedHashMap<>(v.parameters());
    params.putAll(changed);
    JobCoordinator.SavepointResult sp = ask(to -> new JobCoordinator.TakeSavepoint(jobId, true, to),
        savepointTimeout());
    if (sp.error() != null) {
      return Response.error(409, sp.error());
    }
    JobCoordinator.SubmitResult res = ask(to -> new JobCoordinator.Submit(v.pipeline(), params, v.jar(),
        sp.savepointId(), false, to));
    if (res.error() != null) {
      return Response.error(400, "job " + jobId + " STOPPED with savepoint " + sp.savepointId() + ", but the rescaled"
          + " job was refused: " + res.error() + " (submit it with fromSavepoint " + sp.savepointId() + ")");
    }
    return new Response(201, Map.of("savepointId", sp.savepointId(), "stoppedJobId", jobId, "jobId", res.jobId(),
        "parameters", Secrets.redact(params)));
  }

  private static Map<String, Object> describe(SavepointInfo i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", i.id());
    m.put("jobId", i.jobId());
    m.put("pipeline", i.pipeline());
    m.put("jar", i.jar());
    m.put("parameters", Secrets.redact(i.parameters()));
    m.put("createdMillis", i.createdMillis());
    m.put("bytes", i.bytes());
    Map<String, String> ops = new java.util.TreeMap<>();
    i.headers().forEach((op, h) -> {
      try {
        ops.put(op, SavepointFormat.readHeader(h, "savepoint " + i.id() + ", operator '" + op + "'").toString());
      } catch (RuntimeException e) {
        ops.put(op, "unreadable: " + e.getMessage());
      }
    });
    m.put("operators", ops);
    return m;
  }

  private Duration savepointTimeout() {
    return system.settings().config().getDuration("sluice.savepoints.timeout").plusSeconds(30);
  }

  private Response upload(String name, byte[] body) throws Exception {
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.+-]{0,200}")) {
      return Response.error(400, "name '" + name + "' must be a file name of letters, digits, '_', '.', '+' or '-'");
    }
    JobJars.Uploaded up;
    try {
      up = jars.upload(name, body);
    } catch (JarInspector.BadJarException e) {
      return Response.error(400, e.getMessage());
    }
    JarInfo info = up.info();
    return new Response(up.stored() ? 201 : 200, describe(info, jarUsers().getOrDefault(info.id(), List.of())));
  }

  private static Map<String, Object> describe(JarInfo j, List<String> usedBy) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", j.id());
    m.put("name", j.name());
    m.put("bytes", j.bytes());
    m.put("chunks", j.chunks());
    m.put("uploadedMillis", j.uploadedMillis());
    m.put("pipelines", j.pipelines());
    m.put("usedBy", usedBy);
    return m;
  }

  /** The running jobs of each jar. */
  private Map<String, List<String>> jarUsers() throws Exception {
    Map<String, List<String>> users = new LinkedHashMap<>();
    JobCoordinator.JobList list = ask(JobCoordinator.ListJobs::new);
    for (JobView v : list.jobs()) {
      if (v.status() == JobCoordinator.Status.RUNNING && v.jar() != null && !v.jar().isEmpty()) {
        users.computeIfAbsent(v.jar(), k -> new ArrayList<>()).add(v.jobId());
      }
    }
    return users;
  }

  private static <T> T await(CompletionStage<T> f) throws Exception {
    try {
      return f.toCompletableFuture().get(ASK.toMillis() * 3, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("the store failed: " + e.getCause(), e.getCause());
    }
  }

  private <T> T ask(Function<ActorRef<T>, JobCoordinator.Command> message) throws Exception {
    return ask(message, ASK);
  }

  private <T> T ask(Function<ActorRef<T>, JobCoordinator.Command> message, Duration timeout) throws Exception {
    CompletionStage<T> f = AskPattern.ask(coordinator, message::apply, timeout, system.scheduler());
    try {
      return f.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("the job coordinator did not answer within " + timeout.toSeconds()
          + " s (it may be moving to another node); try again", e.getCause());
    }
  }
}
