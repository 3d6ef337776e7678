/**
 * How user values become bytes: Sluice persists records, keys and state and never uses Java
 * serialization.
 *
 * <p>Strings, numbers, {@code byte[]}, lists, sets, maps and {@link io.sluice.core.dsl.KV} need
 * nothing. Records and enums are encoded structurally under a <b>logical name</b> the job gives
 * them ({@link io.sluice.core.dsl.JobConfig#withType} or {@link
 * io.sluice.core.codec.CodecRegistry#withName}); a Java class name is never written, so classes
 * can be renamed and moved. Any other type is registered with a hand-written {@link
 * io.sluice.core.codec.Codec}, or as CBOR through Jackson. An unnamed or unregistered type fails
 * with a message that says how to name it; bytes that do not follow their format fail with a
 * {@link io.sluice.core.codec.CorruptDataException} naming the offset.
 *
 * <p><b>Changing a record between versions of a job.</b> A record is written with the names of its
 * components (once per batch, state change or snapshot chunk), and read back by name: a new
 * version may reorder components, remove some (their values are dropped), add some (they read as
 * {@code null}, or zero and {@code false} if primitive; a compact constructor can put another
 * default in place of {@code null}) and widen numbers (an {@code int} becomes a {@code long}). A
 * change that cannot be read (a {@code String} that became a {@code long}) fails naming the record
 * and the component. An enum is written by its constants' names: constants may be added and
 * reordered, not removed while data holds them.
 *
 * <pre>{@code
 * CodecRegistry codecs = CodecRegistry.defaults()
 *     .withName(Click.class, "shop.Click")             // a record (or enum), by its logical name
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
