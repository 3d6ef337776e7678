package io.sluice.core.internal.engine;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * INTERNAL API: the binary forms of what an operator instance persists: its events. The version
 * is in the serializer manifest ({@code "E2"}, {@code "F1"}, ...); a new format gets a new
 * manifest and the old one stays readable. Golden-bytes tests pin every format.
 *
 * <pre>
 *   Stepped  E2 := nConsumed:varint {channel:varint seq:varlong} hasChanges:u8 [changes:bytes]
 *                  nOutputs:varint {channel:varint seq:varlong watermark:zigzag flags:u8 hasBatch:u8 [batch:bytes]}
 *                  nAcks:varint {channel:varint mark:varlong} recordsIn:varlong recordsOut:varlong createdAt:varlong
 *                  writer:varlong
 *            E1 := E2 without writer (read only)
 *   StepFailed F1 := attempt:varint stage:str hasRecord:u8 [record:str] error:str at:varlong decision:u8 retryAt:varlong
 * </pre>
 */
public final class EventFormats {
  private EventFormats() {}

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


  /**
   * An event with a one-byte tag for its format ({@code 'E'}: E2, {@code 'F'}: F1), for journals
   * that keep no manifest of their own (the test driver's). Output batches must carry their bytes.
   */
  public static byte[] write(OperatorEvent e) {
    ByteWriter w = new ByteWriter(64);
    if (e instanceof OperatorEvent.Stepped s) {
      w.writeByte('E');
      writeStepped(w, s, p -> {
        if (!p.hasBytes()) {
          throw new IllegalStateException("a persisted output batch must be encoded by its instance");
        }
        return p.bytes(null);
      });
    } else {
      w.writeByte('F');
      writeFailure(w, (OperatorEvent.StepFailed) e);
    }
    return w.toByteArray();
  }

  /** Reads what {@link #write} wrote. */
  public static OperatorEvent read(byte[] bytes) {
    ByteReader r = new ByteReader(bytes);
    int tag = r.readUnsignedByte();
    OperatorEvent e;
    if (tag == 'E') {
      e = readStepped(r, true);
    } else if (tag == 'F') {
      e = readFailure(r);
    } else {
      throw new CorruptDataException("unknown event tag " + tag);
    }
    r.expectEnd("event");
    return e;
  }
}
