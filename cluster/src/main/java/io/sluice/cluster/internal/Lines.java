package io.sluice.cluster.internal;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** INTERNAL API: text for one console line (progress lines, tables) from long messages. */
public final class Lines {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  private Lines() {}

  /** The console's width: {@code $COLUMNS} if set, else 120. */
  public static int width() {
    try {
      int w = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "").trim());
      return w >= 40 ? w : 120;
    } catch (NumberFormatException e) {
      return 120;
    }
  }

  /** {@code text} on one line (runs of white space become one space), cut to {@code max} characters with "…". */
  public static String shorten(String text, int max) {
    if (text == null) {
      return "";
    }
    return cut(text.replaceAll("\\s+", " ").trim(), max);
  }

  /** {@code line} cut to {@code max} characters with "…" (its spacing kept). */
  public static String cut(String line, int max) {
    if (line.length() <= max) {
      return line;
    }
    return max <= 1 ? "…".substring(0, Math.max(0, max)) : line.substring(0, max - 1) + "…";
  }

  /** Wall-clock millis as local time of day, HH:mm:ss. */
  public static String clock(long millis) {
    return LocalTime.ofInstant(Instant.ofEpochMilli(millis), ZoneId.systemDefault()).format(CLOCK);
  }
}
