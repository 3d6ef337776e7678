package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import io.sluice.cluster.runtime.JobCoordinator;
import io.sluice.cluster.runtime.JobState;
import io.sluice.cluster.runtime.JobView;
import io.sluice.cluster.runtime.RouteRefresh;
import io.sluice.cluster.runtime.StatePrefetch;
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
 * Golden bytes of every persisted control-plane type (job coordinator events and snapshot, job
 * views, canary and node-probe events) and of messages between nodes, under logical manifests —
 * never class names.
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
  void statePrefetchPlacementCrossesNodes() throws Exception {
    StatePrefetch.Placement p = new StatePrefetch.Placement(Map.of("pekko://sluice@127.0.0.1:25521",
        List.of("j/src/0", "j/sum/1"), "pekko://sluice@127.0.0.1:25522", List.of()));
    CborSerializer cbor = (CborSerializer) serialization.findSerializerFor(p);
    assertEquals("state-prefetch-placement-1", cbor.manifest(p));
    assertEquals(p, cbor.fromBinary(cbor.toBinary(p), "state-prefetch-placement-1"));
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
    golden(new JobCoordinator.JobSubmitted("wc-1", "word-count", Map.of("input", "a.txt"), "00ff", 1000, null,
        null),
        "coordinator-event-1", JOB_SUBMITTED);
  }

  @Test
  void jobsFromJarsKeepTheirJar() throws Exception {
    String jar = "ab".repeat(32);
    JobCoordinator.JobSubmitted e = new JobCoordinator.JobSubmitted("wc-1", "word-count", Map.of(), "00ff", 1000, jar,
        null);
    CborSerializer cbor = (CborSerializer) serialization.findSerializerFor(e);
    assertEquals(e, cbor.fromBinary(cbor.toBinary(e), "coordinator-event-1"));
    JobCoordinator.Job j = new JobCoordinator.Job("wc-1", "word-count", Map.of(), "00ff",
        JobCoordinator.Status.RUNNING, 1000, 0, null, null, null, null, null, jar, null);
    JobCoordinator.State st = new JobCoordinator.State(Map.of("wc-1", j));
    assertEquals(st, cbor.fromBinary(cbor.toBinary(st), "coordinator-state-1"));
    assertEquals(jar, j.jarId());
    // written before jars: no jar, a pipeline of the nodes' own
    JobCoordinator.JobSubmitted old = (JobCoordinator.JobSubmitted) cbor.fromBinary(HexFormat.of()
        .parseHex(JOB_SUBMITTED), "coordinator-event-1");
    assertEquals(null, old.jar());
    assertEquals(null, old.savepoint());
    // a job from a savepoint keeps its savepoint
    JobCoordinator.JobSubmitted restored = new JobCoordinator.JobSubmitted("wc-2", "word-count", Map.of(), "00ff",
        1000, null, "sp-1234abcd");
    assertEquals(restored, cbor.fromBinary(cbor.toBinary(restored), "coordinator-event-1"));
  }

  @Test
  void jobEnded() throws Exception {
    golden(new JobCoordinator.JobEnded("wc-1", JobCoordinator.Status.FAILED, 2000, "wc-1/count/0", "count", "r",
        "E: x", null), "coordinator-event-1", JOB_ENDED);
  }

  @Test
  void coordinatorState() throws Exception {
    JobCoordinator.Job j = new JobCoordinator.Job("wc-1", "word-count", Map.of(), "00ff",
        JobCoordinator.Status.RUNNING, 1000, 0, null, null, null, null, null, null, null);
    golden(new JobCoordinator.State(Map.of("wc-1", j)), "coordinator-state-1", STATE);
  }

  @Test
  void canaryAndNodeProbeEvents() throws Exception {
    golden(new Canary.Pinged(5), "canary-event-1", "bf64747970656670696e676564686174" + "4d696c6c697305ff");
    golden(new NodeProbe.Touched(6), "node-probe-event-1", "bf6474797065677" + "46f756368656468617" + "44d696c6c697306ff");
  }

  @Test
  void nodeJournalCrossesNodes() throws Exception {
    // from every node to the coordinator singleton, wherever it runs: a format change is a conscious act
    golden(new JobCoordinator.NodeJournal("node-2", "AllNodesFailedException: down", 1000, 6000),
        "coordinator-command-1", NODE_JOURNAL_FAILING);
    golden(new JobCoordinator.NodeJournal("node-2", null, 0, 6000), "coordinator-command-1", NODE_JOURNAL_OK);
  }

  @Test
  void jobViewWithItsDegradedState() throws Exception {
    // persisted as a job's final numbers (JobEnded.finalView, the coordinator's snapshots)
    golden(view(JobState.DEGRADED, 1500, "journal unavailable on node-1 for 3 s: down"), "job-view-1", JOB_VIEW);
  }

  @Test
  void whenAJobViewWasWrittenBeforeItHadAState_thenItStillReads() throws Exception {
    CborSerializer cbor = (CborSerializer) serialization.findSerializerFor(view(JobState.FINISHED, 0, null));
    JobView old = (JobView) cbor.fromBinary(HexFormat.of().parseHex(JOB_VIEW_WITHOUT_STATE), "job-view-1");
    assertEquals(view(null, 0, null), old);
  }

  @Test
  void aLiveJobViewCarriesWhereEachInstanceRuns_theViewAnEndedJobKeepsDoesNot() throws Exception {
    JobView live = new JobView("wc-1", "word-count", Map.of(), JobCoordinator.Status.RUNNING, 1000, 0, null, null,
        null, null, List.of(new JobView.OperatorView("count", 2, 1, 10, 5, 0, 0, 0, 0, 0, List.of("node-2"),
        List.of("node-2", ""))), 5, 1.5, 3.0, 7, 0, 0, JobState.RUNNING, 0, null, null);
    CborSerializer cbor = (CborSerializer) serialization.findSerializerFor(live);
    assertEquals(live, cbor.fromBinary(cbor.toBinary(live), cbor.manifest(live)));
    JobView kept = live.withoutPlacement();
    assertEquals(null, kept.operators().get(0).instanceNodes());
    assertFalse(HexFormat.of().formatHex(cbor.toBinary(kept)).contains(HexFormat.of().formatHex(
        "instanceNodes".getBytes(java.nio.charset.StandardCharsets.US_ASCII))), "not written once a job ended");
  }

  private static JobView view(JobState state, long degradedSince, String cause) {
    return new JobView("wc-1", "word-count", Map.of("input", "a.txt"), JobCoordinator.Status.FINISHED, 1000, 2000,
        null, null, null, null, List.of(new JobView.OperatorView("count", 2, 2, 10, 5, 0, 0, 2, 1, 0,
        List.of("node-1"), null)), 5, 1.5, 3.0, 7, 0, 1, state, degradedSince, cause, null);
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

  private static final String NODE_JOURNAL_FAILING = "bf64747970656c6e6f64652d6a6f75726e616c646e6f6465666e6f64652d32656572726f72781d416c6c4e6f646573466169"
      + "6c6564457863657074696f6e3a20646f776e6b73696e63654d696c6c69731903e86e76616c6964466f724d696c6c69731917"
      + "70ff";
  private static final String NODE_JOURNAL_OK = "bf64747970656c6e6f64652d6a6f75726e616c646e6f6465666e6f64652d32656572726f72f66b73696e63654d696c6c6973"
      + "006e76616c6964466f724d696c6c6973191770ff";
  private static final String JOB_VIEW = "bf656a6f6249646477632d3168706970656c696e656a776f72642d636f756e746a706172616d6574657273bf65696e707574"
      + "65612e747874ff667374617475736846494e49534845446f7375626d69747465644d696c6c69731903e86b656e6465644d69"
      + "6c6c69731907d06e6661696c6564496e7374616e6365f66b6661696c65645374616765f66c6661696c65645265636f7264f6"
      + "6b6661696c65644572726f72f6696f70657261746f727381bf646e616d6565636f756e746b706172616c6c656c69736d0269"
      + "7265706f7274696e6702697265636f726473496e0a6a7265636f7264734f757405676261636b6c6f670067756e61636b6564"
      + "006866696e6973686564026a7265636f766572696573016b646561644c65747465727300656e6f64657381666e6f64652d31"
      + "ff6b73696e6b5265636f72647305706c6174656e63795035304d696c6c6973fb3ff8000000000000706c6174656e63795039"
      + "394d696c6c6973fb40080000000000006e6c6174656e637953616d706c657307636c6167006a7265636f7665726965730165"
      + "73746174656844454752414445446d646567726164656453696e63651905dc656361757365782b6a6f75726e616c20756e61"
      + "7661696c61626c65206f6e206e6f64652d3120666f72203320733a20646f776eff";
  /** A JobView as written before it had state, degradedSince and cause. */
  private static final String JOB_VIEW_WITHOUT_STATE = "bf656a6f6249646477632d3168706970656c696e656a776f72642d636f756e746a706172616d6574657273bf65696e707574"
      + "65612e747874ff667374617475736846494e49534845446f7375626d69747465644d696c6c69731903e86b656e6465644d69"
      + "6c6c69731907d06e6661696c6564496e7374616e6365f66b6661696c65645374616765f66c6661696c65645265636f7264f6"
      + "6b6661696c65644572726f72f6696f70657261746f727381bf646e616d6565636f756e746b706172616c6c656c69736d0269"
      + "7265706f7274696e6702697265636f726473496e0a6a7265636f7264734f757405676261636b6c6f670067756e61636b6564"
      + "006866696e6973686564026a7265636f766572696573016b646561644c65747465727300656e6f64657381666e6f64652d31"
      + "ff6b73696e6b5265636f72647305706c6174656e63795035304d696c6c6973fb3ff8000000000000706c6174656e63795039"
      + "394d696c6c6973fb40080000000000006e6c6174656e637953616d706c657307636c6167006a7265636f76657269657301ff";
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
