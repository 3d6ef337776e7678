package io.sluice.persistence.runtime;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.internal.engine.BatchPayload;
import io.sluice.core.internal.engine.InstanceState;
import io.sluice.core.internal.engine.LatencyHistogram;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * INTERNAL API: the binary forms of the protocol's messages, events and snapshots, version 1. The
 * version is in the serializer manifest ({@code "D1"}, {@code "E1"}, ...); a new format gets a new
 * manifest and the old one stays readable. Golden-bytes tests pin every format.
 *
 * <pre>
 *   Start    S2 := pausedUntil:varlong spec
 *            S1 := spec (read only: not paused)
 *   spec        := jobId:str pipeline:str nParams:varint {name:str value:str} fingerprint:str
 *                  [jar:str [savepoint:str]]
 *                  (jar: the SHA-256 of the job's jar, present for a job from an uploaded jar or one
 *                  from a savepoint; savepoint: the id of the savepoint the job started from)
 *   Deliver  D2 := jobId:str fromOperator:varint fromIndex:varint seq:varlong watermark:zigzag flags:u8
 *                  createdAt:varlong batch:bytes senderAcked:varlong
 *            D1 := D2 without senderAcked (read only)
 *   Ack      A1 := jobId:str fromOperator:varint fromIndex:varint upTo:varlong resend:bool
 *   Stop     X1 := jobId:str reason:str
 *   TakeSavepoint P1 := jobId:str savepointId:str
 *   Stepped, StepFailed (E2, E1, F1): the engine's events, see {@link EventFormats}
 *   Snapshot N1 := the bytes of {@link io.sluice.core.internal.engine.InstanceEngine#snapshot}
 *   Report   R1 := see {@link #writeReport}
 * </pre>
 *
 * (str = varint length + UTF-8; bytes = varint length + bytes; batch = the record batch format of
 * {@code BatchCodec}.)
 */
public final class ProtocolFormats {
  private ProtocolFormats() {}

  public static void writeSpec(ByteWriter w, JobSpec s) {
    w.writeString(s.jobId()).writeString(s.pipeline());
    Map<String, String> p = s.parameters().asMap();
    w.writeVarInt(p.size());
    for (Map.Entry<String, String> e : p.entrySet()) {
      w.writeString(e.getKey()).writeString(e.getValue());
    }
    w.writeString(s.fingerprint());
    if (s.hasJar() || s.hasSavepoint()) {
      w.writeString(s.jar()); // absent before jars: a node reads "" for a spec without it
    }
    if (s.hasSavepoint()) {
      w.writeString(s.savepoint());
    }
  }

  public static JobSpec readSpec(ByteReader r) {
    String id = r.readString();
    String pipeline = r.readString();
    int n = r.readCount();
    Map<String, String> p = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      p.put(r.readString(), r.readString());
    }
    String fingerprint = r.readString();
    String jar = r.hasRemaining() ? r.readString() : "";
    return new JobSpec(id, pipeline, Parameters.of(p), fingerprint, jar, r.hasRemaining() ? r.readString() : "");
  }

  public static void writeDeliver(ByteWriter w, OperatorCommand.Deliver d, byte[] batch) {
    w.writeString(d.jobId()).writeVarInt(d.fromOperator()).writeVarInt(d.fromIndex()).writeVarLong(d.seq())
        .writeVarLongSigned(d.watermark()).writeByte(d.flags()).writeVarLong(Math.max(0, d.createdAtMillis()))
        .writeByteArray(batch).writeVarLong(d.senderAcked());
  }

  /** Reads format D2 ({@code withAcked}) or D1. */
  public static OperatorCommand.Deliver readDeliver(ByteReader r, boolean withAcked) {
    String job = r.readString();
    int op = r.readVarInt();
    int index = r.readVarInt();
    long seq = r.readVarLong();
    long wm = r.readVarLongSigned();
    int flags = r.readUnsignedByte();
    long created = r.readVarLong();
    BatchPayload batch = BatchPayload.ofBytes(r.readByteArray());
    return new OperatorCommand.Deliver(job, op, index, seq, wm, flags, created, batch, withAcked ? r.readVarLong() : 0);
  }

  public static void writeAck(ByteWriter w, OperatorCommand.Ack a) {
    w.writeString(a.jobId()).writeVarInt(a.fromOperator()).writeVarInt(a.fromIndex()).writeVarLong(a.upTo())
        .writeBoolean(a.resend());
  }

  public static OperatorCommand.Ack readAck(ByteReader r) {
    return new OperatorCommand.Ack(r.readString(), r.readVarInt(), r.readVarInt(), r.readVarLong(), r.readBoolean());
  }

  /*
   * report := instanceEntityId:str node:str incarnation:varlong recordsIn:varlong recordsOut:varlong
   *           backlog:varint unacked:varint flags:u8(bit0 finished, bit1 failed)
   *           [failedStage:str hasRecord:u8 [failedRecord:str] failedError:str]
   *           deadLetters:varlong nLatency:varint {bucket:varint count:varlong} firstInput:varlong lastInput:varlong
   *           hasTrouble:u8 [trouble:str troubleSince:varlong]         (R2; R1 ends before)
   */
  public static void writeReport(ByteWriter w, InstanceReport r) {
    w.writeString(r.instance().entityId()).writeString(r.node()).writeVarLong(r.incarnation())
        .writeVarLong(r.recordsIn()).writeVarLong(r.recordsOut()).writeVarInt(r.backlog()).writeVarInt(r.unacked());
    boolean failed = r.failedStage() != null;
    w.writeByte((r.finished() ? 1 : 0) | (failed ? 2 : 0));
    if (failed) {
      w.writeString(r.failedStage());
      if (r.failedRecord() == null) {
        w.writeByte(0);
      } else {
        w.writeByte(1).writeString(r.failedRecord());
      }
      w.writeString(r.failedError() == null ? "" : r.failedError());
    }
    w.writeVarLong(r.deadLetters());
    long[] lat = r.latencyCounts();
    int n = 0;
    for (long c : lat) {
      if (c != 0) {
        n++;
      }
    }
    w.writeVarInt(n);
    for (int i = 0; i < lat.length; i++) {
      if (lat[i] != 0) {
        w.writeVarInt(i).writeVarLong(lat[i]);
      }
    }
    w.writeVarLong(Math.max(0, r.firstInputMillis())).writeVarLong(Math.max(0, r.lastInputMillis()));
    if (r.trouble() == null) {
      w.writeByte(0);
    } else {
      w.writeByte(1).writeString(r.trouble()).writeVarLong(Math.max(0, r.troubleSinceMillis()));
    }
  }

  /** Reads format R2 ({@code withTrouble}) or R1. */
  public static InstanceReport readReport(ByteReader r, boolean withTrouble) {
    InstanceId id = InstanceId.parse(r.readString());
    String node = r.readString();
    long inc = r.readVarLong();
    long in = r.readVarLong();
    long out = r.readVarLong();
    int backlog = r.readVarInt();
    int unacked = r.readVarInt();
    int flags = r.readUnsignedByte();
    String stage = null;
    String record = null;
    String error = null;
    if ((flags & 2) != 0) {
      stage = r.readString();
      record = flag(r, "record") ? r.readString() : null;
      error = r.readString();
    }
    long dl = r.readVarLong();
    int n = r.readCount();
    long[] lat = new long[LatencyHistogram.BUCKETS];
    for (int i = 0; i < n; i++) {
      int b = r.readVarInt();
      if (b < 0 || b >= lat.length) {
        throw new CorruptDataException("latency bucket " + b + " out of range");
      }
      lat[b] = r.readVarLong();
    }
    long first = r.readVarLong();
    long last = r.readVarLong();
    String trouble = null;
    long since = 0;
    if (withTrouble && flag(r, "trouble")) {
      trouble = r.readString();
      since = r.readVarLong();
    }
    return new InstanceReport(id, node, inc, in, out, backlog, unacked, (flags & 1) != 0, stage, record, error, dl,
        lat, first, last, trouble, since);
  }

  private static boolean flag(ByteReader r, String what) {
    int b = r.readUnsignedByte();
    if (b > 1) {
      throw new CorruptDataException("invalid presence flag " + b + " for " + what);
    }
    return b == 1;
  }
}
