package io.weft.cni;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's answer to {@code POST /v1/cni} (HTTP 200 either way): {@code {"result": {...}}} (ADD), {@code
 * {}} (other verbs that succeeded) or {@code {"error": {"code","msg","details"}}}.
 */
public final class CniReply {
  private CniReply() {}

  public static String ok() {
    return "{}";
  }

  public static String ok(CniResult result) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("result", result.toJson());
    return Json.write(m);
  }

  public static String failed(CniError error) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("code", Long.valueOf(error.code()));
    e.put("msg", error.msg());
    if (!error.details().isEmpty()) {
      e.put("details", error.details());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", e);
    return Json.write(m);
  }

  /**
   * The result of a reply, or null when it carries none.
   *
   * @throws CniError the agent's error, or code 5 when the reply is not one of the shapes above
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> read(String body) {
    Map<String, Object> m;
    try {
      m = Json.parseObject(body);
    } catch (JsonException e) {
      throw new CniError(CniError.IO_FAILURE, "unreadable reply from the weft agent", e.getMessage());
    }
    Object error = m.get("error");
    if (error instanceof Map) {
      throw CniError.fromJson((Map<String, Object>) error);
    }
    Object result = m.get("result");
    if (result == null || result instanceof Map) {
      return (Map<String, Object>) result;
    }
    throw new CniError(CniError.IO_FAILURE, "unreadable reply from the weft agent", "result is not an object");
  }
}
