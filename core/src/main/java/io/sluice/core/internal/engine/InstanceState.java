package io.sluice.core.internal.engine;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.exec.OperatorInstance;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/**
 * INTERNAL API: the state of one operator instance: its logic, the last sequence number consumed
 * on each input channel (the deduplication marks), and per output channel the next sequence
 * number, the acknowledged mark and the outbox of unacknowledged batches. Mutable, owned by one
 * incarnation of one {@link OperatorEntity}; snapshots are taken as bytes in the actor's thread
 * ({@link #snapshot()}), so nothing mutable ever leaves it.
 */
public final class InstanceState {
  /** An unacknowledged output batch. */
  public static final class OutEntry {
    final long seq;
    final long watermark;
    final int flags;
    final long createdAt;
    /** The records (null for a source batch not regenerated yet). */
    BatchPayload payload;
    /** Sources: the change of the step that produced the batch, to regenerate it from. */
    final byte[] sourceChange;
    /** Sources: which of the step's batches of this channel it is (a step may split its output). */
    final int part;
    /** When it was last sent (System.nanoTime), 0 if never by this incarnation. */
    long sentAt;

    OutEntry(long seq, long watermark, int flags, long createdAt, BatchPayload payload, byte[] sourceChange) {
      this(seq, watermark, flags, createdAt, payload, sourceChange, 0);
    }

    OutEntry(long seq, long watermark, int flags, long createdAt, BatchPayload payload, byte[] sourceChange, int part) {
      this.part = part;
      this.seq = seq;
      this.watermark = watermark;
      this.flags = flags;
      this.createdAt = createdAt;
      this.payload = payload;
      this.sourceChange = sourceChange;
    }
  }

  static final int SNAPSHOT_VERSION = 2;
  static final int MAX_FAILURE_TIMES = 64;

  final OperatorInstance logic;
  final long[] lastSeqIn;
  final long[] nextSeqOut;
  final long[] acked;
  final ArrayDeque<OutEntry>[] outbox;
  long recordsIn;
  long recordsOut;
  int consecutiveFailures;
  final ArrayDeque<Long> failureTimes = new ArrayDeque<>();
  OperatorEvent.StepFailed lastFailure;
  boolean isolateNext;
  boolean failed;

  @SuppressWarnings("unchecked")
  InstanceState(OperatorInstance logic) {
    this.logic = logic;
    this.lastSeqIn = new long[logic.inputChannelCount()];
    int out = logic.outputChannelCount();
    this.nextSeqOut = new long[out];
    Arrays.fill(nextSeqOut, 1);
    this.acked = new long[out];
    this.outbox = newOutboxes(out);
    for (int i = 0; i < out; i++) {
      outbox[i] = new ArrayDeque<>();
    }
  }

  /** Unacknowledged batches over all output channels. */
  int unacked() {
    int n = 0;
    for (ArrayDeque<OutEntry> q : outbox) {
      n += q.size();
    }
    return n;
  }

  /** True if every output channel has room for another batch. */
  boolean hasCredit(int window) {
    for (ArrayDeque<OutEntry> q : outbox) {
      if (q.size() >= window) {
        return false;
      }
    }
    return true;
  }

  /** Batches every output channel can still take within {@code window} (the window if there are none). */
  int freeCredit(int window) {
    int free = window;
    for (ArrayDeque<OutEntry> q : outbox) {
      free = Math.min(free, window - q.size());
    }
    return Math.max(0, free);
  }

  /** Records an acknowledgement; returns true if it moved the mark. */
  boolean ack(int channel, long upTo) {
    if (upTo <= acked[channel]) {
      return false;
    }
    acked[channel] = upTo;
    ArrayDeque<OutEntry> q = outbox[channel];
    while (!q.isEmpty() && q.peekFirst().seq <= upTo) {
      q.removeFirst();
    }
    return true;
  }

  void recordFailure(OperatorEvent.StepFailed f) {
    consecutiveFailures++;
    failureTimes.addLast(f.atMillis());
    while (failureTimes.size() > MAX_FAILURE_TIMES) {
      failureTimes.removeFirst();
    }
    lastFailure = f;
    isolateNext = f.decision() == OperatorEvent.Decision.DEAD_LETTER;
    failed = f.decision() == OperatorEvent.Decision.FAIL;
  }

  int failuresSince(long millis) {
    int n = 0;
    for (long t : failureTimes) {
      if (t > millis) {
        n++;
      }
    }
    return n;
  }

  /*
   * snapshot := version:u8(=1) logic:bytes
   *             nIn:varint lastSeqIn:varlong{nIn}
   *             nOut:varint {nextSeqOut:varlong acked:varlong}{nOut}
   *             entries:varint {channel:varint seq:varlong watermark:zigzag flags:u8 createdAt:varlong
   *                             kind:u8(0 records, 1 source change) bytes [part:varint, kind 1 only]}
   *   (version 1: the same without part)
   *             recordsIn:varlong recordsOut:varlong
   *             consecutiveFailures:varint nTimes:varint time:varlong{nTimes}
   *             flags:u8(bit0 isolateNext, bit1 failed) hasFailure:u8 [failure]
   *   failure := attempt:varint stage:str record:str? error:str at:varlong decision:u8 retryAt:varlong
   */

