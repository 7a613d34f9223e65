package io.weft.core.codec;

/**
 * Bytes that are not a valid Weft node record: not JSON, an unsupported schema, a missing field or a
 * field of the wrong type or form. Unchecked so that codecs compose in streams; callers that receive
 * records from the network must catch it, count it and drop the message.
 */
public final class RecordFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RecordFormatException(String message) {
    super(message);
  }

  public RecordFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
