package io.sluice.core.internal.exec;

import java.util.List;

/**
 * INTERNAL API: keyed state that an instance's snapshot does not hold itself: it is stored by key
 * group, as bases and deltas in chunks, and the snapshot holds their manifest and the entries
 * changed since their last capture.
 *
 * <ol>
 *   <li>{@link #capture} takes the key groups changed since their last capture; the runtime writes
 *       their bytes (in chunks) and reports {@link #captureWritten} or {@link #captureFailed}. One
 *       capture at a time.
 *   <li>A snapshot taken after a written capture refers to the stored versions.
 *   <li>After a restore, {@link #awaitsChunks} is true until the runtime loads the stored
 *       versions ({@link #toLoad}) key group by key group and calls {@link #finishLoad}; changes
 *       replayed in between wait.
 * </ol>
 */
public interface ChunkedState {
  /** One stored version of a key group to read back. */
  record Part(int keyGroup, KeyedBackend.Stored stored) {}

  List<KeyedBackend.GroupCapture> capture(long version, int maxDeltas, long maxBytes);

  /** True if a snapshot now would be complete (no key group waits for a new base). */
  boolean storedIsComplete();

  void captureWritten(List<KeyedBackend.GroupCapture> captures, int[] chunks);

  void captureFailed(List<KeyedBackend.GroupCapture> captures);

  /** An estimate of the bytes changed since the last capture: what a snapshot would hold inline. */
  long changedSinceCapture();

  /**
   * Prepares the next snapshot: encodes the entries changed since the last capture, which the
   * snapshot holds itself. False if they exceed {@code maxBytes} (then another capture should come
   * first).
   */
  boolean prepareSnapshot(long maxBytes);

  /** The key groups with stored versions, and those versions (for reclaiming old ones). */
  int[] storedGroups();

  List<KeyedBackend.Stored> stored(int keyGroup);

  /** The range of key groups of this instance: {@code [first, end)}. */
  int firstKeyGroup();

  int endKeyGroup();

  boolean awaitsChunks();

  /** The stored versions a restored instance must read, in the order to apply them. */
  List<Part> toLoad();

  /**
   * The stored versions that an instance restored from {@code snapshot} (its operator's part) would
   * read, found without restoring it: no user function is opened, no entry decoded. Only on a fresh
   * instance used for nothing else.
   */
  List<Part> storedPartsOf(byte[] snapshot);

  /**
   * Applies the stored versions of one key group ({@code versions}: the bytes of each of its parts
   * in {@link #toLoad}, in that order). Key groups may come in any order; each once.
   */
  void loadGroup(int keyGroup, List<byte[]> versions);

  /** Every key group is loaded: applies what waited for them (the snapshot's own entries, replayed changes). */
  void finishLoad();
}
