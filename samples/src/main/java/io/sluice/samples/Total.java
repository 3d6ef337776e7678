package io.sluice.samples;

/**
 * The running total of one key of the {@code keyed-totals} sample after its {@code seq}-th record.
 *
 * <p>Its line in the file sink is {@code key,seq,value,total} in decimal ({@link #toLine},
 * {@link #parse}), for example {@code 42,7,18,391}.
 *
 * @param key the generator's key
 * @param seq the sequence number of the record (from 1) within its key
 * @param value that record's value
 * @param total the sum of the values of records 1..seq of the key
 */
public record Total(long key, long seq, long value, long total) {
  /** {@code key,seq,value,total}. */
  public String toLine() {
    return key + "," + seq + "," + value + "," + total;
  }

  /** Parses {@link #toLine()}; throws IllegalArgumentException naming the line if it is not one. */
  public static Total parse(String line) {
    long[] f = new long[4];
    int from = 0;
    for (int i = 0; i < 4; i++) {
      int comma = i < 3 ? line.indexOf(',', from) : line.length();
      if (comma < 0 || (i == 3 && line.indexOf(',', from) >= 0)) {
        throw new IllegalArgumentException("not a key,seq,value,total line: '" + line + "'");
      }
      try {
        f[i] = Long.parseLong(line, from, comma, 10);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a key,seq,value,total line: '" + line + "'", e);
      }
      from = comma + 1;
    }
    return new Total(f[0], f[1], f[2], f[3]);
  }
}
