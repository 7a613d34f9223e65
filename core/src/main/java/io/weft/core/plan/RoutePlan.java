package io.weft.core.plan;

import io.weft.core.model.PeerPath;
import io.weft.core.model.Route;
import io.weft.core.model.TunnelEndpoint;
import java.util.List;
import java.util.Map;

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

  /** True when at least one peer is reached through the tunnel. */
  public boolean needsTunnel() {
    return !tunnels.isEmpty();
  }
}
