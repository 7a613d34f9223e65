package io.weft.core.plan;

import io.weft.core.model.Route;
import java.util.List;

/**
 * The routes this node wants in the kernel, and the peers it deliberately leaves without one.
 *
 * @param routes  desired routes sorted by destination (the cluster-wide unreachable route first)
 * @param skipped peers that get no route, sorted by node name
 */
public record RoutePlan(List<Route> routes, List<SkippedPeer> skipped) {
  public RoutePlan {
    routes = List.copyOf(routes);
    skipped = List.copyOf(skipped);
  }
}
