package io.sluice.persistence.jars;

import java.util.List;
import java.util.Objects;

/**
 * A stored jar: its id (the SHA-256 of its bytes, hex), the file name it was uploaded as, its size,
 * the chunks it is stored in, when it was uploaded, and the pipelines its factories offer.
 */
public record JarInfo(String id, String name, long bytes, int chunks, long uploadedMillis, List<String> pipelines) {
  public JarInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    pipelines = List.copyOf(pipelines);
  }
}
