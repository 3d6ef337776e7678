package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import io.sluice.cluster.runtime.JobCoordinator;
import io.sluice.cluster.runtime.RouteRefresh;
import java.io.NotSerializableException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of every persisted control-plane type (job coordinator events and snapshot, canary
 * and node-probe events), under logical manifests — never class names.
 */
class CborSerializerTest {
  private static ActorTestKit kit;
  private static Serialization serialization;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("cbor", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve());
    serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static void golden(Object o, String manifest, String hex) throws NotSerializableException {
    Serializer s = serialization.findSerializerFor(o);
    assertEquals(CborSerializer.class, s.getClass(), "bound to the CBOR serializer");
    CborSerializer cbor = (CborSerializer) s;
    assertEquals(manifest, cbor.manifest(o));
    byte[] bytes = cbor.toBinary(o);
    assertEquals(hex, HexFormat.of().formatHex(bytes), "the " + manifest + " format changed");
    assertEquals(o, cbor.fromBinary(bytes, manifest));
  }

  @Test
  void routeRefreshRequestCrossesNodes() throws Exception {
    RouteRefresh.Request r = new RouteRefresh.Request(List.of("j/src/0", "j/sum/1"), "node-2");
    Serializer s = serialization.findSerializerFor(r);
    assertEquals(CborSerializer.class, s.getClass());
    CborSerializer cbor = (CborSerializer) s;
    assertEquals("route-refresh-request-1", cbor.manifest(r));
    assertEquals(r, cbor.fromBinary(cbor.toBinary(r), "route-refresh-request-1"));
  }

  @Test
  void jobSubmitted() throws Exception {
    golden(new JobCoordinator.JobSubmitted("wc-1", "word-count", Map.of("input", "a.txt"), "00ff", 1000),
        "coordinator-event-1", JOB_SUBMITTED);
  }

  @Test
  void jobEnded() throws Exception {
    golden(new JobCoordinator.JobEnded("wc-1", JobCoordinator.Status.FAILED, 2000, "wc-1/count/0", "count", "r",
        "E: x", null), "coordinator-event-1", JOB_ENDED);
  }

  @Test
  void coordinatorState() throws Exception {
    JobCoordinator.Job j = new JobCoordinator.Job("wc-1", "word-count", Map.of(), "00ff",
        JobCoordinator.Status.RUNNING, 1000, 0, null, null, null, null, null);
    golden(new JobCoordinator.State(Map.of("wc-1", j)), "coordinator-state-1", STATE);
  }

  @Test
  void canaryAndNodeProbeEvents() throws Exception {
    golden(new Canary.Pinged(5), "canary-event-1", "bf64747970656670696e676564686174" + "4d696c6c697305ff");
    golden(new NodeProbe.Touched(6), "node-probe-event-1", "bf6474797065677" + "46f756368656468617" + "44d696c6c697306ff");
  }

  @Test
  void commandsWithActorReferencesRoundTrip() throws Exception {
    TestProbe<JobCoordinator.SubmitResult> probe = kit.createTestProbe();
    JobCoordinator.Submit submit = new JobCoordinator.Submit("p", Map.of("k", "v"), probe.getRef());
    CborSerializer cbor = (CborSerializer) serialization.findSerializerFor(submit);
    assertEquals("coordinator-command-1", cbor.manifest(submit));
    byte[] bytes = serialization.serialize(submit).get(); // sets the transport information actor references need
    assertEquals(submit, serialization.deserialize(bytes, cbor.identifier(), "coordinator-command-1").get());
  }

  @Test
  void whenTheManifestIsUnknown_thenTheErrorSaysSo() {
    CborSerializer cbor = (CborSerializer) serialization.findSerializerFor(new Canary.Pinged(1));
    NotSerializableException e = assertThrows(NotSerializableException.class, () -> cbor.fromBinary(new byte[0],
        "io.sluice.Something"));
    assertEquals("unknown manifest 'io.sluice.Something': data written by a newer version?", e.getMessage());
  }

  private static final String JOB_SUBMITTED = "bf6474797065697375626d6974746564656a6f6249646477632d3168706970656c696e65"
      + "6a776f72642d636f756e746a706172616d6574657273bf65696e70757465612e747874ff6b66696e6765727072696e7464303066"
      + "666861744d696c6c69731903e8ff";
  private static final String JOB_ENDED = "bf647479706565656e646564656a6f6249646477632d3166737461747573664641494c4544"
      + "6861744d696c6c69731907d06e6661696c6564496e7374616e63656c77632d312f636f756e742f306b6661696c6564537461676565"
      + "636f756e746c6661696c65645265636f726461726b6661696c65644572726f7264453a20786966696e616c56696577f6ff";
  private static final String STATE = "bf646a6f6273bf6477632d31bf656a6f6249646477632d3168706970656c696e656a776f72"
      + "642d636f756e746a706172616d6574657273bfff6b66696e6765727072696e746430306666667374617475736752554e4e494e476f"
      + "7375626d69747465644d696c6c69731903e86b656e6465644d696c6c6973006e6661696c6564496e7374616e6365f66b6661696c65"
      + "645374616765f66c6661696c65645265636f7264f66b6661696c65644572726f72f66966696e616c56696577f6ffffff";
}
