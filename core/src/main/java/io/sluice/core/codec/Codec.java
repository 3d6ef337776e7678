package io.sluice.core.codec;

/**
 * Writes values of one type to bytes and reads them back.
 *
 * <p>Sluice persists records, keys and state in its journal and sends them between nodes; it
 * never uses Java serialization. Records, enums, strings, numbers, {@code byte[]}, lists, maps and
 * {@link io.sluice.core.dsl.KV} need no codec: they are encoded structurally (records and enums
 * under a logical name, {@link CodecRegistry#withName}). Register a codec in a {@link
 * CodecRegistry} for any other type, under a logical name that stays the same for as long as data
 * written with it must be readable:
 *
 * <pre>{@code
 * CodecRegistry codecs = CodecRegistry.defaults()
 *     .withCodec(Point.class, "geo.Point", new Codec<>() {
 *       public void write(ByteWriter out, Point p) { out.writeDouble(p.x()).writeDouble(p.y()); }
 *       public Point read(ByteReader in) { return new Point(in.readDouble(), in.readDouble()); }
 *     });
 * }</pre>
 *
 * <p>A codec must be deterministic (equal values give equal bytes: keys are hashed over their
 * bytes to find their partition), thread-safe, and must read exactly what it wrote. Failures are
 * reported with the type's logical name.
 *
 * @param <T> the type of values
 */
public interface Codec<T> {
  void write(ByteWriter out, T value);

  T read(ByteReader in);
}
