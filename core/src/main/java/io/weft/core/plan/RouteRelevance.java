package io.weft.core.plan;

import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import java.util.Map;

/**
 * Whether a kernel route event can change what a reconcile would do, so the loop runs one only for news.
 * Pure.
 *
 * <p>News: any change to a route of ours that is not the desired route arriving as desired (the echo of
 * our own write) or an undesired one of ours going away; a foreign route inside the cluster CIDR (it may
 * block a desired prefix, or stop blocking it); a connected network's route (protocol kernel: an address
 * came or went, so a peer may now be on-link or no longer be). Nothing outside the main table is news.
 */
public final class RouteRelevance {
  private RouteRelevance() {}

  /**
   * @param route       the route the event carries
   * @param deleted     the event removes it
   * @param desired     the routes the last reconcile wanted, by key
   * @param clusterCidr the pod network
   */
  public static boolean isNews(Route route, boolean deleted, Map<Route.RouteKey, Route> desired, Cidr clusterCidr) {
    if (route.table() != Route.TABLE_MAIN) {
      return false;
    }
    if (!route.isWeft()) {
      return route.protocol() == Route.PROTOCOL_KERNEL || clusterCidr.overlaps(route.destination());
    }
    Route want = desired.get(route.key());
    return deleted ? want != null : want == null || !RouteDiff.sameForwarding(want, route);
  }
}
