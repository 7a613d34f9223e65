package io.weft.agent.cni.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A CNI error result: {@code {"cniVersion","code","msg","details"}} on stdout and a non-zero exit.
 * Codes 1-99 are the spec's well-known codes; Weft's own start at 100.
 */
public final class CniError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int INCOMPATIBLE_VERSION = 1;
  public static final int UNSUPPORTED_FIELD = 2;
  public static final int UNKNOWN_CONTAINER = 3;
  public static final int INVALID_ENVIRONMENT = 4;
  public static final int IO_FAILURE = 5;
  public static final int DECODING_FAILURE = 6;
  public static final int INVALID_NETWORK_CONFIG = 7;
  public static final int TRY_AGAIN_LATER = 11;
  public static final int PLUGIN_NOT_AVAILABLE = 50;
  /** Weft: CHECK found the attachment different from what ADD made; details list every difference. */
  public static final int CHECK_FAILED = 100;
  /** Weft: the node's pod subnet has no free address left. */
  public static final int ADDRESSES_EXHAUSTED = 101;
  /** Weft: a kernel operation failed; the message names the operation and the object. */
  public static final int NETLINK_FAILURE = 102;
  /** Weft: an unexpected failure inside the agent. */
  public static final int INTERNAL = 999;

  private final int code;
  private final String msg;
  private final String details;

  public CniError(int code, String msg, String details) {
    super(details == null || details.isEmpty() ? msg : msg + ": " + details);
    this.code = code;
    this.msg = msg;
    this.details = details == null ? "" : details;
  }

  public CniError(int code, String msg) {
    this(code, msg, "");
  }

  public int code() {
    return code;
  }

  public String msg() {
    return msg;
  }

  public String details() {
    return details;
  }

  /** The spec's error object (details only when there are some). */
  public Map<String, Object> toJson(String cniVersion) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cniVersion", cniVersion);
    m.put("code", Long.valueOf(code));
    m.put("msg", msg);
    if (!details.isEmpty()) {
      m.put("details", details);
    }
    return m;
  }
}
