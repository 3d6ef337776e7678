package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the API shows of a job's parameters: secrets masked, everything else as it is. */
class SecretsTest {
  @Test
  void secretParametersAndSecretSqlOptionsAreMasked_everythingElseIsShownAsItIs() {
    String script = String.join("\n",
        "CREATE TABLE orders (id BIGINT) WITH (",
        "  'connector' = 'kafka', 'topic' = 'orders',",
        "  'properties.sasl.jaas.config' = 'org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"u\" password=\"hunter2\";',",
        "  'password'='it''s-a-secret', 'properties.ssl.truststore.password' = 'tspw',",
        "  'format' = 'json');",
        "INSERT INTO out SELECT 'password' FROM orders;");
    Map<String, String> params = new LinkedHashMap<>();
    params.put("script", script);
    params.put("cassandra-password", "pw1");
    params.put("api_token", "tok-9f3a");
    params.put("output", "/tmp/out");
    params.put("keys", "1000");
    Map<String, String> shown = Secrets.redact(params);
    assertEquals(Secrets.MASK, shown.get("cassandra-password"));
    assertEquals(Secrets.MASK, shown.get("api_token"));
    assertEquals("/tmp/out", shown.get("output"));
    assertEquals("1000", shown.get("keys"));
    assertEquals(String.join("\n",
        "CREATE TABLE orders (id BIGINT) WITH (",
        "  'connector' = 'kafka', 'topic' = 'orders',",
        "  'properties.sasl.jaas.config' = '******',",
        "  'password'='******', 'properties.ssl.truststore.password' = '******',",
        "  'format' = 'json');",
        "INSERT INTO out SELECT 'password' FROM orders;"), shown.get("script"));
    for (String secret : new String[] {"hunter2", "it''s-a-secret", "tspw", "pw1", "tok-9f3a"}) {
      assertFalse(shown.toString().contains(secret), secret);
    }
    assertEquals("/tmp/out", params.get("output"), "the job's own parameters stay");
    assertEquals(script, params.get("script"));
  }
}
