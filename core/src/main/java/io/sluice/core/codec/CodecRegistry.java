package io.sluice.core.codec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The codecs of a job: an immutable map from user types to a logical name and a {@link Codec}.
 *
 * <p>A record or enum is encoded structurally under the logical name given by {@link
 * #withName(Class, String)}: records with the names of their components, so that a component can
 * be added, removed or widened between versions of a job; enums by their constants' names. No Java
 * class name is ever written to persisted data, so an unnamed record or enum is an error that names
 * the class and says how to name it. Any other type needs a {@link Codec} ({@link #withCodec}), or
 * {@link #withJackson(Class, String)} for a type that Jackson can bind, encoded as CBOR.
 *
 * <p>Every {@code withX} method returns a new registry; a registry is safe to share.
 */
public final class CodecRegistry {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.$-]*");
  // Sluice's own persisted types, by logical name: no Java class name in persisted bytes (data
  // written under the class name before stays readable)
  private static final CodecRegistry DEFAULTS = new CodecRegistry(Map.of(), Map.of())
      .withName(io.sluice.core.dsl.DeadLetter.class, "sluice.DeadLetter")
      .withName(io.sluice.core.dsl.WindowResult.class, "sluice.WindowResult")
      .withName(io.sluice.core.dsl.Window.class, "sluice.Window")
      .withName(io.sluice.core.dsl.Verdict.class, "sluice.Verdict")
      .withName(io.sluice.core.connector.GeneratedRecord.class, "sluice.GeneratedRecord")
      .withName(io.sluice.core.connector.BatchId.class, "sluice.BatchId")
      .withCodec(io.sluice.core.table.Row.class, "sluice.Row", new io.sluice.core.internal.codec.RowCodec());

  /** A registered type: its logical name and its codec (null for a renamed record or enum). */
  public record Entry(Class<?> type, String name, Codec<?> codec) {}

  private final Map<Class<?>, Entry> byType;
  private final Map<String, Entry> byName;

  private CodecRegistry(Map<Class<?>, Entry> byType, Map<String, Entry> byName) {
    this.byType = byType;
    this.byName = byName;
  }

  /**
   * A registry with no user types: the built-in types (numbers, strings, collections, KV) and
   * Sluice's own records (sluice.DeadLetter, sluice.WindowResult, sluice.Window, sluice.Verdict,
   * sluice.GeneratedRecord, sluice.BatchId) and table rows (sluice.Row).
   */
  public static CodecRegistry defaults() {
    return DEFAULTS;
  }

  /** Registers {@code codec} for exactly {@code type} (not its subclasses) under {@code name}. */
  public <T> CodecRegistry withCodec(Class<T> type, String name, Codec<T> codec) {
    Objects.requireNonNull(codec, "codec");
    return with(new Entry(Objects.requireNonNull(type, "type"), name, codec));
  }

  /**
   * Gives a record or enum the logical name it is persisted under. The name must stay the same for
   * as long as data written with it is to be read; the class may be renamed or moved freely.
   */
  public CodecRegistry withName(Class<?> type, String name) {
    if (!type.isRecord() && !type.isEnum()) {
      throw new IllegalArgumentException(type.getName()
          + " is neither a record nor an enum: register a codec with withCodec(...) or withJackson(...)");
    }
    return with(new Entry(type, name, null));
  }

  /** Registers a Jackson-bindable class (a POJO with a default constructor, say), encoded as CBOR. */
  public <T> CodecRegistry withJackson(Class<T> type, String name) {
    return withCodec(type, name, new JacksonCborCodec<>(type));
  }

  private CodecRegistry with(Entry e) {
    if (e.name() == null || !NAME.matcher(e.name()).matches()) {
      throw new IllegalArgumentException("invalid logical type name '" + e.name()
          + "' for " + e.type().getName() + ": use letters, digits, '_', '.', '$' or '-'");
    }
    Entry clash = byName.get(e.name());
    if (clash != null && clash.type() != e.type()) {
      throw new IllegalArgumentException("logical type name '" + e.name() + "' is already used by "
          + clash.type().getName() + "; choose another name for " + e.type().getName());
    }
    Map<Class<?>, Entry> t = new LinkedHashMap<>(byType);
    Map<String, Entry> n = new LinkedHashMap<>(byName);
    Entry old = t.put(e.type(), e);
    if (old != null) {
      n.remove(old.name());
    }
    n.put(e.name(), e);
    return new CodecRegistry(Map.copyOf(t), Map.copyOf(n));
  }

  public Optional<Entry> byType(Class<?> type) {
    return Optional.ofNullable(byType.get(type));
  }

  public Optional<Entry> byName(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The registered entries, for describing a job. */
  public Map<String, Entry> entries() {
    return byName;
  }

  private static final class JacksonCborCodec<T> implements Codec<T> {
    private static final ObjectMapper MAPPER = new ObjectMapper(new CBORFactory()).findAndRegisterModules();
    private final Class<T> type;

    JacksonCborCodec(Class<T> type) {
      this.type = type;
    }

    @Override
    public void write(ByteWriter out, T value) {
      try {
        out.writeByteArray(MAPPER.writeValueAsBytes(value));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot encode " + type.getName() + " as CBOR: " + e.getMessage(), e);
      }
    }

    @Override
    public T read(ByteReader in) {
      byte[] bytes = in.readByteArray();
      try {
        return MAPPER.readValue(bytes, type);
      } catch (IOException e) {
        throw new CorruptDataException("cannot decode " + type.getName() + " from CBOR: " + e.getMessage(), e);
      }
    }
  }
}
