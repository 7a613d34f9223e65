package io.weft.dataplane.netlink;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.net.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * Routes to and from RTM_*ROUTE messages. This is the only place a route request is written, and it
 * refuses any route whose protocol is not {@link Route#PROTOCOL_WEFT}: the rule holds whatever the caller.
 */
public final class RouteCodec {
  private RouteCodec() {}

  /** Throws unless {@code r} carries protocol 87. */
  public static void requireWeft(Route r) {
    if (r.protocol() != Route.PROTOCOL_WEFT) {
      throw new IllegalArgumentException("refusing to write route " + r + ": Weft only adds, replaces or deletes"
          + " routes with protocol " + Route.PROTOCOL_WEFT + " (weft)");
    }
  }

  /**
   * The request for one op. ADD is CREATE|EXCL (EEXIST when the prefix is taken), REPLACE is
   * CREATE|REPLACE; DELETE names only table, prefix and protocol 87 (any type, any scope, any next hop), so
   * the kernel removes Weft's route for that prefix and never another program's.
   *
   * @param oif the device's index, 0 when the route names none (ignored for DELETE)
   */
  public static MessageBuilder encode(RouteOp.Kind kind, Route r, int oif) {
    requireWeft(r);
    Cidr dst = r.destination();
    int family = dst.isIpv4() ? Nl.AF_INET : Nl.AF_INET6;
    int table = r.table() < 256 ? r.table() : 0;
    MessageBuilder b;
    if (kind == RouteOp.Kind.DELETE) {
      b = new MessageBuilder(Nl.RTM_DELROUTE, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
          .rtmsg(family, dst.prefixLength(), table, Route.PROTOCOL_WEFT, Nl.RT_SCOPE_NOWHERE, Nl.RTN_UNSPEC);
    } else {
      int flags = Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE
          | (kind == RouteOp.Kind.ADD ? Nl.NLM_F_EXCL : Nl.NLM_F_REPLACE);
      boolean unreachable = r.type() == Route.Type.UNREACHABLE;
      int scope = unreachable || r.gateway() != null ? Nl.RT_SCOPE_UNIVERSE : Nl.RT_SCOPE_LINK;
      b = new MessageBuilder(Nl.RTM_NEWROUTE, flags)
          .rtmsg(family, dst.prefixLength(), table, Route.PROTOCOL_WEFT, scope,
              unreachable ? Nl.RTN_UNREACHABLE : Nl.RTN_UNICAST, r.onLink() ? Nl.RTNH_F_ONLINK : 0);
    }
    b.u32(Nl.RTA_TABLE, r.table());
    if (dst.prefixLength() > 0) {
      b.attribute(Nl.RTA_DST, dst.network().getAddress());
    }
    if (kind != RouteOp.Kind.DELETE) {
      if (r.gateway() != null) {
        if ((r.gateway() instanceof Inet4Address) != dst.isIpv4()) {
          throw new IllegalArgumentException("route " + r + " mixes address families");
        }
        b.attribute(Nl.RTA_GATEWAY, r.gateway().getAddress());
      }
      if (oif > 0) {
        b.u32(Nl.RTA_OIF, oif);
      }
    }
    return b;
  }

  /**
   * A dump request for one family. When the socket has strict checking, table and protocol go into the
   * header so the kernel filters; the caller filters again either way.
   */
  public static MessageBuilder dumpRequest(int family, Integer table, Integer protocol, boolean strict) {
    MessageBuilder b = new MessageBuilder(Nl.RTM_GETROUTE, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP);
    if (!strict) {
      return b.rtmsg(family, 0, 0, 0, 0, 0);
    }
    int t = table == null ? 0 : table < 256 ? table : 0;
    b.rtmsg(family, 0, t, protocol == null ? 0 : protocol, 0, 0);
    if (table != null) {
      b.u32(Nl.RTA_TABLE, table);
    }
    return b;
  }

  /**
   * Decodes an RTM_NEWROUTE/RTM_DELROUTE message, or returns null for what Weft does not model: route
   * types other than unicast and unreachable, unicast routes without gateway or device, other families.
   *
   * @param deviceName index to name; may return null for an unknown index
   */
  public static Route decode(NetlinkMessage m, IntFunction<String> deviceName) {
    ByteBuffer p = m.payload();
    if (p.limit() < Nl.RTMSG_LEN) {
      return null;
    }
    int family = Byte.toUnsignedInt(p.get(0));
    int dstLen = Byte.toUnsignedInt(p.get(1));
    int headerTable = Byte.toUnsignedInt(p.get(4));
    int protocol = Byte.toUnsignedInt(p.get(5));
    int type = Byte.toUnsignedInt(p.get(7));
    boolean onLink = (p.getInt(8) & Nl.RTNH_F_ONLINK) != 0;
    if (family != Nl.AF_INET && family != Nl.AF_INET6) {
      return null;
    }
    Route.Type t;
    if (type == Nl.RTN_UNICAST) {
      t = Route.Type.UNICAST;
    } else if (type == Nl.RTN_UNREACHABLE) {
      t = Route.Type.UNREACHABLE;
    } else {
      return null;
    }
    Attributes a = Attributes.parse(p, Nl.RTMSG_LEN, p.limit() - Nl.RTMSG_LEN);
    Integer table = a.u32(Nl.RTA_TABLE);
    InetAddress dst = a.address(Nl.RTA_DST);
    if (dst == null) {
      dst = zero(family);
    }
    InetAddress gateway = a.address(Nl.RTA_GATEWAY);
    Integer oif = a.u32(Nl.RTA_OIF);
    if (gateway == null && oif == null && a.has(Nl.RTA_MULTIPATH)) {
      // Weft writes single-path routes; a multipath one is shown by its first next hop.
      ByteBuffer mp = a.get(Nl.RTA_MULTIPATH);
      if (mp.limit() >= Nl.RTNH_LEN) {
        int len = Short.toUnsignedInt(mp.getShort(0));
        oif = mp.getInt(4);
        onLink = (Byte.toUnsignedInt(mp.get(2)) & Nl.RTNH_F_ONLINK) != 0;
        if (len > Nl.RTNH_LEN && len <= mp.limit()) {
          gateway = Attributes.parse(mp, Nl.RTNH_LEN, len - Nl.RTNH_LEN).address(Nl.RTA_GATEWAY);
        }
      }
    }
    String device = oif == null || oif == 0 ? null : deviceName.apply(oif);
    if (device == null && oif != null && oif != 0) {
      device = "if" + oif;
    }
    if (t == Route.Type.UNICAST && gateway == null && device == null) {
      return null;
    }
    if (t == Route.Type.UNREACHABLE) {
      gateway = null;
      device = null;
    }
    return new Route(Cidr.of(dst, dstLen), t, gateway, device, protocol, table != null ? table : headerTable,
        onLink && gateway != null && device != null);
  }

  private static InetAddress zero(int family) {
    try {
      return InetAddress.getByAddress(new byte[family == Nl.AF_INET ? 4 : 16]);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
