package io.weft.cni;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/cni}: one CNI invocation, already validated by the plugin, as the agent needs
 * it. The same class encodes (plugin) and decodes (agent) it, so the two cannot drift apart.
 *
 * @param prevIps          the addresses of {@code prevResult} (CHECK compares them with the allocation; DEL
 *                         frees one whose allocation record is unreadable)
 * @param validAttachments GC only: attachments whose resources stay; null for other verbs
 * @param mac              ADD and CHECK: the container interface's MAC address (lower-case colon form), or
 *                         null to keep the one the kernel chose
 */
public record CniRequest(
    CniCommand command,
    String cniVersion,
    String network,
    String containerId,
    String netns,
    String ifname,
    Map<String, String> args,
    int mtu,
    List<String> requestedIps,
    List<String> prevIps,
    List<NetworkConfig.Attachment> validAttachments,
    String mac) {

  public CniRequest {
    args = args == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(args));
    requestedIps = requestedIps == null ? List.of() : List.copyOf(requestedIps);
    prevIps = prevIps == null ? List.of() : List.copyOf(prevIps);
    validAttachments = validAttachments == null ? null : List.copyOf(validAttachments);
  }

  /** The same request with this MTU (the agent resolves {@link NetworkConfig#NODE_MTU}). */
  public CniRequest withMtu(int newMtu) {
    return new CniRequest(command, cniVersion, network, containerId, netns, ifname, args, newMtu, requestedIps,
        prevIps, validAttachments, mac);
  }

  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("command", command.name());
    m.put("cniVersion", cniVersion);
    m.put("network", network);
    m.put("containerId", containerId);
    m.put("netns", netns);
    m.put("ifname", ifname);
    m.put("args", new LinkedHashMap<String, Object>(args));
    m.put("mtu", Long.valueOf(mtu));
    m.put("requestedIps", new ArrayList<Object>(requestedIps));
    m.put("prevIps", new ArrayList<Object>(prevIps));
    if (validAttachments != null) {
      List<Object> list = new ArrayList<>();
      for (NetworkConfig.Attachment a : validAttachments) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("containerID", a.containerId());
        o.put("ifname", a.ifname());
        list.add(o);
      }
      m.put("validAttachments", list);
    }
    if (mac != null) {
      m.put("mac", mac);
    }
    return Json.write(m);
  }

  /**
   * Decodes a request.
   *
   * @throws JsonException when it is not the JSON above (the message names the field)
   */
  public static CniRequest fromJson(String text) {
    Map<String, Object> m = Json.parseObject(text);
    CniCommand command = CniCommand.of(string(m, "command", true));
    if (command == null || command == CniCommand.VERSION) {
      throw new JsonException("command must be one of ADD, DEL, CHECK, GC, STATUS");
    }
    Map<String, String> args = new LinkedHashMap<>();
    Object a = m.get("args");
    if (a instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getValue() instanceof String v)) {
          throw new JsonException("args values must be strings");
        }
        args.put((String) e.getKey(), v);
      }
    } else if (a != null) {
      throw new JsonException("args must be an object");
    }
    Object mtu = m.get("mtu");
    if (!(mtu instanceof Long l) || (l != NetworkConfig.NODE_MTU && (l < 68 || l > 65535))) {
      throw new JsonException("mtu must be 0 (the node's pod MTU) or an integer between 68 and 65535");
    }
    List<NetworkConfig.Attachment> attachments = null;
    Object va = m.get("validAttachments");
    if (va instanceof List<?> list) {
      attachments = new ArrayList<>();
      for (Object o : list) {
        if (!(o instanceof Map<?, ?> e) || !(e.get("containerID") instanceof String id)
            || !(e.get("ifname") instanceof String ifname)) {
          throw new JsonException("validAttachments entries need containerID and ifname");
        }
        attachments.add(new NetworkConfig.Attachment(id, ifname));
      }
    } else if (va != null) {
      throw new JsonException("validAttachments must be an array");
    }
    return new CniRequest(command, string(m, "cniVersion", true), string(m, "network", false),
        string(m, "containerId", false), string(m, "netns", false), string(m, "ifname", false), args,
        l.intValue(), strings(m, "requestedIps"), strings(m, "prevIps"), attachments, string(m, "mac", false));
  }

  private static String string(Map<String, Object> m, String key, boolean required) {
    Object v = m.get(key);
    if (v == null && !required) {
      return null;
    }
    if (v instanceof String s) {
      return s;
    }
    throw new JsonException(key + " must be a string");
  }

  private static List<String> strings(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      throw new JsonException(key + " must be an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (Object o : l) {
      if (!(o instanceof String s)) {
        throw new JsonException(key + " must be an array of strings");
      }
      out.add(s);
    }
    return out;
  }
}
