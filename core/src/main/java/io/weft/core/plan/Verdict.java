package io.weft.core.plan;

import java.util.Objects;

/**
 * Whether a received record may enter this node's view.
 *
 * @param accepted true when every rule holds
 * @param code     short machine reason for a metrics label ({@code subnet_overlap}); {@code ok} when accepted
 * @param reason   human reason naming the field and the value; empty when accepted
 */
public record Verdict(boolean accepted, String code, String reason) {
  /** Code of an accepted record. */
  public static final String OK = "ok";

  private static final Verdict ACCEPTED = new Verdict(true, OK, "");

  public Verdict {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(reason, "reason");
  }

  public static Verdict accept() {
    return ACCEPTED;
  }

  public static Verdict reject(String code, String reason) {
    return new Verdict(false, code, reason);
  }
}