  /** The whole state as bytes; {@code batchBytes} encodes records of unacknowledged non-source batches. */
  byte[] snapshot(java.util.function.Function<BatchPayload, byte[]> batchBytes) {
    ByteWriter w = new ByteWriter(1024);
    w.writeByte(SNAPSHOT_VERSION);
    w.writeByteArray(logic.snapshot());
    w.writeVarInt(lastSeqIn.length);
    for (long s : lastSeqIn) {
      w.writeVarLong(s);
    }
    w.writeVarInt(nextSeqOut.length);
    for (int i = 0; i < nextSeqOut.length; i++) {
      w.writeVarLong(nextSeqOut[i]).writeVarLong(acked[i]);
    }
    w.writeVarInt(unacked());
    for (int c = 0; c < outbox.length; c++) {
      for (OutEntry e : outbox[c]) {
        w.writeVarInt(c).writeVarLong(e.seq).writeVarLongSigned(e.watermark).writeByte(e.flags)
            .writeVarLong(Math.max(0, e.createdAt));
        if (e.sourceChange != null) {
          w.writeByte(1).writeByteArray(e.sourceChange).writeVarInt(e.part);
        } else {
          w.writeByte(0).writeByteArray(batchBytes.apply(e.payload));
        }
      }
    }
    w.writeVarLong(recordsIn).writeVarLong(recordsOut);
    w.writeVarInt(consecutiveFailures).writeVarInt(failureTimes.size());
    for (long t : failureTimes) {
      w.writeVarLong(t);
    }
    w.writeByte((isolateNext ? 1 : 0) | (failed ? 2 : 0));
    if (lastFailure == null) {
      w.writeByte(0);
    } else {
      w.writeByte(1);
      EventFormats.writeFailure(w, lastFailure);
    }
    return w.toByteArray();
  }

  /** The operator's own part of {@link #snapshot} bytes (what {@code OperatorInstance.restore} reads). */
  static byte[] logicPart(byte[] bytes) {
    ByteReader r = new ByteReader(bytes);
    int v = r.readUnsignedByte();
    if (v != SNAPSHOT_VERSION && v != 1) {
      throw new CorruptDataException("instance snapshot version " + v + " is not supported (expected 1 to "
          + SNAPSHOT_VERSION + ")");
    }
    return r.readByteArray();
  }

  /** Restores {@link #snapshot} bytes into this (fresh) state. */
  void restore(byte[] bytes) {
    ByteReader r = new ByteReader(bytes);
    int v = r.readUnsignedByte();
    if (v != SNAPSHOT_VERSION && v != 1) {
      throw new CorruptDataException("instance snapshot version " + v + " is not supported (expected 1 to "
          + SNAPSHOT_VERSION + ")");
    }
    logic.restore(r.readByteArray());
    int nIn = r.readCount();
    check(nIn, lastSeqIn.length, "input channels");
    for (int i = 0; i < nIn; i++) {
      lastSeqIn[i] = r.readVarLong();
    }
    int nOut = r.readCount();
    check(nOut, nextSeqOut.length, "output channels");
    for (int i = 0; i < nOut; i++) {
      nextSeqOut[i] = r.readVarLong();
      acked[i] = r.readVarLong();
    }
    for (ArrayDeque<OutEntry> q : outbox) {
      q.clear();
    }
    int entries = r.readCount();
    for (int i = 0; i < entries; i++) {
      int c = r.readVarInt();
      if (c < 0 || c >= outbox.length) {
        throw new CorruptDataException("instance snapshot: output channel " + c + " out of range");
      }
      long seq = r.readVarLong();
      long wm = r.readVarLongSigned();
      int flags = r.readUnsignedByte();
      long created = r.readVarLong();
      int kind = r.readUnsignedByte();
      byte[] b = r.readByteArray();
      outbox[c].addLast(kind == 1 ? new OutEntry(seq, wm, flags, created, null, b, v >= 2 ? r.readVarInt() : 0)
          : new OutEntry(seq, wm, flags, created, BatchPayload.ofBytes(b), null));
    }
    recordsIn = r.readVarLong();
    recordsOut = r.readVarLong();
    consecutiveFailures = r.readVarInt();
    int nt = r.readCount();
    failureTimes.clear();
    for (int i = 0; i < nt; i++) {
      failureTimes.addLast(r.readVarLong());
    }
    int flags = r.readUnsignedByte();
    isolateNext = (flags & 1) != 0;
    failed = (flags & 2) != 0;
    lastFailure = r.readUnsignedByte() == 1 ? EventFormats.readFailure(r) : null;
    r.expectEnd("instance snapshot");
  }

  private static void check(int got, int want, String what) {
    if (got != want) {
      throw new CorruptDataException("instance snapshot has " + got + " " + what + ", the plan has " + want
          + ": the pipeline's structure changed");
    }
  }

  /** Entries of {@code channel} in sequence order. */
  Iterator<OutEntry> entries(int channel) {
    return outbox[channel].iterator();
  }

  @SuppressWarnings({"unchecked", "rawtypes"}) // an array of a generic type can only be made raw
  private static ArrayDeque<OutEntry>[] newOutboxes(int n) {
    return new ArrayDeque[n];
  }
}
