package io.weft.core.plan;

import io.weft.core.model.Route;
import java.util.Objects;

/**
 * One row of {@code meshctl status routes}: a desired route against the kernel, or a stale route of ours.
 *
 * @param key     table and prefix
 * @param state   see {@link State}
 * @param desired the route Weft wants at that key, null for {@link State#STALE}
 * @param actual  the kernel route that decided the state: the installed one, the foreign one, our
 *                differing one for {@link State#MISSING} (null when there is none), the stale one
 */
public record RouteStatus(Route.RouteKey key, State state, Route desired, Route actual) {
  /** How a route stands. */
  public enum State {
    /** Desired and present in the kernel exactly. */
    INSTALLED,
    /** Desired, not present (or present with another gateway, device or type). */
    MISSING,
    /** Desired, but a route Weft does not own holds the key; Weft leaves it alone. */
    FOREIGN,
    /** Ours (protocol 87) in the kernel but not desired: it will be deleted. */
    STALE
  }

  public RouteStatus {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(state, "state");
  }
}
