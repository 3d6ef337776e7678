package io.sluice.persistence.jars;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where the cluster keeps uploaded jars. A jar becomes visible ({@link #info}, {@link #list}) only
 * once all its chunks are written: a failed upload leaves nothing a job could use.
 */
public interface JarStore {
  /** Stores {@code bytes} under {@code info} (whose id and chunk count must match them): chunks first, then the info. */
  CompletionStage<Void> put(JarInfo info, List<byte[]> chunks);

  CompletionStage<Optional<JarInfo>> info(String id);

  /** Every stored jar, by upload time. */
  CompletionStage<List<JarInfo>> list();

  /** The chunks of a stored jar, in order. */
  CompletionStage<List<byte[]>> chunks(JarInfo info);

  /** Removes a jar: its info first (so it is invisible at once), then its chunks. */
  CompletionStage<Void> delete(JarInfo info);
}
