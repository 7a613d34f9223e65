package io.weft.core.plan;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * What {@link Reconcile#routes} decided for one read of the kernel.
 *
 * @param desired   the routes Weft wants
 * @param actual    the kernel's routes as read
 * @param ops       the changes, in the order to send them
 * @param kept      our routes no peer claims that adoption keeps for now (not in {@code ops})
 * @param conflicts desired routes blocked by a foreign route, sorted by key
 */
public record RouteReconcile(List<Route> desired, List<Route> actual, List<RouteOp> ops, List<Route> kept,
    List<RouteConflict> conflicts) {

  public RouteReconcile {
    desired = List.copyOf(desired);
    actual = List.copyOf(actual);
    ops = List.copyOf(ops);
    kept = List.copyOf(kept);
    conflicts = List.copyOf(conflicts);
  }

  /**
   * The rows of {@code meshctl status routes} once the kernel has carried out every op but the
   * {@code failed} ones: an acknowledged change is what the kernel now holds, so no second read is needed.
   * A delete removes the route it names, a replace the first of ours at its key, an add appends.
   */
  public List<RouteStatus> statusAfter(Collection<RouteOp> failed) {
    Set<RouteOp> refused = Set.copyOf(failed);
    List<Route> after = new ArrayList<>(actual);
    for (RouteOp op : ops) {
      if (refused.contains(op)) {
        continue;
      }
      Route r = op.route();
      switch (op.kind()) {
        case DELETE -> after.remove(r);
        case REPLACE -> {
          after.stream().filter(a -> a.isWeft() && a.key().equals(r.key())).sorted(RouteDiff.ROUTE_ORDER)
              .findFirst().ifPresent(after::remove);
          after.add(r);
        }
        case ADD -> after.add(r);
      }
    }
    return RouteDiff.status(desired, after);
  }
}
