package io.weft.core.model;

import java.util.Objects;

/** One change to a routing table: what a reconcile decides and the dataplane carries out in one batch. */
public record RouteOp(Kind kind, Route route) {

  public enum Kind {
    ADD,
    REPLACE,
    DELETE
  }

  public RouteOp {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(route, "route");
  }

  public static RouteOp add(Route r) {
    return new RouteOp(Kind.ADD, r);
  }

  public static RouteOp replace(Route r) {
    return new RouteOp(Kind.REPLACE, r);
  }

  public static RouteOp delete(Route r) {
    return new RouteOp(Kind.DELETE, r);
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + route;
  }
}
