package io.weft.core.plan;

import io.weft.core.model.Route;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The kernel's routing table as the RouteDiff tests need it: what applying a diff leaves. */
final class SimulatedKernel {
  private SimulatedKernel() {}

  /**
   * Deletes remove one equal route each, a replace swaps one of our routes at its key for the new one,
   * adds append.
   *
   * @return the resulting routes, sorted by key
   */
  static List<Route> apply(Collection<Route> actual, RouteDiff diff) {
    List<Route> result = new ArrayList<>(actual);
    diff.toDelete().forEach(result::remove);
    for (Route replacement : diff.toReplace()) {
      result.stream().filter(r -> r.isWeft() && r.key().equals(replacement.key())).findFirst()
          .ifPresent(result::remove);
      result.add(replacement);
    }
    result.addAll(diff.toAdd());
    result.sort(RouteDiff.ROUTE_ORDER);
    return result;
  }
}
