package io.sluice.persistence.runtime;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.dsl.Parameters;
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
 *   Start    S1 := spec
 *   spec        := jobId:str pipeline:str nParams:varint {name:str value:str} fingerprint:str
 *   Deliver  D2 := jobId:str fromOperator:varint fromIndex:varint seq:varlong watermark:zigzag flags:u8
 *                  createdAt:varlong batch:bytes senderAcked:varlong
 *            D1 := D2 without senderAcked (read only)
 *   Ack      A1 := jobId:str fromOperator:varint fromIndex:varint upTo:varlong resend:bool
 *   Stop     X1 := jobId:str reason:str
 *   Stepped  E2 := nConsumed:varint {channel:varint seq:varlong} hasChanges:u8 [changes:bytes]
 *                  nOutputs:varint {channel:varint seq:varlong watermark:zigzag flags:u8 hasBatch:u8 [batch:bytes]}
 *                  nAcks:varint {channel:varint mark:varlong} recordsIn:varlong recordsOut:varlong createdAt:varlong
 *                  writer:varlong
 *            E1 := E2 without writer (read only)
 *   StepFailed F1 := attempt:varint stage:str hasRecord:u8 [record:str] error:str at:varlong decision:u8 retryAt:varlong
 *   Snapshot N1 := the bytes of {@link InstanceState#snapshot}
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
  }

  public static JobSpec readSpec(ByteReader r) {
    String id = r.readString();
    String pipeline = r.readString();
    int n = r.readCount();
    Map<String, String> p = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      p.put(r.readString(), r.readString());
    }
    return new JobSpec(id, pipeline, Parameters.of(p), r.readString());
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

  public static void writeStepped(ByteWriter w, OperatorEvent.Stepped e, Function<BatchPayload, byte[]> batchBytes) {
    w.writeVarInt(e.consumedChannels().length);
    for (int i = 0; i < e.consumedChannels().length; i++) {
      w.writeVarInt(e.consumedChannels()[i]).writeVarLong(e.consumedSeqs()[i]);
    }
    if (e.changes() == null) {
      w.writeByte(0);
    } else {
      w.writeByte(1).writeByteArray(e.changes());
    }
    w.writeVarInt(e.outputs().size());
    for (OperatorEvent.Output o : e.outputs()) {
      w.writeVarInt(o.channel()).writeVarLong(o.seq()).writeVarLongSigned(o.watermark()).writeByte(o.flags());
      if (o.payload() == null) {
        w.writeByte(0);
      } else {
        w.writeByte(1).writeByteArray(batchBytes.apply(o.payload()));
      }
    }
    w.writeVarInt(e.ackChannels().length);
    for (int i = 0; i < e.ackChannels().length; i++) {
      w.writeVarInt(e.ackChannels()[i]).writeVarLong(e.ackMarks()[i]);
    }
    w.writeVarLong(e.recordsIn()).writeVarLong(e.recordsOut()).writeVarLong(Math.max(0, e.createdAtMillis()))
        .writeVarLong(e.writer());
  }

  /** Reads format E2 ({@code withWriter}) or E1. */
  public static OperatorEvent.Stepped readStepped(ByteReader r, boolean withWriter) {
    int nc = r.readCount();
    int[] ch = new int[nc];
    long[] seq = new long[nc];
    for (int i = 0; i < nc; i++) {
      ch[i] = r.readVarInt();
      seq[i] = r.readVarLong();
    }
    byte[] changes = flag(r, "changes") ? r.readByteArray() : null;
    int no = r.readCount();
    List<OperatorEvent.Output> outs = new ArrayList<>(no);
    for (int i = 0; i < no; i++) {
      int c = r.readVarInt();
      long s = r.readVarLong();
      long wm = r.readVarLongSigned();
      int flags = r.readUnsignedByte();
      BatchPayload p = flag(r, "batch") ? BatchPayload.ofBytes(r.readByteArray()) : null;
      outs.add(new OperatorEvent.Output(c, s, wm, flags, p));
    }
    int na = r.readCount();
    int[] ac = new int[na];
    long[] am = new long[na];
    for (int i = 0; i < na; i++) {
      ac[i] = r.readVarInt();
      am[i] = r.readVarLong();
    }
    long in = r.readVarLong();
    long out = r.readVarLong();
    long created = r.readVarLong();
    return new OperatorEvent.Stepped(ch, seq, changes, outs, ac, am, in, out, created, withWriter ? r.readVarLong() : 0);
  }

  private static boolean flag(ByteReader r, String what) {
    int b = r.readUnsignedByte();
    if (b > 1) {
      throw new CorruptDataException("invalid presence flag " + b + " for " + what);
    }
    return b == 1;
  }

  public static void writeFailure(ByteWriter w, OperatorEvent.StepFailed f) {
    w.writeVarInt(f.attempt()).writeString(f.stage());
    if (f.record() == null) {
      w.writeByte(0);
    } else {
      w.writeByte(1).writeString(f.record());
    }
    w.writeString(f.error()).writeVarLong(f.atMillis()).writeByte(f.decision().ordinal()).writeVarLong(f.retryAtMillis());
  }

  public static OperatorEvent.StepFailed readFailure(ByteReader r) {
    int attempt = r.readVarInt();
    String stage = r.readString();
    String record = flag(r, "record") ? r.readString() : null;
    String error = r.readString();
    long at = r.readVarLong();
    int d = r.readUnsignedByte();
    if (d >= OperatorEvent.Decision.values().length) {
      throw new CorruptDataException("unknown failure decision " + d);
    }
    return new OperatorEvent.StepFailed(attempt, stage, record, error, at, OperatorEvent.Decision.values()[d],
        r.readVarLong());
  }

  /*
   * report := instanceEntityId:str node:str incarnation:varlong recordsIn:varlong recordsOut:varlong
   *           backlog:varint unacked:varint flags:u8(bit0 finished, bit1 failed)
   *           [failedStage:str hasRecord:u8 [failedRecord:str] failedError:str]
   *           deadLetters:varlong nLatency:varint {bucket:varint count:varlong} firstInput:varlong lastInput:varlong
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
  }

  public static InstanceReport readReport(ByteReader r) {
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
    return new InstanceReport(id, node, inc, in, out, backlog, unacked, (flags & 1) != 0, stage, record, error, dl,
        lat, first, r.readVarLong());
  }
}
