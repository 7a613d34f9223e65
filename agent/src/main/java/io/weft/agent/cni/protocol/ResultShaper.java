package io.weft.agent.cni.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shapes a result for the {@code cniVersion} the runtime asked for, and merges a {@code prevResult} into it
 * when Weft is chained after another plugin.
 *
 * <ul>
 *   <li>0.4.0: every IP carries {@code "version": "4"} or {@code "6"}.
 *   <li>1.0.0: no {@code version} on IPs.
 *   <li>Before 1.1.0: no {@code mtu}, {@code socketPath}, {@code pciID} on interfaces and no {@code mtu},
 *       {@code advmss}, {@code priority}, {@code table}, {@code scope} on routes (1.1.0 added them).
 * </ul>
 */
public final class ResultShaper {
  private static final Set<String> INTERFACE_FIELDS_SINCE_1_1 = Set.of("mtu", "socketPath", "pciID");
  private static final Set<String> ROUTE_FIELDS_SINCE_1_1 = Set.of("mtu", "advmss", "priority", "table", "scope");

  private ResultShaper() {}

  /**
   * The result for {@code version}: {@code prevResult}'s interfaces, IPs and routes first (Weft's interface
   * indexes shifted past them), then Weft's; DNS from {@code prevResult} unless Weft's has some.
   */
  public static Map<String, Object> shape(Map<String, Object> result, String version, Map<String, Object> prevResult) {
    List<Object> interfaces = new ArrayList<>();
    List<Object> ips = new ArrayList<>();
    List<Object> routes = new ArrayList<>();
    Object dns = null;
    int offset = 0;
    if (prevResult != null) {
      interfaces.addAll(list(prevResult, "interfaces"));
      offset = interfaces.size();
      ips.addAll(list(prevResult, "ips"));
      routes.addAll(list(prevResult, "routes"));
      dns = prevResult.get("dns");
    }
    interfaces.addAll(list(result, "interfaces"));
    for (Object o : list(result, "ips")) {
      Map<String, Object> ip = new LinkedHashMap<>(asMap(o));
      if (ip.get("interface") instanceof Long index) {
        ip.put("interface", Long.valueOf(index + offset));
      }
      ips.add(ip);
    }
    routes.addAll(list(result, "routes"));
    Object ownDns = result.get("dns");
    if (ownDns instanceof Map<?, ?> d && !d.isEmpty()) {
      dns = ownDns;
    }

    boolean v11 = CniVersion.atLeast(version, CniVersion.V1_1_0);
    boolean v04 = !CniVersion.atLeast(version, CniVersion.V1_0_0);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cniVersion", version);
    List<Object> shapedInterfaces = new ArrayList<>();
    for (Object o : interfaces) {
      shapedInterfaces.add(v11 ? o : without(asMap(o), INTERFACE_FIELDS_SINCE_1_1));
    }
    out.put("interfaces", shapedInterfaces);
    List<Object> shapedIps = new ArrayList<>();
    for (Object o : ips) {
      Map<String, Object> ip = asMap(o);
      Map<String, Object> shaped = new LinkedHashMap<>();
      if (v04) {
        Object address = ip.get("address");
        shaped.put("version", address instanceof String a && a.indexOf(':') >= 0 ? "6" : "4");
      }
      for (Map.Entry<String, Object> e : ip.entrySet()) {
        if (!e.getKey().equals("version")) {
          shaped.put(e.getKey(), e.getValue());
        }
      }
      shapedIps.add(shaped);
    }
    out.put("ips", shapedIps);
    if (!routes.isEmpty()) {
      List<Object> shapedRoutes = new ArrayList<>();
      for (Object o : routes) {
        shapedRoutes.add(v11 ? o : without(asMap(o), ROUTE_FIELDS_SINCE_1_1));
      }
      out.put("routes", shapedRoutes);
    }
    out.put("dns", dns == null ? new LinkedHashMap<String, Object>() : dns);
    return out;
  }

  /** The {@code address} of every IP of a result (for CHECK against {@code prevResult}). */
  public static List<String> addresses(Map<String, Object> result) {
    List<String> out = new ArrayList<>();
    for (Object o : list(result, "ips")) {
      if (asMap(o).get("address") instanceof String a) {
        out.add(a);
      }
    }
    return out;
  }

  private static Map<String, Object> without(Map<String, Object> m, Set<String> keys) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (!keys.contains(e.getKey())) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  private static List<Object> list(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) {
        asMap(o);
        out.add(o);
      }
      return out;
    }
    throw new CniError(CniError.DECODING_FAILURE, "malformed result", "\"" + key + "\" must be an array");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    if (o instanceof Map) {
      return (Map<String, Object>) o;
    }
    throw new CniError(CniError.DECODING_FAILURE, "malformed result",
        "expected an object in a result list, found " + Json.typeName(o));
  }
}
