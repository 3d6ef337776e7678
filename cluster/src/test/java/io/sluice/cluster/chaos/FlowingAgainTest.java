package io.sluice.cluster.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** When a killed node's instances flowed again, read from the job's instance list as the API renders it. */
class FlowingAgainTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long KILLED_AT = 10_000;

  private static JsonNode instance(String id, long incarnation, boolean finished, long firstInput) {
    return JSON.createObjectNode().put("instance", id).put("incarnation", incarnation).put("finished", finished)
        .put("firstInputMillis", firstInput).put("lastInputMillis", firstInput);
  }

  private static OptionalLong flowing(JsonNode... instances) {
    ArrayNode list = JSON.createArrayNode();
    for (JsonNode i : instances) {
      list.add(i);
    }
    return ChaosRun.flowingAgain(list, Map.of("j/sum/1", 1L, "j/src/0", 1L), KILLED_AT, -1);
  }

  @Test
  void theLatestFirstInputOfTheVictimsNewIncarnations() {
    assertEquals(OptionalLong.of(12_500),
        flowing(instance("j/sum/1", 2, false, 12_500), instance("j/src/0", 2, false, 11_000)));
    assertTrue(flowing(instance("j/sum/1", 2, false, 12_500), instance("j/src/0", 1, false, 9_000)).isEmpty(),
        "a victim still in the dead node's incarnation");
    assertTrue(flowing(instance("j/sum/1", 2, false, 12_500), instance("j/src/0", 2, false, 0)).isEmpty(),
        "a victim that has not consumed input since it recovered");
    assertTrue(flowing(instance("j/sum/1", 2, false, 12_500)).isEmpty(), "a victim not listed yet");
  }

  /* Seen in StateCatchUpIT: the job ended 0.4 s after its victims recovered, between two polls. */
  @Test
  void aJobThatEndedRightAfterTheRecoveryStillTellsWhenItsVictimsFlowedAgain() {
    assertEquals(OptionalLong.of(12_500),
        flowing(instance("j/sum/1", 2, true, 12_500), instance("j/src/0", 2, true, 11_000)),
        "finished in their new incarnations, after consuming input there");
    assertEquals(OptionalLong.of(12_500),
        flowing(instance("j/sum/1", 2, true, 12_500), instance("j/src/0", 1, true, 9_000)),
        "a victim that had finished before the kill needed no recovery");
  }
}
