package io.sluice.core.dsl;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Declares one piece of keyed state of a {@link KeyedProcessFunction}: its kind (value, list or
 * map), its name, and an optional time-to-live.
 *
 * <pre>{@code
 * private static final StateSpec<ValueState<Long>> COUNT = StateSpec.value("count");
 * private static final StateSpec<ListState<Click>> CLICKS =
 *     StateSpec.<Click>list("clicks").withTtl(Duration.ofMinutes(30));
 * }</pre>
 *
 * <p>Time-to-live works as Flink's default: it is measured in processing time from the last
 * write; an expired entry is never returned and is removed in the background. For list and map
 * state the TTL applies to the whole list or map of a key.
 *
 * <p>State names are persisted: renaming one orphans the state it held.
 *
 * @param <S> the handle type ({@link ValueState}, {@link ListState} or {@link MapState})
 */
public final class StateSpec<S> {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

  /** The kind of state. */
  public enum Kind { VALUE, LIST, MAP }

  private final Kind kind;
  private final String name;
  private final Duration ttl;

  private StateSpec(Kind kind, String name, Duration ttl) {
    Objects.requireNonNull(name, "state name must not be null");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid state name '" + name
          + "': use 1 to 100 letters, digits, '_', '.' or '-'");
    }
    if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
      throw new IllegalArgumentException("state '" + name + "': TTL must be positive, was " + ttl);
    }
    this.kind = kind;
    this.name = name;
    this.ttl = ttl;
  }

  public static <V> StateSpec<ValueState<V>> value(String name) {
    return new StateSpec<>(Kind.VALUE, name, null);
  }

  public static <V> StateSpec<ListState<V>> list(String name) {
    return new StateSpec<>(Kind.LIST, name, null);
  }

  public static <K, V> StateSpec<MapState<K, V>> map(String name) {
    return new StateSpec<>(Kind.MAP, name, null);
  }

  /** The same spec with a time-to-live (processing time, refreshed by every write). */
  public StateSpec<S> withTtl(Duration ttl) {
    return new StateSpec<>(kind, name, Objects.requireNonNull(ttl, "ttl"));
  }

  public Kind kind() {
    return kind;
  }

  public String name() {
    return name;
  }

  public Optional<Duration> ttl() {
    return Optional.ofNullable(ttl);
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase() + " state '" + name + "'" + (ttl == null ? "" : " (ttl " + ttl + ")");
  }
}
