package io.sluice.persistence.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sluice.core.internal.engine.EngineSettings;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.journal.inmem.InmemJournal;

/**
 * A pipeline's operator instances in one actor system on the in-memory journal (and a local
 * snapshot store), routed through a {@link LocalShard}: the runtime without a cluster or
 * Cassandra, for fast tests of the channel protocol. Messages are serialized even in the JVM
 * (serialize-messages), so the protocol's serializer is exercised too.
 */
final class InMemoryRuntime implements AutoCloseable {
  static final RuntimeSettings FAST = new RuntimeSettings(Duration.ofMillis(300), Duration.ofMillis(20),
      Duration.ofMillis(50), 16, Duration.ofMillis(20), Duration.ofSeconds(2),
      new EngineSettings(16, Duration.ofMillis(300), Duration.ofSeconds(2), 4096, 1 << 20, 8, 1 << 20,
          EngineSettings.DEFAULT_STEP_BYTES, EngineSettings.DEFAULT_MAX_TAIL_BYTES), 4);

  private static final AtomicInteger JOBS = new AtomicInteger();

  final ActorTestKit kit;
  final TestPeers peers;
  final ActorRef<Object> shard;
  final JobRuntime job;
  /** Events written to the journal, by operator name. */
  final Map<String, LongAdder> journalWrites = new ConcurrentHashMap<>();

  InMemoryRuntime(Pipeline pipeline, Predicate<InstanceId> routed) {
    this(pipeline, routed, PipelineResolver.class.getClassLoader());
  }

  /** With {@code code} as the class loader of the pipeline's code (as a jar's would be). */
  InMemoryRuntime(Pipeline pipeline, Predicate<InstanceId> routed, ClassLoader code) {
    Config config = ConfigFactory.parseString(""
        + "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
        + "pekko.persistence.journal.inmem.test-serialization = on\n"
        + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.snapshot-store.local\"\n"
        + "pekko.persistence.snapshot-store.local.dir = \"target/test-snapshots/" + UUID.randomUUID() + "\"\n"
        + "pekko.actor.serialize-messages = on\n"
        + "sluice.state.store = memory\n"
        + "pekko.loglevel = INFO\n")
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    kit = ActorTestKit.create("runtime-test", config);
    peers = new TestPeers(routed);
    JobCatalog catalog = JobCatalog.get(kit.system());
    catalog.setResolver((name, params, jar) -> new PipelineResolver.Resolved(pipeline, code));
    // A job id of its own: collecting sinks keep results per sink name and job id for the whole
    // JVM, so a shared id would let one test read another's results.
    String jobId = "job-" + JOBS.incrementAndGet();
    JobSpec spec = new JobSpec(jobId, pipeline.name(), Parameters.empty(), JobRuntime.fingerprint(pipeline));
    peers.jobs.put(spec.jobId(), spec);
    job = catalog.register(spec);
    ActorRef<InmemJournal.Write> writes = kit.spawn(Behaviors.receive(InmemJournal.Write.class)
        .onMessage(InmemJournal.Write.class, w -> {
          String[] parts = w.persistenceId().split("/"); // sluice-op|job/operator/index
          journalWrites.computeIfAbsent(parts[parts.length - 2], k -> new LongAdder()).increment();
          return Behaviors.same();
        }).build(), "journal-writes");
    kit.system().eventStream().tell(new EventStream.Subscribe<>(InmemJournal.Write.class, writes));
    shard = kit.spawn(LocalShard.create(id -> OperatorEntity.create(id, peers, FAST)), "shard");
    peers.setShard(shard);
  }

  InstanceId instance(String operator, int index) {
    return new InstanceId(job.jobId(), operator, index);
  }

  /** Sends directly to an instance (as its upstream, downstream or the coordinator would). */
  void tell(InstanceId target, OperatorCommand command) {
    shard.tell(new LocalShard.Envelope(target, command));
  }

  /** Stops an instance without a graceful step: it recovers from the journal on the next message. */
  void kill(InstanceId target) {
    shard.tell(new LocalShard.Kill(target));
  }

  /** The coordinator's keep-alive: Start to every instance of the job. */
  void keepAlive() {
    for (InstanceId i : job.instances()) {
      tell(i, new OperatorCommand.Start(job.spec()));
    }
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
