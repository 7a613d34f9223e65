package io.weft.agent.cni.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The plugin's network configuration (stdin), with the fields Weft reads. Unknown fields are tolerated, as
 * the spec allows; the known ones are type-checked.
 *
 * @param apiSocket        the agent's API socket ({@code "apiSocket"}, default {@value #DEFAULT_API_SOCKET})
 * @param mtu              MTU of both veth ends ({@code "mtu"}), or {@value #NODE_MTU} when the config
 *                         names none: the agent then uses the node's pod MTU (the uplink's, less the
 *                         VXLAN overhead unless tunnels are off)
 * @param prevResult       the previous plugin's (or ADD's) result, or null
 * @param requestedIps     {@code runtimeConfig.ips} (the {@code ips} capability), empty when absent
 * @param requestedMac     the container interface's MAC address as the config asks for it:
 *                         {@code runtimeConfig.mac} (the {@code mac} capability), else {@code args.cni.mac}
 *                         (the precedence of the reference bridge plugin); null when neither is given.
 *                         Checked only by the verbs that use it, so a DEL never fails on it.
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
    RequestedMac requestedMac,
    List<Attachment> validAttachments,
    Map<String, Object> dns) {

  public static final String DEFAULT_API_SOCKET = "/run/weft/weft.sock";
  /** The config gives no MTU: the agent chooses the node's pod MTU. */
  public static final int NODE_MTU = 0;
  static final String VALID_ATTACHMENTS = "cni.dev/valid-attachments";

  /** A MAC address as written in the config, and where ({@code runtimeConfig.mac} or {@code args.cni.mac}). */
  public record RequestedMac(String key, String text) {
    /** The address in lower-case colon form; code 7 naming the key when it is no unicast Ethernet address. */
    public String normalised() {
      return mac(text, key, CniError.INVALID_NETWORK_CONFIG);
    }
  }

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
    return of(m);
  }

  /**
   * The configuration in an already decoded JSON object.
   *
   * @throws CniError code 7 when a known field is missing or of the wrong type
   */
  public static NetworkConfig of(Map<String, Object> m) {
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
    int mtu = NODE_MTU;
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

  private static RequestedMac requestedMac(Map<String, Object> m) {
    Map<String, Object> runtime = optionalObject(m, "runtimeConfig");
    String mac = runtime == null ? null : optionalString(runtime, "mac");
    if (mac != null && !mac.isEmpty()) {
      return new RequestedMac("runtimeConfig.mac", mac);
    }
    Map<String, Object> args = optionalObject(m, "args");
    Map<String, Object> cni = args == null ? null : optionalObject(args, "cni");
    mac = cni == null ? null : optionalString(cni, "mac");
    return mac == null || mac.isEmpty() ? null : new RequestedMac("args.cni.mac", mac);
  }

  /**
   * A unicast 48-bit Ethernet address ({@code 0a:58:0a:f4:01:05}, hyphens or upper case accepted), in
   * lower-case colon form; {@code code} when it is not one (the kernel refuses multicast and zero).
   */
  static String mac(String text, String source, int code) {
    boolean ok = text.length() == 17;
    StringBuilder b = new StringBuilder(17);
    for (int i = 0; ok && i < 17; i++) {
      char c = Character.toLowerCase(text.charAt(i));
      if (i % 3 == 2) {
        ok = c == ':' || c == '-';
        b.append(':');
      } else {
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        b.append(c);
      }
    }
    String why = null;
    if (!ok) {
      why = "is not a MAC address (want six hex pairs such as 0a:58:0a:f4:01:05)";
    } else if ((Character.digit(b.charAt(1), 16) & 1) != 0) {
      why = "is a multicast address; an interface needs a unicast one";
    } else if (b.toString().equals("00:00:00:00:00:00")) {
      why = "is the zero address";
    }
    if (why != null) {
      throw new CniError(code, code == CniError.INVALID_ENVIRONMENT ? "invalid CNI_ARGS" : "invalid network config",
          source + " '" + text + "' " + why);
    }
    return b.toString();
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
