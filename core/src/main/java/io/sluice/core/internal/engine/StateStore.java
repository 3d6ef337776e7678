package io.sluice.core.internal.engine;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * INTERNAL API: where operator instances keep their stored keyed state: versions of key groups
 * (bases and deltas), each as a list of chunks of bounded size. Addressed by owner (a job's
 * operator: key groups belong to operators, not instances, so that they can move), key group and
 * version. Every operation is asynchronous and may fail; a failed write leaves the previous
 * versions intact.
 */
public interface StateStore {
  /** Writes every chunk of one version of a key group; completes once all are durable. */
  CompletionStage<Void> write(String owner, int keyGroup, long version, List<byte[]> chunks);

  /** Reads chunks {@code [0, count)} of one version of a key group, in order. */
  CompletionStage<List<byte[]>> read(String owner, int keyGroup, long version, int count);

  /** Reads chunks {@code [0, count)} of one version of a key group as one array. */
  default CompletionStage<byte[]> readWhole(String owner, int keyGroup, long version, int count) {
    return read(owner, keyGroup, version, count).thenApply(StateStore::concat);
  }

  /** Deletes every version of a key group below {@code version}. */
  CompletionStage<Void> deleteBelow(String owner, int keyGroup, long version);

  /** Deletes every version of a key group above {@code version}. */
  CompletionStage<Void> deleteAbove(String owner, int keyGroup, long version);

  /** The chunks of one version as one array. */
  static byte[] concat(List<byte[]> chunks) {
    int n = 0;
    for (byte[] c : chunks) {
      n += c.length;
    }
    byte[] all = new byte[n];
    int off = 0;
    for (byte[] c : chunks) {
      System.arraycopy(c, 0, all, off, c.length);
      off += c.length;
    }
    return all;
  }
}
