package io.weft.agent.cni.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the agent made for an ADD, in the newest spec shape without {@code cniVersion}; {@link ResultShaper}
 * turns it into the shape of the version the runtime asked for.
 */
public record CniResult(List<Interface> interfaces, List<IpConfig> ips, List<RouteEntry> routes) {

  public CniResult {
    interfaces = List.copyOf(interfaces);
    ips = List.copyOf(ips);
    routes = List.copyOf(routes);
  }

  /** An interface the plugin made; {@code sandbox} is the netns path for the container end, else null. */
  public record Interface(String name, String mac, int mtu, String sandbox) {}

  /** {@code address} in CIDR notation ({@code 10.244.1.5/24}); {@code interfaceIndex} into interfaces. */
  public record IpConfig(String address, String gateway, int interfaceIndex) {}

  /** A route in the container; {@code gw} may be null. */
  public record RouteEntry(String dst, String gw) {}

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    List<Object> ifs = new ArrayList<>();
    for (Interface i : interfaces) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("name", i.name());
      if (i.mac() != null) {
        o.put("mac", i.mac());
      }
      if (i.mtu() > 0) {
        o.put("mtu", Long.valueOf(i.mtu()));
      }
      if (i.sandbox() != null) {
        o.put("sandbox", i.sandbox());
      }
      ifs.add(o);
    }
    m.put("interfaces", ifs);
    List<Object> ipList = new ArrayList<>();
    for (IpConfig ip : ips) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("address", ip.address());
      if (ip.gateway() != null) {
        o.put("gateway", ip.gateway());
      }
      o.put("interface", Long.valueOf(ip.interfaceIndex()));
      ipList.add(o);
    }
    m.put("ips", ipList);
    List<Object> routeList = new ArrayList<>();
    for (RouteEntry r : routes) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("dst", r.dst());
      if (r.gw() != null) {
        o.put("gw", r.gw());
      }
      routeList.add(o);
    }
    m.put("routes", routeList);
    m.put("dns", new LinkedHashMap<String, Object>());
    return m;
  }
}
