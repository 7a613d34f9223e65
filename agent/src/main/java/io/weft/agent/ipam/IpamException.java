package io.weft.agent.ipam;

/** An allocation that cannot be made; the message names the subnet or the address and why. */
public final class IpamException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the allocation failed. */
  public enum Reason {
    /** Every assignable address of the subnet is taken. */
    EXHAUSTED,
    /** A specific address was asked for and cannot be given (outside the subnet, reserved or taken). */
    UNAVAILABLE,
    /** The allocation could not be written to the state directory. */
    STORAGE
  }

  private final Reason reason;

  public IpamException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public IpamException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }
}
