package io.weft.core.plan;

import io.weft.core.model.Route;
import java.util.Objects;

/**
 * A route Weft wants whose table and prefix are already taken by a route Weft does not own.
 * Weft never changes a foreign route: the desired route stays uninstalled and this is reported.
 *
 * @param desired the route Weft wants
 * @param foreign the route found at the same key with another protocol
 */
public record RouteConflict(Route desired, Route foreign) {
  public RouteConflict {
    Objects.requireNonNull(desired, "desired");
    Objects.requireNonNull(foreign, "foreign");
  }
}
