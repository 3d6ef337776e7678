package io.sluice.core.codec;

/** Bytes that do not follow the format they claim; never retried, always reported. */
public final class CorruptDataException extends RuntimeException {
  public CorruptDataException(String message) {
    super(message);
  }

  public CorruptDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
