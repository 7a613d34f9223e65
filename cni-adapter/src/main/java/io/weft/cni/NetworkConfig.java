package io.weft.cni;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The plugin's network configuration (stdin), with the fields Weft reads. Unknown fields are tolerated, as
 * the spec allows; the known ones are type-checked.
 *
 * @param apiSocket        the agent's API socket ({@code "apiSocket"}, default {@value #DEFAULT_API_SOCKET})
 * @param mtu              MTU of both veth ends ({@code "mtu"}, default {@value #DEFAULT_MTU})
 * @param prevResult       the previous plugin's (or ADD's) result, or null
 * @param requestedIps     {@code runtimeConfig.ips} (the {@code ips} capability), empty when absent
 * @param requestedMac     {@code runtimeConfig.mac} (the {@code mac} capability), null when absent
 * @param validAttachments {@code cni.dev/valid-attachments} (GC), null when absent
 * @param dns              the config's {@code dns} object, passed into the ADD result as the reference
 *                         plugins do; null when absent
 */
public record NetworkConfig(
    String cniVersion,
    String name,
    String type,
    String apiSocket,
    int mtu,
    Map<String, Object> prevResult,
    List<String> requestedIps,
    String requestedMac,
    List<Attachment> validAttachments,
    Map<String, Object> dns) {

  public static final String DEFAULT_API_SOCKET = "/run/weft/weft.sock";
  public static final int DEFAULT_MTU = 1500;
  static final String VALID_ATTACHMENTS = "cni.dev/valid-attachments";

  /** One attachment the runtime still uses (GC keeps its resources). */
  public record Attachment(String containerId, String ifname) {}

  /**
   * Parses the configuration.
   *
   * @throws CniError code 6 when it is not JSON, 7 when a known field is missing or of the wrong type
   */
  public static NetworkConfig parse(String stdin) {
    Map<String, Object> m;
    try {
      m = Json.parseObject(stdin);
    } catch (JsonException e) {
      throw new CniError(CniError.DECODING_FAILURE, "error decoding network config", e.getMessage());
    }
    String name = optionalString(m, "name");
    if (name == null || name.isEmpty()) {
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "missing network name");
    }
    validateNetworkName(name);
    String version = optionalString(m, "cniVersion");
    String apiSocket = optionalString(m, "apiSocket");
    if (apiSocket == null) {
      apiSocket = DEFAULT_API_SOCKET;
    } else if (!apiSocket.startsWith("/")) {
      throw invalid("apiSocket must be an absolute path, got '" + apiSocket + "'");
    }
    int mtu = DEFAULT_MTU;
    Object mtuValue = m.get("mtu");
    if (mtuValue != null) {
      if (!(mtuValue instanceof Long l) || l < 68 || l > 65535) {
        throw invalid("mtu must be an integer between 68 and 65535, got " + Json.write(mtuValue));
      }
      mtu = l.intValue();
    }
    return new NetworkConfig(version == null ? "" : version, name, optionalString(m, "type"), apiSocket, mtu,
        optionalObject(m, "prevResult"), requestedIps(m), requestedMac(m), validAttachments(m), optionalObject(m, "dns"));
  }

  /** Network names follow the same rule as container IDs (the spec's wording). */
  static void validateNetworkName(String name) {
    boolean ok = isAlnum(name.charAt(0));
    for (int i = 1; ok && i < name.length(); i++) {
      char c = name.charAt(i);
      ok = isAlnum(c) || c == '_' || c == '.' || c == '-';
    }
    if (!ok) {
      throw invalid("invalid characters found in network name '" + name + "'");
    }
  }

  private static List<String> requestedIps(Map<String, Object> m) {
    Map<String, Object> runtime = optionalObject(m, "runtimeConfig");
    if (runtime == null || runtime.get("ips") == null) {
      return Collections.emptyList();
    }
    if (!(runtime.get("ips") instanceof List<?> list)) {
      throw invalid("runtimeConfig.ips must be an array of strings");
    }
    List<String> ips = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof String s)) {
        throw invalid("runtimeConfig.ips must be an array of strings, found " + Json.typeName(o));
      }
      ips.add(s);
    }
    return Collections.unmodifiableList(ips);
  }

  private static String requestedMac(Map<String, Object> m) {
    Map<String, Object> runtime = optionalObject(m, "runtimeConfig");
    return runtime == null ? null : optionalString(runtime, "mac");
  }

  private static List<Attachment> validAttachments(Map<String, Object> m) {
    Object v = m.get(VALID_ATTACHMENTS);
    if (v == null) {
      return null;
    }
    if (!(v instanceof List<?> list)) {
      throw invalid(VALID_ATTACHMENTS + " must be an array");
    }
    List<Attachment> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> a) || !(a.get("containerID") instanceof String id)
          || !(a.get("ifname") instanceof String ifname)) {
        throw invalid(VALID_ATTACHMENTS + " entries need string fields containerID and ifname, found "
            + Json.write(o));
      }
      out.add(new Attachment(id, ifname));
    }
    return Collections.unmodifiableList(out);
  }

  private static String optionalString(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw invalid(key + " must be a string, found " + Json.typeName(v));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> optionalObject(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null || v instanceof Map) {
      return (Map<String, Object>) v;
    }
    throw invalid(key + " must be an object, found " + Json.typeName(v));
  }

  private static CniError invalid(String details) {
    return new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid network config", details);
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
}
