package io.sluice.core.connector;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** Built-in sources. */
public final class Sources {
  private Sources() {}

  /**
   * The given items, in order, as a bounded source. With {@code n} splits, split {@code s} emits the
   * items at indexes {@code i} with {@code i mod n = s}. Items must be encodable (see
   * {@link io.sluice.core.codec.Codec}); the list is copied.
   */
  public static <T> Source<T> collection(String name, List<? extends T> items) {
    return new CollectionSource<>(name, List.copyOf(items));
  }

  /** The lines of a UTF-8 text file, split into byte ranges (one per instance). */
  public static Source<String> textFile(String name, Path file) {
    return new TextFileSource(name, file);
  }

  /** Deterministic keyed records; see {@link Generator}. */
  public static Source<GeneratedRecord> generator(String name, Generator generator) {
    return Objects.requireNonNull(generator, "generator").toSource(name);
  }
}
