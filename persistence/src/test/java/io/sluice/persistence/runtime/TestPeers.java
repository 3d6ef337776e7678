package io.sluice.persistence.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Peers for tests: records every message sent and every report, and delivers messages to the
 * instances in {@code routed} (through a {@link LocalShard}), dropping the others — so a test can
 * play an instance's upstream and downstream by hand.
 */
final class TestPeers implements Peers {
  final List<Sent> sent = new ArrayList<>();
  final List<InstanceReport> reports = new ArrayList<>();
  /** Routes reported stale, as "from -> to". */
  final List<String> suspects = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** When each of {@link #suspects} was reported (System.nanoTime). */
  final List<Long> suspectedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
  final Map<String, JobSpec> jobs = new ConcurrentHashMap<>();
  private final Predicate<InstanceId> routed;
  private volatile ActorRef<Object> shard;

  record Sent(InstanceId target, OperatorCommand command) {}

  TestPeers(Predicate<InstanceId> routed) {
    this.routed = routed;
  }

  void setShard(ActorRef<Object> shard) {
    this.shard = shard;
  }

  @Override
  public void send(InstanceId target, OperatorCommand command) {
    synchronized (sent) {
      sent.add(new Sent(target, command));
    }
    if (routed.test(target) && shard != null) {
      shard.tell(new LocalShard.Envelope(target, command));
    }
  }

  @Override
  public void report(InstanceReport report) {
    synchronized (reports) {
      reports.add(report);
    }
  }

  @Override
  public CompletionStage<Optional<JobSpec>> lookup(String jobId) {
    return CompletableFuture.completedFuture(Optional.ofNullable(jobs.get(jobId)));
  }

  @Override
  public void suspectRoutes(InstanceId from, InstanceId to) {
    suspectedAt.add(System.nanoTime());
    suspects.add(from + " -> " + to);
  }

  @Override
  public String nodeName() {
    return "test-node";
  }

  /** Messages of type {@code type} sent to {@code target} so far. */
  <T extends OperatorCommand> List<T> sentTo(InstanceId target, Class<T> type) {
    List<T> out = new ArrayList<>();
    synchronized (sent) {
      for (Sent s : sent) {
        if (s.target().equals(target) && type.isInstance(s.command())) {
          out.add(type.cast(s.command()));
        }
      }
    }
    return out;
  }

  List<InstanceReport> reports() {
    synchronized (reports) {
      return new ArrayList<>(reports);
    }
  }
}
