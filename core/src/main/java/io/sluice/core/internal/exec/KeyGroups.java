package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteWriter;
import io.sluice.core.internal.codec.ValueCodec;
import io.sluice.core.internal.util.Murmur3;

/**
 * INTERNAL API: keys to key groups to instances.
 *
 * <pre>
 *   keyGroup = (murmur3_32(encode(key)) &amp; 0x7fffffff) mod maxParallelism
 *   instance = keyGroup * parallelism / maxParallelism
 * </pre>
 *
 * The encoding is {@link ValueCodec}'s, so a key's group is the same on every JVM and forever.
 * Not thread-safe (it reuses a scratch buffer). Instance {@code i} owns the contiguous key-group range
 * {@code [ceil(i * max / p), ceil((i + 1) * max / p))}, which is what allows rescaling later.
 */
public final class KeyGroups {
  private final ValueCodec codec;
  private final ByteWriter scratch = new ByteWriter(64);
  // version 1's encoding, frozen: a key's group must not move when the value format changes
  private final ValueCodec.Scope scope = ValueCodec.Scope.forKeyHashing();
  private final int maxParallelism;

  public KeyGroups(ValueCodec codec, int maxParallelism) {
    this.codec = codec;
    this.maxParallelism = maxParallelism;
  }

  public int keyGroup(Object key) {
    // the bytes of writeStandalone(key) in version 1, without a new scope per key: this runs for every record
    scratch.reset();
    scope.clear();
    codec.write(scratch, key, scope);
    return keyGroupOfHash(Murmur3.hash32(scratch.array(), 0, scratch.size(), 0), maxParallelism);
  }

  public static int keyGroupOfHash(int hash, int maxParallelism) {
    return (hash & 0x7fffffff) % maxParallelism;
  }

  public static int instanceOf(int keyGroup, int parallelism, int maxParallelism) {
    return keyGroup * parallelism / maxParallelism;
  }

  public int instanceOf(Object key, int parallelism) {
    return instanceOf(keyGroup(key), parallelism, maxParallelism);
  }
}
