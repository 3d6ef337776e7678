package io.sluice.cluster.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.sluice.cluster.runtime.JobCoordinator;
import io.sluice.cluster.runtime.JobView;
import io.sluice.cluster.runtime.RouteRefresh;
import io.sluice.cluster.runtime.StatePrefetch;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * INTERNAL API: the serializer of control-plane messages, events and snapshots ({@link CborMessage}):
 * Jackson CBOR (with Pekko's modules, so actor references work), under a logical, versioned
 * manifest per root type — never a class name, so classes can move and be renamed without making
 * the journal unreadable. Subtypes of a root are told apart by logical names in
 * {@code @JsonTypeInfo(use = NAME)}. A new incompatible format gets a new manifest.
 */
public final class CborSerializer extends SerializerWithStringManifest {
  /** Root types, by manifest. Order matters: the first root an object is an instance of is its type. */
  static final Map<String, Class<?>> ROOTS = new LinkedHashMap<>();

  static {
    ROOTS.put("coordinator-command-1", JobCoordinator.Command.class);
    ROOTS.put("coordinator-event-1", JobCoordinator.Event.class);
    ROOTS.put("coordinator-state-1", JobCoordinator.State.class);
    ROOTS.put("coordinator-submit-result-1", JobCoordinator.SubmitResult.class);
    ROOTS.put("coordinator-cancel-result-1", JobCoordinator.CancelResult.class);
    ROOTS.put("coordinator-job-reply-1", JobCoordinator.JobReply.class);
    ROOTS.put("coordinator-job-list-1", JobCoordinator.JobList.class);
    ROOTS.put("coordinator-spec-reply-1", JobCoordinator.SpecReply.class);
    ROOTS.put("job-view-1", JobView.class);
    ROOTS.put("coordinator-instance-list-1", JobCoordinator.InstanceList.class);
    ROOTS.put("canary-command-1", Canary.Command.class);
    ROOTS.put("canary-event-1", Canary.Event.class);
    ROOTS.put("canary-state-1", Canary.State.class);
    ROOTS.put("canary-pong-1", Canary.Pong.class);
    ROOTS.put("node-probe-command-1", NodeProbe.Command.class);
    ROOTS.put("node-probe-event-1", NodeProbe.Event.class);
    ROOTS.put("node-probe-state-1", NodeProbe.State.class);
    ROOTS.put("route-refresh-request-1", RouteRefresh.Request.class);
    ROOTS.put("state-prefetch-placement-1", StatePrefetch.Placement.class);
  }

  private final ObjectMapper mapper;
  private final Map<String, ObjectWriter> writers = new LinkedHashMap<>();
  private final Map<String, ObjectReader> readers = new LinkedHashMap<>();

  public CborSerializer(ExtendedActorSystem system) {
    this.mapper = JacksonObjectMapperProvider.get(system).getOrCreate("sluice-cbor", Optional.of(new CBORFactory()));
    for (Map.Entry<String, Class<?>> e : ROOTS.entrySet()) {
      writers.put(e.getKey(), mapper.writerFor(e.getValue()));
      readers.put(e.getKey(), mapper.readerFor(e.getValue()));
    }
  }

  /** A serializer outside an actor system (tests of the formats): Pekko's modules are absent. */
  public static ObjectMapper plainMapper() {
    return new ObjectMapper(new CBORFactory()).findAndRegisterModules();
  }

  @Override
  public int identifier() {
    return 7_160_002;
  }

  @Override
  public String manifest(Object o) {
    for (Map.Entry<String, Class<?>> e : ROOTS.entrySet()) {
      if (e.getValue().isInstance(o)) {
        return e.getKey();
      }
    }
    throw new IllegalArgumentException(o.getClass().getName() + " is a CborMessage without a registered root type in "
        + CborSerializer.class.getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    try {
      return writers.get(manifest(o)).writeValueAsBytes(o);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    ObjectReader r = readers.get(manifest);
    if (r == null) {
      throw new NotSerializableException("unknown manifest '" + manifest + "': data written by a newer version?");
    }
    try {
      return r.readValue(bytes);
    } catch (IOException e) {
      NotSerializableException n = new NotSerializableException("cannot read " + manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }
}
