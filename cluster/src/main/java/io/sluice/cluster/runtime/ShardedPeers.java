package io.sluice.cluster.runtime;

import io.sluice.core.codec.ByteWriter;
import io.sluice.core.dsl.Parameters;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.InstanceReport;
import io.sluice.persistence.runtime.JobSpec;
import io.sluice.persistence.runtime.OperatorCommand;
import io.sluice.persistence.runtime.Peers;
import io.sluice.persistence.runtime.ProtocolFormats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/** INTERNAL API: {@link Peers} over Cluster Sharding and the job coordinator singleton. */
public final class ShardedPeers implements Peers {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final String node;
  private final Map<String, EntityRef<OperatorCommand>> refs = new ConcurrentHashMap<>();
  private final RouteRefresh refresh;
  private volatile ActorRef<JobCoordinator.Command> coordinator;

  public ShardedPeers(ActorSystem<?> system, String node, RouteRefresh refresh) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.node = node;
    this.refresh = refresh;
  }

  public void setCoordinator(ActorRef<JobCoordinator.Command> coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public void send(InstanceId target, OperatorCommand command) {
    refs.computeIfAbsent(target.entityId(), id -> sharding.entityRefFor(OperatorSharding.TYPE_KEY, id)).tell(command);
  }

  /** One shard per instance: refreshing the routes between two instances refreshes both shards. */
  @Override
  public void suspectRoutes(InstanceId from, InstanceId to) {
    refresh.request(List.of(from.entityId(), to.entityId()), node);
  }

  @Override
  public void report(InstanceReport report) {
    ActorRef<JobCoordinator.Command> c = coordinator;
    if (c != null) {
      ByteWriter w = new ByteWriter(64);
      ProtocolFormats.writeReport(w, report);
      c.tell(new JobCoordinator.Reported(w.toByteArray()));
    }
  }

  @Override
  public void savepointPart(io.sluice.persistence.runtime.SavepointPartReport p) {
    ActorRef<JobCoordinator.Command> c = coordinator;
    if (c != null) {
      c.tell(new JobCoordinator.SavepointPartTaken(p.instance().jobId(), p.instance().operator(), p.instance().index(),
          p.incarnation(), p.savepointId(), p.error(), p.header(), p.marks()));
    }
  }

  @Override
  public CompletionStage<Optional<JobSpec>> lookup(String jobId) {
    return AskPattern.<JobCoordinator.Command, JobCoordinator.SpecReply>ask(coordinator,
        r -> new JobCoordinator.LookupSpec(jobId, r), Duration.ofSeconds(5), system.scheduler())
        .thenApply(r -> r.running()
            ? Optional.of(new JobSpec(r.jobId(), r.pipeline(), Parameters.of(r.parameters()), r.fingerprint(), r.jar(),
                r.savepoint()))
            : Optional.empty());
  }

  @Override
  public String nodeName() {
    return node;
  }
}
