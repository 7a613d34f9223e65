package io.weft.dataplane;

import io.weft.core.model.Route;
import io.weft.core.net.Cidr;

/**
 * Which routes {@link RouteTable#list} returns; a null field matches anything. The address family is the
 * destination's when one is given, else IPv4.
 *
 * @param table       routing table id, e.g. {@link Route#TABLE_MAIN}
 * @param protocol    rtm_protocol, e.g. {@link Route#PROTOCOL_WEFT}
 * @param destination exact prefix
 */
public record RouteFilter(Integer table, Integer protocol, Cidr destination) {

  /** Every IPv4 route of every table. */
  public static RouteFilter all() {
    return new RouteFilter(null, null, null);
  }

  /** Every IPv4 route carrying protocol 87, in any table. */
  public static RouteFilter weft() {
    return new RouteFilter(null, Route.PROTOCOL_WEFT, null);
  }

  /** The routes of the main table. */
  public static RouteFilter mainTable() {
    return new RouteFilter(Route.TABLE_MAIN, null, null);
  }

  public RouteFilter withTable(Integer t) {
    return new RouteFilter(t, protocol, destination);
  }

  public RouteFilter withDestination(Cidr d) {
    return new RouteFilter(table, protocol, d);
  }

  public boolean matches(Route r) {
    return (table == null || table == r.table())
        && (protocol == null || protocol == r.protocol())
        && (destination == null || destination.equals(r.destination()));
  }
}
