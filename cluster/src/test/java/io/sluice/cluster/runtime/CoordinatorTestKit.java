package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.sluice.core.dsl.Pipeline;
import io.sluice.persistence.runtime.JobCatalog;
import io.sluice.persistence.runtime.PipelineResolver;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A real job coordinator for tests: on the in-memory journal, with every message serialized (so
 * what it answers crosses the CBOR serializer, as from the singleton's node), pipelines resolved
 * from the one given, peers that drop what it sends to instances, and a 1-day keep-alive that keeps
 * the timer out of the way. Also the in-memory jar store, for {@link JobsApi}.
 */
final class CoordinatorTestKit implements AutoCloseable {
  final ActorTestKit kit;
  final ActorRef<JobCoordinator.Command> coordinator;

  CoordinatorTestKit(String name, Pipeline pipeline, LongSupplier clock) {
    kit = ActorTestKit.create(name, ConfigFactory.parseString(""
        + "pekko.actor.provider = local\n"
        + "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
        + "pekko.persistence.journal.inmem.test-serialization = on\n"
        + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.snapshot-store.local\"\n"
        + "pekko.persistence.snapshot-store.local.dir = \"target/test-snapshots/" + UUID.randomUUID() + "\"\n"
        + "pekko.actor.serialize-messages = on\n"
        + "sluice.jars.store = memory\n"
        + "sluice.jars.cache-dir = \"target/test-jars-" + UUID.randomUUID() + "\"\n")
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve());
    JobCatalog.get(kit.system()).setResolver(PipelineResolver.of(pipeline));
    coordinator = kit.spawn(JobCoordinator.create(new RecordingPeers(), Duration.ofDays(1), Duration.ofSeconds(60),
        clock));
  }

  /** Submits {@code pipeline} without parameters; its job id. */
  String submit(String pipeline) {
    TestProbe<JobCoordinator.SubmitResult> r = kit.createTestProbe();
    coordinator.tell(new JobCoordinator.Submit(pipeline, Map.of(), r.getRef()));
    JobCoordinator.SubmitResult res = r.receiveMessage();
    assertNull(res.error());
    return res.jobId();
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
