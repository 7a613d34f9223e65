package io.weft.dataplane.netlink;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.model.Route;
import java.util.Set;
import java.util.TreeSet;

/** Routes as one line each, the same whether they come from {@code ip -j route} or from the port. */
final class KernelOracle {
  private KernelOracle() {}

  /** Weft's routes of every table, as {@code ip -j route show table all proto 87} prints them. */
  static Set<String> weftRoutes(TestNetns ns) {
    Set<String> out = new TreeSet<>();
    for (JsonNode r : ns.json("route", "show", "table", "all", "proto", "87")) {
      boolean unreachable = "unreachable".equals(r.path("type").asText("unicast"));
      String dst = r.path("dst").asText();
      StringBuilder b = new StringBuilder(unreachable ? "unreachable " : "");
      b.append("default".equals(dst) ? "0.0.0.0/0" : dst.contains("/") ? dst : dst + "/32");
      if (r.has("gateway")) {
        b.append(" via ").append(r.get("gateway").asText());
      }
      if (r.has("dev") && !unreachable) {
        b.append(" dev ").append(r.get("dev").asText());
      }
      b.append(" table ").append(r.path("table").asText("main"));
      out.add(b.toString());
    }
    return out;
  }

  static String line(Route r) {
    StringBuilder b = new StringBuilder(r.type() == Route.Type.UNREACHABLE ? "unreachable " : "");
    b.append(r.destination());
    if (r.gateway() != null) {
      b.append(" via ").append(r.gateway().getHostAddress());
    }
    if (r.device() != null) {
      b.append(" dev ").append(r.device());
    }
    b.append(" table ").append(r.table() == Route.TABLE_MAIN ? "main" : Integer.toString(r.table()));
    return b.toString();
  }

  static Set<String> lines(Iterable<Route> routes) {
    Set<String> out = new TreeSet<>();
    routes.forEach(r -> out.add(line(r)));
    return out;
  }
}
