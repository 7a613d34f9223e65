package io.weft.meshctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Human renderings of the agent's JSON answers. */
final class Render {
  private Render() {}

  /** {@code meshctl status}: a short summary, the problems, then the peers table. */
  static String status(JsonNode s, long nowMillis) {
    StringBuilder b = new StringBuilder();
    JsonNode node = s.path("node");
    JsonNode mesh = s.path("mesh");
    JsonNode rec = s.path("reconcile");
    JsonNode adoption = s.path("adoption");
    field(b, "Node", text(node, "name") + " (" + text(node, "nodeIp") + ")");
    field(b, "Pod subnet", text(node, "podSubnet") + (node.hasNonNull("subnetSource") ? " (" + text(node, "subnetSource") + ")" : "")
        + " in cluster " + text(s, "clusterCidr"));
    field(b, "Mesh", text(mesh, "state") + ", " + mesh.path("size").asInt() + " member(s): "
        + mesh.path("peersUp").asInt() + " peer(s) up, " + mesh.path("peersDown").asInt() + " down"
        + (mesh.hasNonNull("coordinator") ? ", coordinator " + text(mesh, "coordinator") : ""));
    field(b, "Routes", rec.path("installed").asLong() + " installed, " + rec.path("missing").asLong() + " missing, "
        + rec.path("foreign").asLong() + " foreign, " + rec.path("stale").asLong() + " stale");
    String last = rec.path("number").asLong() == 0 ? "no reconcile yet"
        : "last reconcile #" + rec.path("number").asLong() + " " + ago(rec.path("atMillis").asLong(), nowMillis)
            + String.format(Locale.ROOT, " (%.1f ms)", rec.path("durationMillis").asDouble());
    field(b, "Converged", (s.path("converged").asBoolean() ? "yes" : "no") + ", " + last);
    field(b, "Egress", egress(s.path("egress")));
    if (adoption.path("active").asBoolean()) {
      field(b, "Adoption", "keeping " + adoption.path("kept").asInt() + " unclaimed route(s) until the mesh view settles"
          + " (at most until " + clock(adoption.path("untilMillis").asLong()) + ")");
    }
    JsonNode problems = s.path("problems");
    if (problems.size() == 0) {
      field(b, "Problems", "none");
    } else {
      field(b, "Problems", problems.size() + "");
      problems.forEach(p -> b.append("  - ").append(p.asText()).append('\n'));
    }
    s.path("warnings").forEach(w -> field(b, "Warning", w.asText()));
    if (s.path("peers").size() > 0) {
      b.append('\n').append(peers(s.path("peers"), nowMillis));
    }
    return b.toString();
  }

  /** "masquerade on, rules installed in iptables-nft (FORWARD policy DROP)". */
  static String egress(JsonNode e) {
    StringBuilder b = new StringBuilder(e.path("masquerade").asBoolean() ? "masquerade on" : "masquerade off");
    if (e.path("noMasqueradeCidrs").size() > 0) {
      List<String> exempt = new ArrayList<>();
      e.path("noMasqueradeCidrs").forEach(c -> exempt.add(c.asText()));
      b.append(" (not to ").append(String.join(", ", exempt)).append(')');
    }
    b.append(", rules ").append(text(e, "state"));
    List<String> where = new ArrayList<>();
    for (JsonNode x : e.path("backends")) {
      where.add("iptables-" + text(x, "name") + (x.hasNonNull("forwardPolicy") ? " (FORWARD policy "
          + text(x, "forwardPolicy") + ")" : ""));
    }
    if (!where.isEmpty()) {
      b.append(" in ").append(String.join(", ", where));
    }
    return b.toString();
  }

