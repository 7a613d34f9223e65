package io.weft.agent;

import io.weft.agent.converge.TunnelSettings;
import io.weft.core.net.Cidr;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The agent's validated configuration (SPEC.md's flag table plus a few tuning knobs). Built only by
 * {@link AgentCommand}, which refuses bad values with a {@link ConfigException}.
 *
 * @param nodeName       unique node name in the mesh
 * @param hostname       this host's own name (duplicates across the mesh are reported)
 * @param nodeIp         external IP: peers route this node's pod subnet via it; gossip binds here
 * @param seeds          peers to join through; empty starts a new mesh
 * @param peerDns        DNS name whose A records are seeds too (a headless Service); null when not set
 * @param port           mesh TCP port
 * @param clusterCidr    the pod network
 * @param podSubnet      this node's /24 when configured; else the mesh allocates one
 * @param bridge         node bridge name
 * @param stateDir       subnet lease and IPAM allocations
 * @param apiSocket      local API unix socket
 * @param metricsAddress {@code /metrics}, {@code /healthz}, {@code /readyz}
 * @param secret         shared mesh secret, when configured
 * @param peerGrace      how long routes to a down peer are kept
 * @param leaseTime      how long a down peer's subnet stays reserved
 * @param adoptGrace     upper bound on how long routes of ours found at start are kept while the mesh view settles
 * @param resyncInterval period of the full re-read of the kernel
 * @param rtProtosDir    where to install {@code weft.conf} naming protocol 87; empty to skip
 */
public record AgentConfig(
    String nodeName,
    String hostname,
    Inet4Address nodeIp,
    List<InetSocketAddress> seeds,
    String peerDns,
    int port,
    Cidr clusterCidr,
    Optional<Cidr> podSubnet,
    String bridge,
    Path stateDir,
    Path apiSocket,
    InetSocketAddress metricsAddress,
    Optional<byte[]> secret,
    Duration peerGrace,
    Duration leaseTime,
    Duration adoptGrace,
    Duration resyncInterval,
    Optional<Path> rtProtosDir,
    TunnelSettings tunnel,
    boolean masquerade,
    List<Cidr> noMasqueradeCidrs) {

  /** Prefix length of a node's pod subnet. */
  public static final int SUBNET_PREFIX = 24;

  public AgentConfig {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(nodeIp, "nodeIp");
    seeds = List.copyOf(seeds);
    Objects.requireNonNull(clusterCidr, "clusterCidr");
    Objects.requireNonNull(podSubnet, "podSubnet");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(rtProtosDir, "rtProtosDir");
    Objects.requireNonNull(tunnel, "tunnel");
    noMasqueradeCidrs = List.copyOf(noMasqueradeCidrs);
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "node " + nodeName + " (" + nodeIp.getHostAddress() + "), mesh port " + port + ", seeds "
        + seeds + (peerDns == null ? "" : ", peer dns " + peerDns) + ", cluster " + clusterCidr + ", pod subnet " + podSubnet.map(Cidr::toString).orElse("(mesh)")
        + ", bridge " + bridge + ", state " + stateDir + ", api " + apiSocket + ", metrics "
        + metricsAddress.getHostString() + ":" + metricsAddress.getPort() + ", secret "
        + (secret.isPresent() ? "set" : "none") + ", peer grace " + Durations.format(peerGrace)
        + ", lease " + Durations.format(leaseTime) + ", adopt grace " + Durations.format(adoptGrace)
        + ", tunnel " + tunnel.mode().flagValue() + " (VNI " + tunnel.vni() + ", UDP " + tunnel.port() + ")"
        + ", masquerade " + (masquerade ? "on" + (noMasqueradeCidrs.isEmpty() ? "" : " except to " + noMasqueradeCidrs)
        : "off");
  }
}
