package io.sluice.cluster.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.persistence.metrics.SluiceMetrics;
import io.sluice.persistence.runtime.ProtocolSerializer;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * INTERNAL API: a node's metrics in the Prometheus text format ({@code GET /metrics}). Every meter
 * carries the tag {@code node}. Besides the instances' meters ({@code sluice_instance_*}, see
 * {@link io.sluice.persistence.metrics.InstanceMeters}):
 *
 * <ul>
 *   <li>{@code sluice_cluster_members{status}}: members of the cluster by status, as this node
 *       sees them; {@code sluice_cluster_unreachable_members}; {@code sluice_node_up} (1 once this
 *       node is an Up member);
 *   <li>{@code sluice_node_journal_ready}: 1 while this node's journal check passes;
 *   <li>{@code sluice_journal_events_total}, {@code sluice_journal_event_bytes_total},
 *       {@code sluice_snapshots_total}, {@code sluice_snapshot_bytes_total}: what this JVM wrote to
 *       the journal and the snapshot store;
 *   <li>the JVM's memory, collections, threads, classes, CPU and uptime ({@code jvm_*},
 *       {@code process_*}, {@code system_*}).
 * </ul>
 */
public final class NodeMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();

  /**
   * @param up whether this node is an Up member
   * @param journalReady whether this node's journal check passes
   */
  public NodeMetrics(ActorSystem<?> system, String nodeName, BooleanSupplier up, BooleanSupplier journalReady) {
    prometheus.config().commonTags("node", nodeName);
    MeterRegistry r = prometheus;
    new JvmMemoryMetrics().bindTo(r);
    gc.bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ClassLoaderMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    for (MemberStatus s : statuses()) {
      String name = s.toString().toLowerCase(Locale.ROOT).replace("weaklyup", "weakly_up");
      Gauge.builder("sluice.cluster.members", cluster, c -> count(c.state(), s)).tag("status", name)
          .description("Members of the cluster with this status, as this node sees them").register(r);
    }
    Gauge.builder("sluice.cluster.unreachable.members", cluster, c -> c.state().getUnreachable().size())
        .description("Members this node's failure detector marks unreachable").register(r);
    // a gauge holds its object weakly unless told: these suppliers have no other holder
    Gauge.builder("sluice.node.up", up, u -> u.getAsBoolean() ? 1 : 0).strongReference(true)
        .description("1 once this node is an Up member of the cluster").register(r);
    Gauge.builder("sluice.node.journal.ready", journalReady, j -> j.getAsBoolean() ? 1 : 0).strongReference(true)
        .description("1 while this node's journal check writes succeed").register(r);
    FunctionCounter.builder("sluice.journal.events", ProtocolSerializer.EVENTS, a -> a.sum())
        .description("Events this JVM wrote to the journal").register(r);
    FunctionCounter.builder("sluice.journal.event.bytes", ProtocolSerializer.EVENT_BYTES, a -> a.sum())
        .description("Bytes of the events this JVM wrote to the journal, as stored (compressed)").register(r);
    FunctionCounter.builder("sluice.journal.event.body.bytes", ProtocolSerializer.EVENT_BODY_BYTES, a -> a.sum())
        .description("Bytes of the events this JVM wrote to the journal, before compression").register(r);
    FunctionCounter.builder("sluice.snapshots", ProtocolSerializer.SNAPSHOTS, a -> a.sum())
        .description("Snapshots this JVM wrote").register(r);
    FunctionCounter.builder("sluice.snapshot.bytes", ProtocolSerializer.SNAPSHOT_BYTES, a -> a.sum())
        .description("Bytes of the snapshots this JVM wrote").register(r);
    SluiceMetrics.get(system).add(prometheus);
  }

  private static MemberStatus[] statuses() {
    return new MemberStatus[] {MemberStatus.joining(), MemberStatus.weaklyUp(), MemberStatus.up(),
        MemberStatus.leaving(), MemberStatus.exiting(), MemberStatus.down(), MemberStatus.removed()};
  }

  private static int count(ClusterEvent.CurrentClusterState state, MemberStatus s) {
    int n = 0;
    for (Member m : state.getMembers()) {
      if (m.status().equals(s)) {
        n++;
      }
    }
    return n;
  }

  /** The Prometheus text exposition format, version 0.0.4. */
  public String scrape() {
    return prometheus.scrape();
  }

  @Override
  public void close() {
    gc.close();
    prometheus.close();
  }
}
