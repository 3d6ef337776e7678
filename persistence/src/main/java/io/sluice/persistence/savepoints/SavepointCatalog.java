package io.sluice.persistence.savepoints;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where the cluster lists its savepoints. A savepoint exists once its info is written, which
 * happens after all its parts are: an interrupted savepoint is never visible.
 */
public interface SavepointCatalog {
  CompletionStage<Void> put(SavepointInfo info);

  CompletionStage<Optional<SavepointInfo>> info(String id);

  /** Every savepoint, newest first. */
  CompletionStage<List<SavepointInfo>> list();

  /** Removes the info (so the savepoint is gone at once); its parts are removed by the caller after. */
  CompletionStage<Void> delete(String id);
}
