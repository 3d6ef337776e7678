package io.sluice.core.dsl;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The string parameters of a submitted pipeline, with typed getters whose errors name the
 * parameter and the bad value. Immutable.
 */
public final class Parameters {
  private static final Parameters EMPTY = new Parameters(Map.of());
  private final Map<String, String> values;

  private Parameters(Map<String, String> values) {
    this.values = values;
  }

  public static Parameters empty() {
    return EMPTY;
  }

  public static Parameters of(Map<String, String> values) {
    Map<String, String> m = new TreeMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      m.put(Objects.requireNonNull(e.getKey(), "parameter name"),
          Objects.requireNonNull(e.getValue(), "value of parameter '" + e.getKey() + "'"));
    }
    return new Parameters(java.util.Collections.unmodifiableMap(m));
  }

  /** Parses {@code key=value} strings (as given on a command line). */
  public static Parameters parse(Iterable<String> pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String p : pairs) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("parameter '" + p + "' is not of the form name=value");
      }
      m.put(p.substring(0, eq).trim(), p.substring(eq + 1));
    }
    return of(m);
  }

  public Parameters with(String key, String value) {
    Map<String, String> m = new TreeMap<>(values);
    m.put(key, value);
    return of(m);
  }

  public Map<String, String> asMap() {
    return values;
  }

  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  public String string(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException("missing parameter '" + key + "'");
    }
    return v;
  }

  public String string(String key, String defaultValue) {
    return values.getOrDefault(key, defaultValue);
  }

  public long longValue(String key, long defaultValue) {
    String v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Long.parseLong(v.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("parameter '" + key + "' must be a whole number, was '" + v + "'");
    }
  }

  public int intValue(String key, int defaultValue) {
    long v = longValue(key, defaultValue);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("parameter '" + key + "' is out of range: " + v);
    }
    return (int) v;
  }

  /** A duration as ISO-8601 ({@code PT5S}) or a number with a unit: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
  public Duration duration(String key, Duration defaultValue) {
    String v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    String s = v.trim().toLowerCase();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    try {
      if (s.startsWith("pt") || s.startsWith("p")) {
        return Duration.parse(v.trim().toUpperCase());
      }
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
      }
      long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
      switch (s.charAt(s.length() - 1)) {
        case 's':
          return Duration.ofSeconds(n);
        case 'm':
          return Duration.ofMinutes(n);
        case 'h':
          return Duration.ofHours(n);
        default:
          break;
      }
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException("parameter '" + key + "' must be a duration like 500ms, 5s, 2m or PT5S, was '"
        + v + "'");
  }

  public Path path(String key) {
    return Path.of(string(key));
  }

  @Override
  public String toString() {
    return values.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Parameters p && p.values.equals(values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }
}
