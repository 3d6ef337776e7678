/**
 * How user values become bytes: Sluice persists records, keys and state and never uses Java
 * serialization.
 *
 * <p>Records, enums, strings, numbers, {@code byte[]}, lists, sets, maps and
 * {@link io.sluice.core.dsl.KV} are encoded structurally and need nothing. Any other type is
 * registered in the job's {@link io.sluice.core.codec.CodecRegistry} under a logical name that
 * stays stable for as long as data written with it must be read: with a hand-written
 * {@link io.sluice.core.codec.Codec}, or as CBOR through Jackson. An unregistered type fails with
 * a message that says how to register it; bytes that do not follow their format fail with a
 * {@link io.sluice.core.codec.CorruptDataException} naming the offset.
 *
 * <pre>{@code
 * CodecRegistry codecs = CodecRegistry.defaults()
 *     .withName(Click.class, "shop.Click")             // a record that may be renamed later
 *     .withJackson(LegacyOrder.class, "shop.Order")    // a POJO, as CBOR
 *     .withCodec(Point.class, "geo.Point", new Codec<>() {
 *       public void write(ByteWriter out, Point p) { out.writeDouble(p.x()).writeDouble(p.y()); }
 *       public Point read(ByteReader in) { return new Point(in.readDouble(), in.readDouble()); }
 *     });
 * JobConfig config = JobConfig.defaults().withCodecs(codecs);
 * }</pre>
 *
 * <p>Keys are hashed over their encoded bytes to find their partition, so a codec must be
 * deterministic: equal values, equal bytes.
 */
package io.sluice.core.codec;
