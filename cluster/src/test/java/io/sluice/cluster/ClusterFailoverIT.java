package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.sluice.cluster.demo.FailoverScenario;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ClusterFailoverIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: three node JVMs start from conf/node-1..3.conf (pointed at this class's
   * keyspace) and must form a cluster with all three Up. Canaries (sharded, event-sourced
   * entities) are pinged through node 1 until one lives on node 3. Node 3 is killed with SIGKILL;
   * the survivors must down and remove it (keep-majority), and the canary must answer again from
   * a survivor with its count intact (recovered from Cassandra). The scenario is the one of
   * `bin/sluice demo`; it throws when a step does not happen within its timeout. Times are printed.
   */
  @Test
  void whenNodeKilled_thenSurvivorsRemoveItAndItsEntityRunsOnASurvivor() {
    Path home = DevCassandra.home();
    try (LocalCluster cluster = new LocalCluster(home, List.of(Path.of("conf/node-1.conf"),
        Path.of("conf/node-2.conf"), Path.of("conf/node-3.conf")), cassandra.jvmFlags(),
        home.resolve("target/it-logs/cluster-failover"))) {
      FailoverScenario.Result r = new FailoverScenario(cluster, System.out).run();
      assertEquals("node-3", r.victim());
      assertNotEquals("node-3", r.movedTo(), "the canary answered from the killed node");
      assertEquals(r.pingsBefore() + 1, r.pingsAfter(), "the canary's state was not recovered");
      System.out.printf("[cluster-failover] nodes ready after %.1f s; SIGKILL of %s: removed after %.1f s, entity %s"
          + " running again on %s after %.1f s%n", r.readySeconds(), r.victim(), r.removedSeconds(), r.canary(),
          r.movedTo(), r.runningAgainSeconds());
    }
  }
}
