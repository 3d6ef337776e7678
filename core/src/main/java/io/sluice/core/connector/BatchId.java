package io.sluice.core.connector;

/**
 * Identifies one batch a sink instance receives: from which upstream instance, with which
 * sequence number on that channel. Deterministic across failures.
 *
 * @param sinkInstance the index of the sink instance writing it
 * @param upstream the name of the upstream operator
 * @param upstreamInstance the index of the upstream instance
 * @param sequence the batch's sequence number on that channel, from 1
 */
public record BatchId(int sinkInstance, String upstream, int upstreamInstance, long sequence) {
  /** A file-name-safe form, ordered by sequence within a channel: {@code 0001-reduce-0000-000000000042}. */
  public String asFileName() {
    return String.format("%04d-%s-%04d-%012d", sinkInstance, upstream.replaceAll("[^A-Za-z0-9_.-]", "_"),
        upstreamInstance, sequence);
  }
}
