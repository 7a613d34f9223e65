package io.weft.dataplane;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import java.util.List;

/**
 * The routes of one namespace: the kernel's verbs, no decisions.
 *
 * <p>Every route Weft writes carries {@link Route#PROTOCOL_WEFT}: {@code add}, {@code replace} and
 * {@code delete} (and the same ops in {@link #apply}) refuse any other protocol with an
 * {@link IllegalArgumentException} before anything is sent, and a delete is always sent with protocol 87 so
 * the kernel only removes a route that carries it; a foreign route with the same prefix is left alone.
 */
public interface RouteTable {

  /** Routes matching the filter (unicast and unreachable routes; other kernel route types are skipped). */
  List<Route> list(RouteFilter filter);

  /** Adds a new route; {@link AlreadyExistsException} when the table already holds its prefix. */
  void add(Route route);

  /**
   * Adds the route or replaces the one holding its prefix, whatever that one's protocol: the kernel's
   * replace. Where a replace may be sent is the caller's decision (core's {@code Reconcile} sends one only
   * where it read Weft's own route alone).
   */
  void replace(Route route);

  /** Deletes the route with this table and prefix and protocol 87; {@link NotFoundException} if none. */
  void delete(Route route);

  /**
   * Runs many operations with many requests in flight and returns one result per op, in order. A failed
   * op does not stop the others; its result carries the error. Ops that break the protocol-87 rule are
   * refused as a whole with {@link IllegalArgumentException} before anything is sent.
   */
  List<RouteOpResult> apply(List<RouteOp> ops);
}
