package io.weft.core.model;

import io.weft.core.net.Cidr;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.Comparator;
import java.util.Objects;

/**
 * What one node tells the mesh about itself.
 *
 * @param name          unique node name in the mesh ({@code --node-name})
 * @param hostname      the host's own name; duplicates across the mesh are reported
 * @param nodeIp        external IP: peers route this node's pod subnet via it
 * @param mac           MAC of the uplink holding {@code nodeIp}; duplicates (cloned VMs) are reported
 * @param podSubnet     this node's /24 inside the cluster CIDR
 * @param subnetSource  whether the subnet was configured (never moves) or allocated by the mesh
 * @param incarnation   grows each time the agent starts; a restarted node wins over its stale record
 * @param version       grows with each change within one incarnation
 * @param agentVersion  Weft version of the agent, for the operator
 * @param announcedAtMillis wall-clock time the record was (re)announced, epoch milliseconds
 */
public record NodeRecord(
    String name,
    String hostname,
    InetAddress nodeIp,
    MacAddress mac,
    Cidr podSubnet,
    SubnetSource subnetSource,
    long incarnation,
    long version,
    String agentVersion,
    long announcedAtMillis) {

  /** Orders records of the same node: higher incarnation wins, then higher version. */
  public static final Comparator<NodeRecord> NEWNESS =
      Comparator.comparingLong(NodeRecord::incarnation).thenComparingLong(NodeRecord::version);

  public NodeRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(nodeIp, "nodeIp");
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(podSubnet, "podSubnet");
    Objects.requireNonNull(subnetSource, "subnetSource");
    Objects.requireNonNull(agentVersion, "agentVersion");
  }

  /** True when this record is newer news about the same node than {@code other}. */
  public boolean isNewerThan(NodeRecord other) {
    return NEWNESS.compare(this, other) > 0;
  }

  /** The same record with a new subnet and the version bumped. */
  public NodeRecord withPodSubnet(Cidr subnet, SubnetSource source, long nowMillis) {
    return new NodeRecord(name, hostname, nodeIp, mac, subnet, source, incarnation, version + 1,
        agentVersion, nowMillis);
  }
}
