package io.sluice.persistence.runtime;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.engine.BatchPayload;
import io.sluice.core.internal.engine.EventFormats;
import io.sluice.core.internal.engine.OperatorEvent;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * INTERNAL API: the Pekko serializer of {@link SluiceMessage}s (bound in reference.conf), in the
 * formats of {@link ProtocolFormats}. A batch that travels as records (a source's output, in the
 * same JVM until now) is encoded here with its job's codec when it first leaves the JVM.
 */
public final class ProtocolSerializer extends SerializerWithStringManifest {
  static final String START = "S2";
  static final String START_V1 = "S1";
  static final String TAKE_SAVEPOINT = "P1";
  static final String DELIVER = "D2";
  static final String DELIVER_V1 = "D1";
  static final String ACK = "A1";
  static final String STOP = "X1";
  static final String STEPPED_STORED = "E3";
  static final String STEPPED = "E2";
  static final String STEPPED_V1 = "E1";
  static final String FAILED = "F1";
  static final String SNAPSHOT = "N1";
  static final String REPORT = "R2";
  static final String REPORT_V1 = "R1";
  static final String SPEC = "J1";
  static final String CRASH = "K1";

  /**
   * Bytes and counts of what this JVM wrote to the journal and the snapshot store (for benchmarks):
   * events as stored (compressed), and as encoded before compression.
   */
  public static final java.util.concurrent.atomic.LongAdder EVENT_BYTES = new java.util.concurrent.atomic.LongAdder();
  public static final java.util.concurrent.atomic.LongAdder EVENT_BODY_BYTES =
      new java.util.concurrent.atomic.LongAdder();
  public static final java.util.concurrent.atomic.LongAdder EVENTS = new java.util.concurrent.atomic.LongAdder();
  public static final java.util.concurrent.atomic.LongAdder SNAPSHOT_BYTES = new java.util.concurrent.atomic.LongAdder();
  public static final java.util.concurrent.atomic.LongAdder SNAPSHOTS = new java.util.concurrent.atomic.LongAdder();

  private final ExtendedActorSystem system;
  private final EventCompression compression;
  private volatile JobCatalog catalog;

  public ProtocolSerializer(ExtendedActorSystem system) {
    this(system, system == null ? EventCompression.OFF
        : EventCompression.of(system.settings().config().getString("sluice.journal.compression")));
  }

  /** True if {@code value} names a codec of {@code sluice.journal.compression} (nodes check it at start). */
  public static boolean compressionKnown(String value) {
    try {
      EventCompression.of(value);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  ProtocolSerializer(ExtendedActorSystem system, EventCompression compression) {
    this.system = system;
    this.compression = compression;
  }

  @Override
  public int identifier() {
    return 7_160_001; // unique among the system's serializers
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof OperatorCommand.Deliver) {
      return DELIVER;
    } else if (o instanceof OperatorEvent.Stepped) {
      return compression.codec() == EventCompression.NONE ? STEPPED : STEPPED_STORED;
    } else if (o instanceof OperatorCommand.Ack) {
      return ACK;
    } else if (o instanceof OperatorCommand.Start) {
      return START;
    } else if (o instanceof InstanceReport) {
      return REPORT;
    } else if (o instanceof OperatorCommand.Stop) {
      return STOP;
    } else if (o instanceof OperatorEvent.StepFailed) {
      return FAILED;
    } else if (o instanceof InstanceSnapshot) {
      return SNAPSHOT;
    } else if (o instanceof JobSpec) {
      return SPEC;
    } else if (o instanceof OperatorCommand.Crash) {
      return CRASH;
    } else if (o instanceof OperatorCommand.TakeSavepoint) {
      return TAKE_SAVEPOINT;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName() + " with " + getClass().getName());
  }

  private byte[] batchBytes(String jobId, BatchPayload p) {
    if (p.hasBytes()) {
      return p.bytes(null);
    }
    JobCatalog c = catalog;
    if (c == null) {
      c = JobCatalog.get(Adapter.toTyped(system));
      catalog = c;
    }
    JobRuntime job = c.get(jobId).orElseThrow(() -> new IllegalStateException(
        "cannot encode a batch of job " + jobId + ": the job is unknown on this node"));
    return p.bytes(job.newBatchCodec());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof InstanceSnapshot s) {
      SNAPSHOTS.increment();
      SNAPSHOT_BYTES.add(s.bytes().length);
      return s.bytes();
    }
    ByteWriter w = new ByteWriter(64);
    if (o instanceof OperatorCommand.Deliver d) {
      ProtocolFormats.writeDeliver(w, d, batchBytes(d.jobId(), d.payload()));
    } else if (o instanceof OperatorEvent.Stepped e) {
      EventFormats.writeStepped(w, e, p -> {
        if (!p.hasBytes()) {
          throw new IllegalStateException("a persisted output batch must be encoded by its instance");
        }
        return p.bytes(null);
      });
      EVENTS.increment();
      EVENT_BODY_BYTES.add(w.size());
      if (compression.codec() != EventCompression.NONE) {
        byte[] stored = compression.pack(w);
        EVENT_BYTES.add(stored.length);
        return stored;
      }
      EVENT_BYTES.add(w.size());
    } else if (o instanceof OperatorCommand.Ack a) {
      ProtocolFormats.writeAck(w, a);
    } else if (o instanceof OperatorCommand.Start s) {
      w.writeVarLong(Math.max(0, s.pausedUntilMillis()));
      ProtocolFormats.writeSpec(w, s.spec());
    } else if (o instanceof InstanceReport r) {
      ProtocolFormats.writeReport(w, r);
    } else if (o instanceof OperatorCommand.Stop s) {
      w.writeString(s.jobId()).writeString(s.reason());
    } else if (o instanceof OperatorEvent.StepFailed f) {
      EventFormats.writeFailure(w, f);
      EVENTS.increment();
    } else if (o instanceof JobSpec s) {
      ProtocolFormats.writeSpec(w, s);
    } else if (o instanceof OperatorCommand.Crash c) {
      w.writeString(c.jobId());
    } else if (o instanceof OperatorCommand.TakeSavepoint t) {
      w.writeString(t.jobId()).writeString(t.savepointId());
    } else {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
    }
    return w.toByteArray();
  }

