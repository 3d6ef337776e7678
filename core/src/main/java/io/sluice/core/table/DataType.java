package io.sluice.core.table;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * The types of a column, with SQL's names, the Java class of their values, and their text form
 * (used by CSV). Text is parsed strictly: a value that is not entirely of the type is an error that
 * says what was expected; numbers, booleans, dates and timestamps may be surrounded by spaces.
 */
public enum DataType {
  /** Text: {@link String}. */
  STRING(String.class),
  /** A 32-bit integer: {@link Integer}. */
  INT(Integer.class),
  /** A 64-bit integer: {@link Long}. */
  BIGINT(Long.class),
  /** A 64-bit floating-point number: {@link Double}. */
  DOUBLE(Double.class),
  /** An exact decimal number: {@link BigDecimal}, written in plain notation (no exponent). */
  DECIMAL(BigDecimal.class),
  /** {@code true} or {@code false}, in any case: {@link Boolean}. */
  BOOLEAN(Boolean.class),
  /** A date, {@code yyyy-MM-dd}: {@link LocalDate}. */
  DATE(LocalDate.class),
  /**
   * A date and time without a time zone, {@code yyyy-MM-dd HH:mm:ss[.fraction]} (SQL's form; an ISO
   * {@code T} between date and time is read too): {@link LocalDateTime}. Event time takes it as UTC
   * ({@link Row#epochMillis(String)}).
   */
  TIMESTAMP(LocalDateTime.class);

  private static final DateTimeFormatter TIMESTAMP_TEXT = new DateTimeFormatterBuilder()
      .append(DateTimeFormatter.ISO_LOCAL_DATE)
      .optionalStart().appendLiteral(' ').optionalEnd()
      .optionalStart().appendLiteral('T').optionalEnd()
      .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':')
      .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
      .optionalStart().appendLiteral(':').appendValue(ChronoField.SECOND_OF_MINUTE, 2)
      .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
      .optionalEnd()
      .toFormatter(Locale.ROOT);
  private static final DateTimeFormatter TIMESTAMP_OUT = new DateTimeFormatterBuilder()
      .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral(' ')
      .append(DateTimeFormatter.ISO_LOCAL_TIME)
      .toFormatter(Locale.ROOT);

  private final Class<?> javaClass;

  DataType(Class<?> javaClass) {
    this.javaClass = javaClass;
  }

  /** The class of this type's values. */
  public Class<?> javaClass() {
    return javaClass;
  }

  /**
   * The type named {@code name} in SQL ({@code VARCHAR} and {@code INTEGER} are read as
   * {@code STRING} and {@code INT}), in any case.
   *
   * @throws IllegalArgumentException naming the known types if there is no such type
   */
  public static DataType of(String name) {
    String n = name.trim().toUpperCase(Locale.ROOT);
    switch (n) {
      case "VARCHAR":
      case "CHAR":
        return STRING;
      case "INTEGER":
        return INT;
      default:
        break;
    }
    try {
      return valueOf(n);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown type '" + name + "'; the types are STRING, INT, BIGINT,"
          + " DOUBLE, DECIMAL, BOOLEAN, DATE and TIMESTAMP");
    }
  }

  /**
   * Reads the text form of a value.
   *
   * @throws IllegalArgumentException saying what was expected, if {@code text} is not a value of
   *     this type
   */
  public Object parse(String text) {
    if (this == STRING) {
      return text;
    }
    String t = text.strip();
    try {
      switch (this) {
        case INT:
          return Integer.valueOf(t);
        case BIGINT:
          return Long.valueOf(t);
        case DOUBLE:
          if (t.isEmpty() || !(Character.isDigit(t.charAt(t.length() - 1)) || t.endsWith(".")
              || t.equals("NaN") || t.endsWith("Infinity"))) {
            // Double.valueOf accepts a trailing d or f, which is not a number in a table
            throw new NumberFormatException();
          }
          return Double.valueOf(t);
        case DECIMAL:
          return new BigDecimal(t);
        case BOOLEAN:
          if (t.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
          }
          if (t.equalsIgnoreCase("false")) {
            return Boolean.FALSE;
          }
          throw new IllegalArgumentException(quote(text) + " is not a BOOLEAN (true or false)");
        case DATE:
          return LocalDate.parse(t);
        case TIMESTAMP:
          return LocalDateTime.parse(t, TIMESTAMP_TEXT);
        default:
          throw new AssertionError(this);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(quote(text) + " is not " + (this == INT ? "an INT" : "a " + name())
          + (this == INT ? " (a whole number from -2147483648 to 2147483647)"
              : this == BIGINT ? " (a whole number of at most 19 digits)" : ""));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(quote(text) + " is not a " + name()
          + (this == DATE ? " (yyyy-MM-dd)" : " (yyyy-MM-dd HH:mm:ss[.fraction])"));
    }
  }

  /** The text form of {@code value}, a value of this type: what {@link #parse} reads back. */
  public String format(Object value) {
    switch (this) {
      case DECIMAL:
        return ((BigDecimal) value).toPlainString();
      case TIMESTAMP:
        return TIMESTAMP_OUT.format((LocalDateTime) value);
      default:
        return value.toString();
    }
  }

  private static String quote(String text) {
    String t = text.length() > 100 ? text.substring(0, 100) + "..." : text;
    return "'" + t + "'";
  }
}
