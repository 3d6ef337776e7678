package io.sluice.samples;

/**
 * One session of the {@code click-sessions} sample: a user's clicks each no more than the gap
 * after the one before (exactly the gap still joins the session, as in Flink).
 *
 * <p>Its line in the file sink is {@code user,windowStart,windowEnd,clicks,firstMillis,lastMillis}
 * ({@link #toLine}, {@link #parse}).
 *
 * @param user the user
 * @param windowStart the session window's start: the first click's time
 * @param windowEnd the session window's end (exclusive): the last click's time plus the gap
 * @param clicks clicks in the session
 * @param firstMillis time of the earliest click
 * @param lastMillis time of the latest click
 */
public record Session(String user, long windowStart, long windowEnd, long clicks, long firstMillis,
    long lastMillis) {
  public String toLine() {
    return user + "," + windowStart + "," + windowEnd + "," + clicks + "," + firstMillis + "," + lastMillis;
  }

  /** Parses {@link #toLine()}. */
  public static Session parse(String line) {
    String[] f = line.split(",", -1);
    if (f.length != 6) {
      throw new IllegalArgumentException("not a session line (user,windowStart,windowEnd,clicks,first,last): '"
          + line + "'");
    }
    try {
      return new Session(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
          Long.parseLong(f[4]), Long.parseLong(f[5]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a session line: '" + line + "'", e);
    }
  }
}
