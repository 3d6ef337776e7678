package io.sluice.core.internal.codec;

import java.util.HexFormat;

/** Hex strings with optional spaces, for golden-bytes tests. */
public final class Hex {
  private Hex() {}

  public static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  public static String of(byte[] bytes) {
    return HexFormat.ofDelimiter(" ").formatHex(bytes);
  }
}