  /**
   * The step event in a journal row's {@code event} bytes, read outside Pekko (journal audits);
   * null if {@code manifest} is not a step format (a failure, say).
   *
   * @throws CorruptDataException if the bytes are not what the manifest says
   */
  public static OperatorEvent.Stepped readStepped(byte[] bytes, String manifest) {
    ByteReader r;
    boolean withWriter = true;
    switch (manifest) {
      case STEPPED_STORED -> r = EventCompression.unpack(bytes);
      case STEPPED -> r = new ByteReader(bytes);
      case STEPPED_V1 -> {
        r = new ByteReader(bytes);
        withWriter = false;
      }
      default -> {
        return null;
      }
    }
    OperatorEvent.Stepped e = EventFormats.readStepped(r, withWriter);
    r.expectEnd("event " + manifest);
    return e;
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (SNAPSHOT.equals(manifest)) {
      return new InstanceSnapshot(bytes);
    }
    ByteReader r = new ByteReader(bytes);
    Object o;
    try {
      switch (manifest) {
        case DELIVER:
          o = ProtocolFormats.readDeliver(r, true);
          break;
        case DELIVER_V1:
          o = ProtocolFormats.readDeliver(r, false);
          break;
        case STEPPED_STORED:
        case STEPPED:
        case STEPPED_V1:
          return readStepped(bytes, manifest); // checks its own end
        case ACK:
          o = ProtocolFormats.readAck(r);
          break;
        case START:
          long pausedUntil = r.readVarLong();
          o = new OperatorCommand.Start(ProtocolFormats.readSpec(r), pausedUntil);
          break;
        case START_V1:
          o = new OperatorCommand.Start(ProtocolFormats.readSpec(r));
          break;
        case TAKE_SAVEPOINT:
          o = new OperatorCommand.TakeSavepoint(r.readString(), r.readString());
          break;
        case REPORT:
          o = ProtocolFormats.readReport(r, true);
          break;
        case REPORT_V1:
          o = ProtocolFormats.readReport(r, false);
          break;
        case STOP:
          o = new OperatorCommand.Stop(r.readString(), r.readString());
          break;
        case FAILED:
          o = EventFormats.readFailure(r);
          break;
        case SPEC:
          o = ProtocolFormats.readSpec(r);
          break;
        case CRASH:
          o = new OperatorCommand.Crash(r.readString());
          break;
        default:
          throw new NotSerializableException("unknown manifest '" + manifest + "' for " + getClass().getName()
              + ": data written by a newer version of Sluice?");
      }
      r.expectEnd("message " + manifest);
    } catch (CorruptDataException e) {
      NotSerializableException n = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
    return o;
  }
}
