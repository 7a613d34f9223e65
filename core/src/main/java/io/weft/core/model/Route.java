package io.weft.core.model;

import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One kernel route, in the terms Weft cares about.
 *
 * @param destination the prefix
 * @param type        unicast (via a gateway) or unreachable (refuse at once)
 * @param gateway     next hop for unicast routes, null for unreachable ones
 * @param device      outgoing interface name, or null to let the kernel pick it from the gateway
 * @param protocol    rtm_protocol; {@link #PROTOCOL_WEFT} marks the routes Weft owns
 * @param table       routing table id ({@link #TABLE_MAIN})
 * @param onLink      the gateway is reachable on the device although no connected network holds it
 *                    (RTNH_F_ONLINK): how a tunnel route names the peer's VTEP
 */
public record Route(Cidr destination, Type type, InetAddress gateway, String device, int protocol, int table,
    boolean onLink) {

  /** Weft's route protocol number; {@code /etc/iproute2/rt_protos.d/weft.conf} names it. */
  public static final int PROTOCOL_WEFT = 87;
  /** rtm_protocol of the routes the kernel adds itself, e.g. for a connected network (RTPROT_KERNEL). */
  public static final int PROTOCOL_KERNEL = 2;
  /** The kernel's main table (RT_TABLE_MAIN). */
  public static final int TABLE_MAIN = 254;

  /** Kernel route types Weft uses (rtm_type). */
  public enum Type {
    UNICAST,
    UNREACHABLE
  }

  public Route {
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(type, "type");
    if (type == Type.UNICAST && gateway == null && device == null) {
      throw new IllegalArgumentException("unicast route to " + destination + " needs a gateway or a device");
    }
    if (type == Type.UNREACHABLE && gateway != null) {
      throw new IllegalArgumentException("unreachable route to " + destination + " cannot have a gateway");
    }
    if (onLink && (gateway == null || device == null)) {
      throw new IllegalArgumentException("on-link route to " + destination + " needs a gateway and a device");
    }
  }

  /** A route without the on-link flag. */
  public Route(Cidr destination, Type type, InetAddress gateway, String device, int protocol, int table) {
    this(destination, type, gateway, device, protocol, table, false);
  }

  /** {@code destination via gateway dev device proto weft}, table main. */
  public static Route via(Cidr destination, InetAddress gateway, String device) {
    return new Route(destination, Type.UNICAST, gateway, device, PROTOCOL_WEFT, TABLE_MAIN);
  }

  /** {@code destination via gateway dev device onlink proto weft}, table main: through a tunnel device. */
  public static Route viaOnLink(Cidr destination, InetAddress gateway, String device) {
    return new Route(destination, Type.UNICAST, gateway, device, PROTOCOL_WEFT, TABLE_MAIN, true);
  }

  /** {@code unreachable destination proto weft}, table main. */
  public static Route unreachable(Cidr destination) {
    return new Route(destination, Type.UNREACHABLE, null, null, PROTOCOL_WEFT, TABLE_MAIN);
  }

  public boolean isWeft() {
    return protocol == PROTOCOL_WEFT;
  }

  /** The identity the kernel uses for a route in one table: the prefix (Weft does not use metrics). */
  public RouteKey key() {
    return new RouteKey(table, destination);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    if (type == Type.UNREACHABLE) {
      b.append("unreachable ");
    }
    b.append(destination);
    if (gateway != null) {
      b.append(" via ").append(gateway.getHostAddress());
    }
    if (device != null) {
      b.append(" dev ").append(device);
    }
    if (onLink) {
      b.append(" onlink");
    }
    b.append(" proto ").append(protocol == PROTOCOL_WEFT ? "weft" : Integer.toString(protocol));
    if (table != TABLE_MAIN) {
      b.append(" table ").append(table);
    }
    return b.toString();
  }

  /** Table and prefix: two routes with the same key compete for the same traffic. */
  public record RouteKey(int table, Cidr destination) {}
}
