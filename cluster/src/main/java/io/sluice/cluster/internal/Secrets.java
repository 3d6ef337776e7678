package io.sluice.cluster.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * INTERNAL API: hides secrets in what the HTTP API and the CLI show of a job (its parameters, a
 * SQL script among them). A parameter whose name says it is a secret shows as {@link #MASK}; in
 * any value, a SQL option {@code 'name' = 'value'} whose name says so keeps its name and loses its
 * value. A name says it is a secret when it contains password, passwd, secret, token, credential,
 * jaas (Kafka's {@code sasl.jaas.config} holds a password) or private key. The job itself keeps
 * the values: only what is shown is masked.
 */
public final class Secrets {
  public static final String MASK = "******";
  private static final String SECRET_WORD = "(?:password|passwd|secret|token|credential|jaas|private[-_.]?key)";
  private static final Pattern SECRET_NAME = Pattern.compile("(?i).*" + SECRET_WORD + ".*");
  /** {@code 'name' = 'value'} with a secret name; quotes inside SQL strings are doubled. */
  private static final Pattern SQL_OPTION = Pattern.compile("(?i)('(?:[^']|'')*" + SECRET_WORD
      + "(?:[^']|'')*'\\s*=\\s*)'(?:[^']|'')*'");

  private Secrets() {}

  /** Whether a parameter or option named {@code name} holds a secret. */
  public static boolean isSecret(String name) {
    return SECRET_NAME.matcher(name).matches();
  }

  /** {@code parameters} as they may be shown: secret ones masked, secret SQL options in values masked. */
  public static Map<String, String> redact(Map<String, String> parameters) {
    if (parameters == null) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    parameters.forEach((k, v) -> out.put(k, isSecret(k) ? MASK : redactText(v)));
    return out;
  }

  /** {@code text} with the values of secret SQL options masked. */
  public static String redactText(String text) {
    if (text == null || text.indexOf('\'') < 0) {
      return text;
    }
    return SQL_OPTION.matcher(text).replaceAll("$1'" + Matcher.quoteReplacement(MASK) + "'");
  }
}
