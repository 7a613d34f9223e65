package io.weft.core.plan;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The kernel's routing table as the route tests need it: what applying a diff or a list of ops leaves. */
final class SimulatedKernel {
  private SimulatedKernel() {}

  /**
   * Deletes remove one equal route each, a replace swaps one of our routes at its key for the new one,
   * adds append.
   *
   * @return the resulting routes, sorted by key
   */
  static List<Route> apply(Collection<Route> actual, RouteDiff diff) {
    List<RouteOp> ops = new ArrayList<>();
    diff.toDelete().forEach(r -> ops.add(RouteOp.delete(r)));
    diff.toReplace().forEach(r -> ops.add(RouteOp.replace(r)));
    diff.toAdd().forEach(r -> ops.add(RouteOp.add(r)));
    return apply(actual, ops);
  }

  /** The ops in order, as {@link #apply(Collection, RouteDiff)} describes. */
  static List<Route> apply(Collection<Route> actual, List<RouteOp> ops) {
    List<Route> result = new ArrayList<>(actual);
    for (RouteOp op : ops) {
      Route r = op.route();
      switch (op.kind()) {
        case DELETE -> result.remove(r);
        case REPLACE -> {
          result.stream().filter(a -> a.isWeft() && a.key().equals(r.key())).findFirst().ifPresent(result::remove);
          result.add(r);
        }
        case ADD -> result.add(r);
      }
    }
    result.sort(RouteDiff.ROUTE_ORDER);
    return result;
  }
}
