package io.sluice.cluster.demo;

import io.sluice.cluster.CassandraCommandSupport;
import io.sluice.cluster.LocalCluster;
import io.sluice.persistence.cassandra.DevCassandra;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice demo}: starts the dev Cassandra (unless it runs) and a 3-node cluster from
 * {@code conf/}, kills a node and shows the failover, then stops everything it started.
 */
@Command(name = "demo", description = "Start Cassandra and a 3-node cluster from conf/, kill a node, show the"
    + " failover, stop everything.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--nodes", description = "node config files (default: conf/node-1.conf conf/node-2.conf"
      + " conf/node-3.conf)", split = ",")
  List<Path> nodes = List.of(Path.of("conf/node-1.conf"), Path.of("conf/node-2.conf"), Path.of("conf/node-3.conf"));

  @Override
  public Integer call() {
    Path home = DevCassandra.home();
    DevCassandra cassandra = CassandraCommandSupport.devCassandra(null);
    boolean started = false;
    if (!cassandra.servesCql()) {
      System.out.println("starting the dev Cassandra on " + cassandra.contactPoint() + " ...");
      Duration took = cassandra.start();
      started = true;
      System.out.printf("Cassandra serves CQL after %.1f s%n", took.toMillis() / 1000.0);
    } else {
      System.out.println("using the Cassandra already serving CQL on " + cassandra.contactPoint());
    }
    Path logs = home.resolve("data/logs/demo");
    try (LocalCluster cluster = new LocalCluster(home, nodes, List.of(), logs)) {
      FailoverScenario.Result r = new FailoverScenario(cluster, System.out).run();
      System.out.printf("%nDEMO OK: %s killed; removed after %.1f s; canary %s back on %s after %.1f s with its"
          + " state.%nNode logs: %s%n", r.victim(), r.removedSeconds(), r.canary(), r.movedTo(),
          r.runningAgainSeconds(), logs);
      return 0;
    } catch (IllegalStateException e) {
      System.err.println("DEMO FAILED: " + e.getMessage() + "\nNode logs: " + logs);
      return 1;
    } finally {
      // the nodes were killed when the cluster closed
      if (started) {
        System.out.println("stopping the Cassandra this demo started ...");
        cassandra.stop();
      }
    }
  }
}
