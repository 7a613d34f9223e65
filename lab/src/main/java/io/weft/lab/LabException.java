package io.weft.lab;

/** A lab step failed; the message names the step and the thing (node, namespace, command). */
public final class LabException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LabException(String message) {
    super(message);
  }

  public LabException(String message, Throwable cause) {
    super(message, cause);
  }
}
