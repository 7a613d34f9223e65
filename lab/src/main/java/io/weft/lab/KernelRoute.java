package io.weft.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One IPv4 route as {@code ip -j route show} prints it. {@code type} is "unicast" when ip leaves
 * it out; {@code protocol} is a name ("weft", "kernel") or a number ("87") depending on the
 * host's rt_protos files, so {@link #isWeft()} accepts both.
 */
public record KernelRoute(String destination, String type, String gateway, String device, String protocol) {
  public static final String WEFT_PROTOCOL_NUMBER = "87";
  /** Weft's VXLAN device: routes to tunnel peers go through it. */
  public static final String TUNNEL_DEVICE = "weft.vxlan";

  public boolean isWeft() {
    return WEFT_PROTOCOL_NUMBER.equals(protocol) || "weft".equals(protocol);
  }

  /** A route through Weft's VXLAN device. */
  public boolean isTunnel() {
    return TUNNEL_DEVICE.equals(device);
  }

  public static List<KernelRoute> parse(String json, ObjectMapper mapper) {
    List<KernelRoute> routes = new ArrayList<>();
    if (json.isBlank()) {
      return routes;
    }
    try {
      for (JsonNode node : mapper.readTree(json)) {
        routes.add(
            new KernelRoute(
                text(node, "dst", ""),
                text(node, "type", "unicast"),
                text(node, "gateway", null),
                text(node, "dev", null),
                text(node, "protocol", "")));
      }
    } catch (IOException e) {
      throw new LabException("could not parse `ip -j route` output: " + e.getMessage(), e);
    }
    return routes;
  }

  private static String text(JsonNode node, String field, String fallback) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? fallback : value.asText();
  }

  @Override
  public String toString() {
    return destination
        + (type.equals("unicast") ? "" : " " + type)
        + (gateway == null ? "" : " via " + gateway)
        + (device == null ? "" : " dev " + device)
        + " proto " + protocol;
  }
}
