package io.weft.agent.cni.protocol;

/** Text that is not the JSON expected; the message names the offset and what was wrong there. */
public final class JsonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public JsonException(String message) {
    super(message);
  }
}
