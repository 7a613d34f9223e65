package io.weft.core.plan;

import io.weft.core.model.Route;
import io.weft.core.model.Route.RouteKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What to change in the kernel so it holds the desired routes, touching only Weft's own routes.
 *
 * <p>A route is Weft's when its protocol is {@link Route#PROTOCOL_WEFT}. Routes are compared per key
 * (table and prefix). At each key:
 * <ul>
 *   <li>a foreign route (any other protocol) at a desired key: a {@link RouteConflict}; nothing is added
 *       or replaced there, and only our own routes that differ from the desired one are deleted;</li>
 *   <li>no route at all at a desired key: the desired route goes to {@link #toAdd};</li>
 *   <li>ours there, none equal to the desired route: the desired route goes to {@link #toReplace}
 *       (it replaces one of ours; any further ones of ours are deleted);</li>
 *   <li>ours there and one equal: nothing (further ones of ours are deleted);</li>
 *   <li>ours at a key nobody desires: {@link #toDelete}.</li>
 * </ul>
 * "Equal" means same type, gateway and on-link flag, and the same device unless the desired route leaves the device
 * to the kernel (null). Foreign routes never appear in {@link #toDelete} or {@link #toReplace}.
 *
 * @param toAdd     desired routes to add, sorted by key
 * @param toReplace desired routes that replace one of ours at their key, sorted by key
 * @param toDelete  our own routes to delete, sorted by key; the delete must match protocol 87
 * @param conflicts desired routes blocked by a foreign route, sorted by key
 */
public record RouteDiff(List<Route> toAdd, List<Route> toReplace, List<Route> toDelete,
    List<RouteConflict> conflicts) {

  private static final Comparator<RouteKey> KEY_ORDER =
      Comparator.comparingInt(RouteKey::table).thenComparing(RouteKey::destination);
  static final Comparator<Route> ROUTE_ORDER =
      Comparator.comparing(Route::key, KEY_ORDER).thenComparing(Route::toString);

  public RouteDiff {
    toAdd = List.copyOf(toAdd);
    toReplace = List.copyOf(toReplace);
    toDelete = List.copyOf(toDelete);
    conflicts = List.copyOf(conflicts);
  }

  /** True when the kernel needs no change (conflicts, which Weft never resolves, may remain). */
  public boolean isEmpty() {
    return toAdd.isEmpty() && toReplace.isEmpty() && toDelete.isEmpty();
  }

  /**
   * Computes the changes that take {@code actual} to {@code desired}.
   *
   * @param desired Weft's wanted routes: all protocol 87, at most one per key
   * @param actual  the kernel's routes, any protocol, any order
   * @throws IllegalArgumentException when a desired route is not protocol 87 or two share a key
   */
  public static RouteDiff between(Collection<Route> desired, Collection<Route> actual) {
    Map<RouteKey, Route> wanted = indexDesired(desired);
    Map<RouteKey, KeyView> kernel = indexActual(actual);
    List<Route> toAdd = new ArrayList<>();
    List<Route> toReplace = new ArrayList<>();
    List<Route> toDelete = new ArrayList<>();
    List<RouteConflict> conflicts = new ArrayList<>();
    TreeSet<RouteKey> keys = new TreeSet<>(KEY_ORDER);
    keys.addAll(wanted.keySet());
    keys.addAll(kernel.keySet());
    for (RouteKey key : keys) {
      Route want = wanted.get(key);
      KeyView view = kernel.getOrDefault(key, KeyView.EMPTY);
      if (want == null) {
        toDelete.addAll(view.ours);
        continue;
      }
      Optional<Route> match = view.ours.stream().filter(r -> sameForwarding(want, r)).findFirst();
      List<Route> unmatched = new ArrayList<>(view.ours);
      match.ifPresent(unmatched::remove);
      if (!view.foreign.isEmpty()) {
        conflicts.add(new RouteConflict(want, view.foreign.get(0)));
        toDelete.addAll(unmatched);
      } else if (match.isPresent()) {
        toDelete.addAll(unmatched);
      } else if (unmatched.isEmpty()) {
        toAdd.add(want);
      } else {
        toReplace.add(want);
        toDelete.addAll(unmatched.subList(1, unmatched.size()));
      }
    }
    toDelete.sort(ROUTE_ORDER);
    return new RouteDiff(toAdd, toReplace, toDelete, conflicts);
  }

  /**
   * Explains the kernel against the desired routes for {@code meshctl status routes}: one row per
   * desired route (installed, missing or foreign) and one per stale route of ours, sorted by key.
   * A desired key held by a foreign route reads FOREIGN even when ours is there too, since the
   * foreign route may be the one the kernel uses.
   */
  public static List<RouteStatus> status(Collection<Route> desired, Collection<Route> actual) {
    Map<RouteKey, Route> wanted = indexDesired(desired);
    Map<RouteKey, KeyView> kernel = indexActual(actual);
    TreeSet<RouteKey> keys = new TreeSet<>(KEY_ORDER);
    keys.addAll(wanted.keySet());
    keys.addAll(kernel.keySet());
    List<RouteStatus> rows = new ArrayList<>();
    for (RouteKey key : keys) {
      Route want = wanted.get(key);
      KeyView view = kernel.getOrDefault(key, KeyView.EMPTY);
      List<Route> stale = new ArrayList<>(view.ours);
      if (want != null) {
        Optional<Route> match = view.ours.stream().filter(r -> sameForwarding(want, r)).findFirst();
        match.ifPresent(stale::remove);
        if (!view.foreign.isEmpty()) {
          rows.add(new RouteStatus(key, RouteStatus.State.FOREIGN, want, view.foreign.get(0)));
        } else if (match.isPresent()) {
          rows.add(new RouteStatus(key, RouteStatus.State.INSTALLED, want, match.get()));
        } else {
          rows.add(new RouteStatus(key, RouteStatus.State.MISSING, want,
              stale.isEmpty() ? null : stale.get(0)));
        }
      }
      stale.stream().sorted(ROUTE_ORDER)
          .forEach(r -> rows.add(new RouteStatus(key, RouteStatus.State.STALE, null, r)));
    }
    return rows;
  }

  /**
   * The forwarding comparison, the one place it is written: same type, gateway and on-link flag, and the
   * same device unless the desired route leaves the device to the kernel.
   */
  static boolean sameForwarding(Route desired, Route actual) {
    return desired.type() == actual.type()
        && Objects.equals(desired.gateway(), actual.gateway())
        && desired.onLink() == actual.onLink()
        && (desired.device() == null || desired.device().equals(actual.device()));
  }

  private static Map<RouteKey, Route> indexDesired(Collection<Route> desired) {
    Map<RouteKey, Route> wanted = new HashMap<>();
    for (Route r : desired) {
      if (!r.isWeft()) {
        throw new IllegalArgumentException("desired route " + r + " must carry protocol " + Route.PROTOCOL_WEFT);
      }
      Route previous = wanted.putIfAbsent(r.key(), r);
      if (previous != null) {
        throw new IllegalArgumentException("two desired routes for one prefix: " + previous + " and " + r);
      }
    }
    return wanted;
  }

  private static Map<RouteKey, KeyView> indexActual(Collection<Route> actual) {
    Map<RouteKey, KeyView> kernel = new TreeMap<>(KEY_ORDER);
    for (Route r : actual) {
      KeyView view = kernel.computeIfAbsent(r.key(), k -> new KeyView(new ArrayList<>(), new ArrayList<>()));
      (r.isWeft() ? view.ours : view.foreign).add(r);
    }
    // Sorted so that "the first of ours" and "the first foreign" do not depend on the kernel's order.
    kernel.values().forEach(v -> {
      v.ours.sort(ROUTE_ORDER);
      v.foreign.sort(ROUTE_ORDER);
    });
    return kernel;
  }

  /** The kernel's routes at one key, split by owner. */
  private record KeyView(List<Route> ours, List<Route> foreign) {
    static final KeyView EMPTY = new KeyView(List.of(), List.of());
  }
}