  /** {@code meshctl status peers}. */
  static String peers(JsonNode peers, long nowMillis) {
    Table t = new Table("NAME", "NODE-IP", "SUBNET", "STATE", "ROUTE", "LAST-SEEN");
    for (JsonNode p : peers) {
      String route = text(p, "route");
      String reason = text(p, "reason");
      String path = text(p, "path");
      if (!path.isEmpty()) {
        route = path + " (" + route + ")";
      }
      if (!reason.isEmpty() && (route.startsWith("none") || route.endsWith("(foreign)"))) {
        route = route + " (" + reason + ")";
      }
      String seen = "up".equals(text(p, "state")) ? "now" : ago(p.path("downSinceMillis").asLong(), nowMillis);
      t.row(text(p, "name"), text(p, "nodeIp"), text(p, "podSubnet"), text(p, "state"), route, seen);
    }
    return t.isEmpty() ? "No peers: this node is alone in the mesh.\n" : t.render();
  }

  /** {@code meshctl status routes}. */
  static String routes(JsonNode r) {
    Table t = new Table("DESTINATION", "TYPE", "GATEWAY", "DEVICE", "STATE", "PEER", "DETAIL");
    for (JsonNode x : r.path("routes")) {
      t.row(text(x, "destination"), text(x, "type"), text(x, "gateway"), text(x, "device"), text(x, "state"),
          text(x, "peer"), text(x, "detail"));
    }
    return t.isEmpty() ? "No routes (has this node joined the mesh? see meshctl status).\n" : t.render();
  }

  /**
   * {@code meshctl status ipam}: scalar fields as "Key: value" lines, then each array of objects as a
   * table whose columns are the objects' fields.
   */
  static String ipam(JsonNode ipam) {
    StringBuilder b = new StringBuilder();
    List<String> tables = new ArrayList<>();
    Iterator<String> names = ipam.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      JsonNode v = ipam.get(name);
      if (v.isArray()) {
        tables.add(objects(name, v));
      } else if (v.isValueNode()) {
        field(b, title(name), v.asText());
      } else {
        field(b, title(name), JsonTrees.compact(v));
      }
    }
    for (String t : tables) {
      b.append('\n').append(t);
    }
    return b.toString();
  }

  private static String objects(String name, JsonNode array) {
    Set<String> columns = new LinkedHashSet<>();
    array.forEach(o -> o.fieldNames().forEachRemaining(columns::add));
    if (array.size() == 0) {
      return title(name) + ": none\n";
    }
    if (columns.isEmpty()) {
      StringBuilder b = new StringBuilder(title(name)).append(":\n");
      array.forEach(v -> b.append("  ").append(v.asText()).append('\n'));
      return b.toString();
    }
    Table t = new Table(columns.stream().map(Render::header).toArray(String[]::new));
    for (JsonNode o : array) {
      t.row(columns.stream().map(c -> o.has(c) ? (o.get(c).isValueNode() ? o.get(c).asText() : JsonTrees.compact(o.get(c))) : "")
          .toArray(String[]::new));
    }
    return title(name) + ":\n" + t.render();
  }

  /** {@code podSubnet} → {@code POD-SUBNET}. */
  static String header(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toUpperCase(Locale.ROOT);
  }

  private static String title(String camel) {
    String spaced = camel.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    return Character.toUpperCase(spaced.charAt(0)) + spaced.substring(1);
  }

  private static void field(StringBuilder b, String name, String value) {
    b.append(String.format(Locale.ROOT, "%-11s %s%n", name + ":", value));
  }

  static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isMissingNode() || v.isNull() ? "" : v.asText();
  }

  /** {@code 3s ago}, {@code 5m ago}, {@code never}. */
  static String ago(long thenMillis, long nowMillis) {
    if (thenMillis <= 0) {
      return "never";
    }
    long s = Math.max(0, (nowMillis - thenMillis) / 1000);
    if (s < 60) {
      return s + "s ago";
    }
    if (s < 3600) {
      return s / 60 + "m ago";
    }
    if (s < 86400) {
      return s / 3600 + "h" + (s % 3600) / 60 + "m ago";
    }
    return s / 86400 + "d ago";
  }

  private static String clock(long millis) {
    return millis <= 0 ? "-" : java.time.Instant.ofEpochMilli(millis).toString();
  }
}
