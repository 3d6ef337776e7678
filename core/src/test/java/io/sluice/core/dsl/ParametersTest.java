package io.sluice.core.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Typed getters of submit-time parameters, and the messages a submitter sees. */
class ParametersTest {
  private final Parameters params = Parameters.parse(List.of("input=/data/in.txt", "keys=1_000", "rate= 42 ",
      "big=9999999999", "linger=500ms", "timeout=5s", "window=2m", "retention=1h", "iso=PT1.5S", "bad=ten",
      "empty=", "eq=a=b"));

  private static String error(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }

  @Test
  void typedGettersParseTheirValues() {
    assertEquals("/data/in.txt", params.string("input"));
    assertEquals(Path.of("/data/in.txt"), params.path("input"));
    assertEquals(1000, params.intValue("keys", 1));
    assertEquals(42L, params.longValue("rate", 0));
    assertEquals(9_999_999_999L, params.longValue("big", 0));
    assertEquals(Duration.ofMillis(500), params.duration("linger", null));
    assertEquals(Duration.ofSeconds(5), params.duration("timeout", null));
    assertEquals(Duration.ofMinutes(2), params.duration("window", null));
    assertEquals(Duration.ofHours(1), params.duration("retention", null));
    assertEquals(Duration.ofMillis(1500), params.duration("iso", null));
    assertEquals("", params.string("empty"));
    assertEquals("a=b", params.string("eq"), "only the first '=' separates name and value");
    assertEquals(Optional.of("ten"), params.get("bad"));
  }

  @Test
  void missingParametersTakeTheirDefaults() {
    assertEquals(7, params.intValue("nope", 7));
    assertEquals(-1L, params.longValue("nope", -1));
    assertEquals(Duration.ofSeconds(3), params.duration("nope", Duration.ofSeconds(3)));
    assertEquals("dflt", params.string("nope", "dflt"));
    assertEquals(Optional.empty(), params.get("nope"));
  }

  @Test
  void badValuesNameTheParameterAndTheValue() {
    assertEquals("missing parameter 'output'", error(() -> params.string("output")));
    assertEquals("missing parameter 'output'", error(() -> params.path("output")));
    assertEquals("parameter 'bad' must be a whole number, was 'ten'", error(() -> params.longValue("bad", 0)));
    assertEquals("parameter 'bad' must be a whole number, was 'ten'", error(() -> params.intValue("bad", 0)));
    assertEquals("parameter 'big' is out of range: 9999999999", error(() -> params.intValue("big", 0)));
    assertEquals("parameter 'bad' must be a duration like 500ms, 5s, 2m or PT5S, was 'ten'",
        error(() -> params.duration("bad", null)));
    assertEquals("parameter 'empty' must be a duration like 500ms, 5s, 2m or PT5S, was ''",
        error(() -> params.duration("empty", null)));
    assertEquals("parameter 'keys' must be a duration like 500ms, 5s, 2m or PT5S, was '1_000'",
        error(() -> params.duration("keys", null)));
    assertEquals("parameter 'x' must be a duration like 500ms, 5s, 2m or PT5S, was '3d'",
        error(() -> Parameters.of(Map.of("x", "3d")).duration("x", null)));
    assertEquals("parameter 'x' must be a duration like 500ms, 5s, 2m or PT5S, was 'Pfoo'",
        error(() -> Parameters.of(Map.of("x", "Pfoo")).duration("x", null)));
  }

  @Test
  void malformedPairsAreRejected() {
    assertEquals("parameter 'novalue' is not of the form name=value", error(() -> Parameters.parse(List.of("novalue"))));
    assertEquals("parameter '=x' is not of the form name=value", error(() -> Parameters.parse(List.of("=x"))));
  }

  @Test
  void parametersAreImmutableValues() {
    Parameters a = Parameters.of(Map.of("b", "2", "a", "1"));
    Parameters b = Parameters.empty().with("a", "1").with("b", "2");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals("{a=1, b=2}", a.toString());
    assertEquals(Map.of(), Parameters.empty().asMap());
    assertEquals(Map.of("a", "1"), Parameters.empty().with("a", "1").asMap());
    assertThrows(UnsupportedOperationException.class, () -> a.asMap().put("c", "3"));
    assertEquals("value of parameter 'k'", assertThrows(NullPointerException.class,
        () -> Parameters.empty().with("k", null)).getMessage());
  }
}
