package io.weft.core.plan;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerPath;
import io.weft.core.model.PeerState;
import io.weft.core.model.Route;
import io.weft.core.model.TunnelEndpoint;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Decides which routes this node wants and which path each live peer takes: a direct
 * {@code <peer subnet> via <peer node IP> dev <uplink>} where the peer's node IP is on-link, else (with
 * {@link TunnelMode#AUTO}) {@code <peer subnet> via <peer VTEP> dev weft.vxlan onlink} through the tunnel;
 * plus {@code unreachable <cluster CIDR>} so traffic to a subnet nobody owns is refused here instead of
 * leaking out through the default route. Pure: same input, same plan, in any input order.
 *
 * <p>Rules, in the order they are applied to each peer (a peer gets at most one reason):
 * <ol>
 *   <li>A peer with this node's name is ignored (it is us).</li>
 *   <li>A peer DOWN for at least the peer grace gets no route and is not reported: it is gone.</li>
 *   <li>A subnet outside the cluster CIDR, or the whole cluster CIDR, is skipped ({@code invalid: ...}).</li>
 *   <li>A subnet overlapping this node's subnet or another live peer's is skipped ({@code conflict: ...});
 *       all peers of an overlap are skipped, so the choice never depends on input order.</li>
 *   <li>A node IP that is this node's IP or lies inside the cluster CIDR is skipped ({@code invalid: ...}).</li>
 *   <li>The path: {@link TunnelMode#ALWAYS} tunnels every peer; {@link TunnelMode#AUTO} routes directly
 *       to a node IP on one of the host's connected IPv4 networks and tunnels the others;
 *       {@link TunnelMode#NEVER} routes directly and skips the others with exactly
 *       {@value #NOT_ON_SHARED_L2}. A tunnel needs an IPv4 node IP ({@value #TUNNEL_NEEDS_IPV4}).</li>
 * </ol>
 * Every live peer other than this node gets exactly one path or one reason.
 */
public final class RoutePlanner {
  /** The reason given for a peer whose node IP is on none of this host's connected networks. */
  public static final String NOT_ON_SHARED_L2 = "unreachable: not on a shared L2 network (--tunnel never)";
  /** The reason given for a peer to be tunnelled whose node IP is not IPv4. */
  public static final String TUNNEL_NEEDS_IPV4 = "unreachable: the VXLAN tunnel needs an IPv4 node IP";

  private final Cidr clusterCidr;
  private final Duration peerGrace;
  private final TunnelMode tunnelMode;
  private final String tunnelDevice;

  /**
   * @param clusterCidr  the pod network ({@code --cluster-cidr})
   * @param peerGrace    how long a DOWN peer keeps its route ({@code --peer-grace}); zero or more
   * @param tunnelMode   when peers are tunnelled ({@code --tunnel})
   * @param tunnelDevice the VXLAN device tunnel routes go through ({@code weft.vxlan})
   */
  public RoutePlanner(Cidr clusterCidr, Duration peerGrace, TunnelMode tunnelMode, String tunnelDevice) {
    this.clusterCidr = Objects.requireNonNull(clusterCidr, "clusterCidr");
    this.peerGrace = Objects.requireNonNull(peerGrace, "peerGrace");
    this.tunnelMode = Objects.requireNonNull(tunnelMode, "tunnelMode");
    this.tunnelDevice = Objects.requireNonNull(tunnelDevice, "tunnelDevice");
    if (peerGrace.isNegative()) {
      throw new IllegalArgumentException("peer grace " + peerGrace + " is negative");
    }
  }

  /**
   * Plans the routes.
   *
   * @param self              this node's own record (its subnet is never routed: the bridge serves it)
   * @param peers             every peer known, UP or DOWN, in any order
   * @param connectedNetworks the host's connected IPv4 networks and the device holding each
   *                          ({@code 192.168.1.0/24 -> eth0}), without the bridge and the tunnel
   *                          device; where several hold a node IP the most specific wins, then the
   *                          smaller device name
   * @param nowMillis         the current time, epoch milliseconds, to measure the grace of DOWN peers
   */
  public RoutePlan plan(NodeRecord self, Collection<Peer> peers, Map<Cidr, String> connectedNetworks,
      long nowMillis) {
    List<Peer> live = peers.stream()
        .filter(p -> !p.name().equals(self.name()))
        .filter(p -> isWithinGrace(p, nowMillis))
        .sorted(Comparator.comparing(Peer::name).thenComparing(p -> p.record().podSubnet()))
        .toList();
    List<Route> routes = new ArrayList<>();
    List<SkippedPeer> skipped = new ArrayList<>();
    Map<String, PeerPath> paths = new TreeMap<>();
    List<TunnelEndpoint> tunnels = new ArrayList<>();
    routes.add(Route.unreachable(clusterCidr));
    // Live peers' names are unique (the mesh keys them by name); a duplicate would count once.
    Map<String, Cidr> holders = live.stream().collect(
        Collectors.toMap(Peer::name, p -> p.record().podSubnet(), (a, b) -> a, TreeMap::new));
    for (Peer peer : live) {
      NodeRecord r = peer.record();
      Optional<String> problem = problemWith(peer, self, holders);
      if (problem.isPresent()) {
        skipped.add(new SkippedPeer(r.name(), r.podSubnet(), r.nodeIp(), problem.get()));
        continue;
      }
      Optional<String> uplink = tunnelMode == TunnelMode.ALWAYS ? Optional.empty()
          : deviceOnLinkTo(r.nodeIp(), connectedNetworks);
      if (uplink.isPresent()) {
        routes.add(Route.via(r.podSubnet(), r.nodeIp(), uplink.get()));
        paths.put(r.name(), PeerPath.DIRECT);
      } else if (tunnelMode == TunnelMode.NEVER) {
        skipped.add(new SkippedPeer(r.name(), r.podSubnet(), r.nodeIp(), NOT_ON_SHARED_L2));
      } else if (!(r.nodeIp() instanceof Inet4Address)) {
        skipped.add(new SkippedPeer(r.name(), r.podSubnet(), r.nodeIp(), TUNNEL_NEEDS_IPV4));
      } else {
        TunnelEndpoint endpoint = TunnelEndpoint.of(r);
        tunnels.add(endpoint);
        routes.add(Route.viaOnLink(r.podSubnet(), endpoint.vtepIp(), tunnelDevice));
        paths.put(r.name(), PeerPath.VXLAN);
      }
    }
    routes.sort(Comparator.comparing(Route::destination));
    return new RoutePlan(routes, skipped, paths, tunnels);
  }

  /** UP peers, and DOWN peers for less than the grace (their agent may just be restarting). */
  public boolean isWithinGrace(Peer peer, long nowMillis) {
    return peer.state() == PeerState.UP || nowMillis - peer.downSinceMillis() < peerGrace.toMillis();
  }

  private Optional<String> problemWith(Peer peer, NodeRecord self, Map<String, Cidr> holders) {
    Cidr subnet = peer.record().podSubnet();
    InetAddress ip = peer.record().nodeIp();
    if (!clusterCidr.contains(subnet) || subnet.equals(clusterCidr)) {
      return Optional.of("invalid: subnet " + subnet + " is not a subnet of the cluster CIDR " + clusterCidr);
    }
    Optional<SubnetOverlap.Overlap> overlap = SubnetOverlap.first(peer.name(), subnet, self.name(),
        self.podSubnet(), holders);
    if (overlap.isPresent()) {
      return Optional.of("conflict: subnet " + subnet + " overlaps " + overlap.get().describe());
    }
    if (ip.equals(self.nodeIp())) {
      return Optional.of("invalid: node IP " + ip.getHostAddress() + " is this node's own IP");
    }
    if (clusterCidr.contains(ip)) {
      return Optional.of("invalid: node IP " + ip.getHostAddress() + " is inside the cluster CIDR " + clusterCidr);
    }
    return Optional.empty();
  }

  private static Optional<String> deviceOnLinkTo(InetAddress ip, Map<Cidr, String> connectedNetworks) {
    if (!(ip instanceof Inet4Address)) {
      return Optional.empty();
    }
    return connectedNetworks.entrySet().stream()
        .filter(e -> e.getKey().isIpv4() && e.getKey().contains(ip))
        .min(Comparator.comparing((Map.Entry<Cidr, String> e) -> -e.getKey().prefixLength())
            .thenComparing(Map.Entry::getValue))
        .map(Map.Entry::getValue);
  }
}
