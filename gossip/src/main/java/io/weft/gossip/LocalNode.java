package io.weft.gossip;

import io.weft.core.net.Cidr;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What the agent knows about its own node before it joins the mesh.
 *
 * @param name             unique node name ({@code --node-name})
 * @param hostname         the host's own name (duplicates are reported mesh-wide)
 * @param nodeIp           the node's external IP; peers route this node's pod subnet via it
 * @param mac              MAC of the uplink holding {@code nodeIp} (duplicates are reported)
 * @param configuredSubnet {@code --pod-subnet}, when given: the node never moves off it
 * @param rememberedSubnet the subnet this node held before a restart (from the agent's own state),
 *                         used when the mesh's own lease file is missing; the mesh's lease file wins
 * @param subnetInUse      pods already hold addresses from the remembered subnet: the node keeps it
 *                         (pinned) and reports a conflict rather than renumbering
 * @param agentVersion     Weft version, for the operator
 */
public record LocalNode(
    String name,
    String hostname,
    InetAddress nodeIp,
    MacAddress mac,
    Optional<Cidr> configuredSubnet,
    Optional<Cidr> rememberedSubnet,
    boolean subnetInUse,
    String agentVersion) {

  public LocalNode {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(nodeIp, "nodeIp");
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(configuredSubnet, "configuredSubnet");
    Objects.requireNonNull(rememberedSubnet, "rememberedSubnet");
    Objects.requireNonNull(agentVersion, "agentVersion");
    if (name.isBlank()) {
      throw new IllegalArgumentException("node name must not be blank");
    }
  }

  /** A node that lets the mesh allocate its subnet and has no history. */
  public static LocalNode allocated(String name, InetAddress nodeIp, MacAddress mac, String agentVersion) {
    return new LocalNode(name, name, nodeIp, mac, Optional.empty(), Optional.empty(), false, agentVersion);
  }

  /** A node started with {@code --pod-subnet}. */
  public static LocalNode configured(
      String name, InetAddress nodeIp, MacAddress mac, Cidr subnet, String agentVersion) {
    return new LocalNode(name, name, nodeIp, mac, Optional.of(subnet), Optional.empty(), false, agentVersion);
  }

  public LocalNode withHostname(String hostname) {
    return new LocalNode(name, hostname, nodeIp, mac, configuredSubnet, rememberedSubnet, subnetInUse, agentVersion);
  }

  public LocalNode withRememberedSubnet(Cidr subnet, boolean inUse) {
    return new LocalNode(name, hostname, nodeIp, mac, configuredSubnet, Optional.of(subnet), inUse, agentVersion);
  }
}
