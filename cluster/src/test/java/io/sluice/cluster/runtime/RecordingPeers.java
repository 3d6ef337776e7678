package io.sluice.cluster.runtime;

import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.InstanceReport;
import io.sluice.persistence.runtime.JobSpec;
import io.sluice.persistence.runtime.OperatorCommand;
import io.sluice.persistence.runtime.Peers;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Peers of node-1 that deliver nothing and remember whom they were asked to send to: tests play the instances. */
final class RecordingPeers implements Peers {
  private final Queue<InstanceId> sentTo = new ConcurrentLinkedQueue<>();

  /** The targets of {@link #send}, in order. */
  List<InstanceId> sentTo() {
    return List.copyOf(sentTo);
  }

  void clear() {
    sentTo.clear();
  }

  @Override
  public void send(InstanceId target, OperatorCommand command) {
    sentTo.add(target);
  }

  @Override
  public void report(InstanceReport report) {}

  @Override
  public CompletionStage<Optional<JobSpec>> lookup(String jobId) {
    return CompletableFuture.completedFuture(Optional.empty());
  }

  @Override
  public String nodeName() {
    return "node-1";
  }
}
