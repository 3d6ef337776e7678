package io.sluice.core.internal.exec;

/** INTERNAL API: a slot value that tracks its changes since it was last committed (lists, maps, windows). */
public interface Tracked {
  /** It was replaced as a whole: the next write is in full. */
  void replaced();
}
