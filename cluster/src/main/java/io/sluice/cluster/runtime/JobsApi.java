package io.sluice.cluster.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.cluster.internal.HttpApi;
import io.sluice.cluster.internal.HttpApi.Response;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.OperatorCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 *   GET  /pipelines              the pipelines on this node's classpath
 *   POST /jobs                   {"pipeline": "word-count", "parameters": {"input": "..."}} → 201 {"jobId": ...}
 *   GET  /jobs                   every job's status
 *   GET  /jobs/{id}              one job's status: state, per operator records in/out, lag, recoveries, failure
 *   POST /jobs/{id}/cancel       cancels a running job
 *   GET  /jobs/{id}/instances    each instance as it last reported (node, incarnation, counts)
 *   POST /jobs/{id}/instances/{operator}/{index}/crash
 *                                chaos and diagnostics: the instance fails at once and recovers
 * </pre>
 */
public final class JobsApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ASK = Duration.ofSeconds(10);

  private final ActorSystem<?> system;
  private final ActorRef<JobCoordinator.Command> coordinator;
  private final ServicePipelineResolver pipelines;
  private final ShardedPeers peers;

  public JobsApi(ActorSystem<?> system, ActorRef<JobCoordinator.Command> coordinator,
      ServicePipelineResolver pipelines, ShardedPeers peers) {
    this.system = system;
    this.coordinator = coordinator;
    this.pipelines = pipelines;
    this.peers = peers;
  }

  public void register(HttpApi http) {
    http.route("GET", "/pipelines", r -> {
      List<Map<String, String>> out = new ArrayList<>();
      for (PipelineFactory f : pipelines.factories().values()) {
        out.add(Map.of("name", f.name(), "description", f.description()));
      }
      return Response.ok(out);
    });
    http.route("POST", "/jobs", r -> submit(r.body()));
    http.route("GET", "/jobs", r -> {
      JobCoordinator.JobList list = ask(JobCoordinator.ListJobs::new);
      return Response.ok(list.jobs());
    });
    http.route("GET", "/jobs/([A-Za-z0-9_.-]+)", r -> {
      JobCoordinator.JobReply reply = ask(to -> new JobCoordinator.GetJob(r.param(0), to));
      return reply.view() == null ? Response.error(404, "no job " + r.param(0)) : Response.ok(reply.view());
    });
    http.route("GET", "/jobs/([A-Za-z0-9_.-]+)/instances", r -> {
      JobCoordinator.InstanceList list = ask(to -> new JobCoordinator.GetInstances(r.param(0), to));
      return Response.ok(list.instances());
    });
    http.route("POST", "/jobs/([A-Za-z0-9_.-]+)/instances/([A-Za-z0-9_.-]+)/([0-9]+)/crash", r -> {
      InstanceId id = new InstanceId(r.param(0), r.param(1), Integer.parseInt(r.param(2)));
      peers.send(id, new OperatorCommand.Crash(id.jobId()));
      return Response.ok(Map.of("crashed", id.entityId()));
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
      p.fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText()
          : e.getValue().toString()));
    }
    JobCoordinator.SubmitResult res = ask(to -> new JobCoordinator.Submit(req.get("pipeline").asText(), params, to));
    if (res.error() != null) {
      return Response.error(400, res.error());
    }
    return new Response(201, Map.of("jobId", res.jobId()));
  }

  private <T> T ask(Function<ActorRef<T>, JobCoordinator.Command> message) throws Exception {
    CompletionStage<T> f = AskPattern.ask(coordinator, message::apply, ASK, system.scheduler());
    try {
      return f.toCompletableFuture().get(ASK.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("the job coordinator did not answer within " + ASK.toSeconds()
          + " s (it may be moving to another node); try again", e.getCause());
    }
  }
}
