package io.weft.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** What a node holds for its containers, read from the outside: the agent's IPAM and the node's links. */
final class NodeState {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private NodeState() {}

  /** {@code meshctl status ipam -o json}'s allocations on {@code node}. */
  static List<JsonNode> allocations(LabNode node) {
    try {
      JsonNode ipam = MAPPER.readTree(node.meshctl("status", "ipam", "-o", "json").check().stdout());
      List<JsonNode> all = new ArrayList<>();
      ipam.path("allocations").forEach(all::add);
      return all;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The address allocated to {@code containerId}, or null. */
  static String addressOf(LabNode node, String containerId) {
    return allocations(node).stream().filter(a -> containerId.equals(a.path("containerId").asText()))
        .map(a -> a.path("address").asText()).findFirst().orElse(null);
  }

  /** Pod veth host ends on {@code node}: {@code weft} and 8 hex characters (SPEC). */
  static List<String> podVeths(LabNode node) {
    try {
      List<String> names = new ArrayList<>();
      for (JsonNode link : MAPPER.readTree(Ip.in(node.name(), "-j", "link", "show").stdout())) {
        String name = link.path("ifname").asText();
        if (name.matches("weft[0-9a-f]{8}")) {
          names.add(name);
        }
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
