package io.weft.core.plan;

import io.weft.core.model.PeerPath;
import io.weft.core.model.Route;
import io.weft.core.model.TunnelEndpoint;
import io.weft.core.net.Cidr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The routes this node wants in the kernel, the path each routed peer takes, and the peers it
 * deliberately leaves without a route.
 *
 * @param routes  desired routes sorted by destination (the cluster-wide unreachable route first)
 * @param skipped peers that get no route, sorted by node name
 * @param paths   node name to path, for every peer that gets a route
 * @param tunnels the VTEPs of the peers reached through the tunnel, sorted by node name: the device's
 *                neighbour and FDB entries
 */
public record RoutePlan(List<Route> routes, List<SkippedPeer> skipped, Map<String, PeerPath> paths,
    List<TunnelEndpoint> tunnels) {
  public RoutePlan {
    routes = List.copyOf(routes);
    skipped = List.copyOf(skipped);
    paths = Map.copyOf(paths);
    tunnels = List.copyOf(tunnels);
  }

  /**
   * The same plan with no tunnel: every tunnelled peer loses its route and gets {@code reason} instead
   * (the tunnel device cannot be used); direct peers keep theirs.
   */
  public RoutePlan withoutTunnel(String reason) {
    Set<Cidr> tunnelled = new HashSet<>();
    List<SkippedPeer> skippedNow = new ArrayList<>(skipped);
    for (TunnelEndpoint t : tunnels) {
      tunnelled.add(t.podSubnet());
      skippedNow.add(new SkippedPeer(t.nodeName(), t.podSubnet(), t.nodeIp(), reason));
    }
    skippedNow.sort(Comparator.comparing(SkippedPeer::nodeName));
    Map<String, PeerPath> direct = new TreeMap<>(paths);
    direct.values().removeIf(p -> p == PeerPath.VXLAN);
    return new RoutePlan(routes.stream().filter(r -> !tunnelled.contains(r.destination())).toList(), skippedNow,
        direct, List.of());
  }

  /** True when at least one peer is reached through the tunnel. */
  public boolean needsTunnel() {
    return !tunnels.isEmpty();
  }
}
