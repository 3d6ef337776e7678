package io.sluice.core.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.table.Column;
import io.sluice.core.table.DataType;
import io.sluice.core.table.Row;
import io.sluice.core.table.Schema;
import org.junit.jupiter.api.Test;

/** Golden bytes of the row format, version 1: rows live in state and savepoints for months. */
class RowCodecTest {
  private static final Schema S = Schema.of(new Column("k", DataType.STRING), new Column("n", DataType.BIGINT),
      new Column("b", DataType.BOOLEAN));
  private static final String GOLDEN = "01 03 01 6b 01 01 6e 03 01 62 06 04 01 61 54";

  private static String encode(Row r) {
    ByteWriter out = new ByteWriter();
    new RowCodec().write(out, r);
    return Hex.of(out.toByteArray());
  }

  @Test
  void aRowIsTheVersionItsSchemaANullBitmapAndTheValues() {
    // version 1; 3 columns: "k" STRING (1), "n" BIGINT (3), "b" BOOLEAN (6); nulls 0b100 (b);
    // "a"; 42 zig-zag (84 = 0x54)
    assertEquals(GOLDEN, encode(Row.of(S, "a", 42L, null)));
    assertEquals(Row.of(S, "a", 42L, null), new RowCodec().read(new ByteReader(Hex.bytes(GOLDEN))));
  }

  @Test
  void anUnknownVersionIsRefusedWithTheVersion() {
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> new RowCodec().read(new ByteReader(Hex.bytes("02" + GOLDEN.substring(2)))));
    assertEquals("sluice.Row format version 2 is not supported (expected 1)", e.getMessage());
  }
}
