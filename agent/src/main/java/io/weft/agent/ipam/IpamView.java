package io.weft.agent.ipam;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code GET /v1/ipam} ({@code meshctl status ipam}): {@code {"subnet", "lastReconcile",
 * "allocations": [...], "unknownOwner": [...], "releasedByReconcile": [...]}}.
 */
public final class IpamView {
  private IpamView() {}

  /** @param subnet this node's pod subnet, or null before the mesh agreed one */
  public static Map<String, Object> of(String subnet, List<Allocation> allocations, IpamHealth health) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("subnet", subnet);
    body.put("lastReconcile", health.lastReconcile().map(Object::toString).orElse(null));
    List<Map<String, Object>> list = new ArrayList<>();
    for (Allocation a : allocations) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("address", a.address().getHostAddress());
      m.put("containerId", a.containerId());
      m.put("ifname", a.ifname());
      m.put("pod", a.pod());
      m.put("netns", a.netns());
      m.put("hostInterface", a.key().hostInterfaceName());
      m.put("since", a.since().toString());
      list.add(m);
    }
    body.put("allocations", list);
    body.put("unknownOwner", health.unknownOwners().stream().map(u -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("address", u.address().getHostAddress());
      m.put("problem", u.problem());
      return m;
    }).toList());
    body.put("releasedByReconcile", health.released().stream().map(r -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("address", r.address().getHostAddress());
      m.put("containerId", r.attachment().containerId());
      m.put("ifname", r.attachment().ifname());
      m.put("pod", r.pod());
      m.put("at", r.at().toString());
      m.put("why", r.why());
      return m;
    }).toList());
    return body;
  }
}
