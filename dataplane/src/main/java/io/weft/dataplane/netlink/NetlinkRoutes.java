package io.weft.dataplane.netlink;

import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NotFoundException;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOp;
import io.weft.dataplane.RouteOpResult;
import io.weft.dataplane.RouteTable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * {@link RouteTable} over a request socket. Writes go through {@link RouteCodec#encode}, which refuses
 * any route without protocol 87; a REPLACE is refused too when another program's route holds the prefix,
 * because the kernel's replace would overwrite it whatever its protocol.
 */
public final class NetlinkRoutes implements RouteTable {
  private final NetlinkSocket socket;
  private final NetlinkLinks links;

  public NetlinkRoutes(NetlinkSocket socket, NetlinkLinks links) {
    this.socket = socket;
    this.links = links;
  }

  @Override
  public List<Route> list(RouteFilter filter) {
    int family = filter.destination() != null && !filter.destination().isIpv4() ? Nl.AF_INET6 : Nl.AF_INET;
    List<NetlinkMessage> parts;
    try {
      parts = socket.dump(
          RouteCodec.dumpRequest(family, filter.table(), filter.protocol(), socket.strictDumps()), "list routes");
    } catch (NotFoundException e) {
      if (filter.table() == null) {
        throw e;
      }
      return List.of(); // a filtered dump of a table that does not exist (yet)
    }
    LazyNames names = new LazyNames(links);
    List<Route> out = new ArrayList<>();
    for (NetlinkMessage m : parts) {
      Route r = m.type() == Nl.RTM_NEWROUTE ? RouteCodec.decode(m, names) : null;
      if (r != null && filter.matches(r)) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public void add(Route route) {
    single(RouteOp.add(route));
  }

  @Override
  public void replace(Route route) {
    single(RouteOp.replace(route));
  }

  @Override
  public void delete(Route route) {
    single(RouteOp.delete(route));
  }

  private void single(RouteOp op) {
    NetlinkException e = apply(List.of(op)).get(0).error();
    if (e != null) {
      throw e;
    }
  }

  @Override
  public List<RouteOpResult> apply(List<RouteOp> ops) {
    ops.forEach(op -> RouteCodec.requireWeft(op.route()));
    NetlinkException[] errors = new NetlinkException[ops.size()];
    Map<Route.RouteKey, Integer> foreign = foreignHolders(ops);
    Map<String, Integer> indexes = new HashMap<>();
    Map<String, NetlinkException> deviceErrors = new HashMap<>();
    List<MessageBuilder> requests = new ArrayList<>(ops.size());
    List<Integer> sent = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      RouteOp op = ops.get(i);
      Route r = op.route();
      Integer holder = op.kind() == RouteOp.Kind.REPLACE ? foreign.get(r.key()) : null;
      if (holder != null) {
        errors[i] = NetlinkException.of(NetlinkException.EEXIST, describe(op),
            "a route with protocol " + holder + " holds " + r.destination() + "; Weft does not replace routes it does not own");
        continue;
      }
      int oif = 0;
      if (op.kind() != RouteOp.Kind.DELETE && r.device() != null) {
        NetlinkException missing = deviceErrors.get(r.device());
        if (missing == null && !indexes.containsKey(r.device())) {
          try {
            indexes.put(r.device(), links.indexOf(r.device(), describe(op)));
          } catch (NetlinkException e) {
            missing = e;
            deviceErrors.put(r.device(), e); // once per device, not once per route
          }
        }
        if (missing != null) {
          errors[i] = NetlinkException.of(missing.errno(), describe(op), missing.kernelMessage());
          continue;
        }
        oif = indexes.get(r.device());
      }
      requests.add(RouteCodec.encode(op.kind(), r, oif));
      sent.add(i);
    }
    NetlinkSocket.Ack[] acks = socket.batch(requests, "change routes");
    for (int k = 0; k < acks.length; k++) {
      if (acks[k].errno() != 0) {
        int i = sent.get(k);
        errors[i] = NetlinkException.of(acks[k].errno(), describe(ops.get(i)), acks[k].kernelMessage());
      }
    }
    List<RouteOpResult> out = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      out.add(new RouteOpResult(ops.get(i), errors[i]));
    }
    return out;
  }

  /**
   * Protocol of the foreign route holding each prefix a REPLACE targets, of any route type, from one dump
   * per table involved; empty when the batch has no REPLACE.
   */
  private Map<Route.RouteKey, Integer> foreignHolders(List<RouteOp> ops) {
    Map<Route.RouteKey, Integer> out = new HashMap<>();
    Set<Integer> tables = new TreeSet<>();
    Set<Boolean> families = new TreeSet<>();
    for (RouteOp op : ops) {
      if (op.kind() == RouteOp.Kind.REPLACE) {
        tables.add(op.route().table());
        families.add(op.route().destination().isIpv4());
      }
    }
    for (boolean v4 : families) {
      for (int table : tables) {
        List<NetlinkMessage> parts;
        try {
          parts = socket.dump(RouteCodec.dumpRequest(v4 ? Nl.AF_INET : Nl.AF_INET6, table, null,
              socket.strictDumps()), "list routes of table " + table);
        } catch (NotFoundException e) {
          continue; // no such table yet: nothing to protect in it
        }
        parts.forEach(m -> recordForeign(m, out));
      }
    }
    return out;
  }

  private static void recordForeign(NetlinkMessage m, Map<Route.RouteKey, Integer> out) {
    ByteBuffer p = m.payload();
    if (m.type() != Nl.RTM_NEWROUTE || p.limit() < Nl.RTMSG_LEN) {
      return;
    }
    int protocol = Byte.toUnsignedInt(p.get(5));
    if (protocol == Route.PROTOCOL_WEFT) {
      return;
    }
    int family = Byte.toUnsignedInt(p.get(0));
    Attributes a = Attributes.parse(p, Nl.RTMSG_LEN, p.limit() - Nl.RTMSG_LEN);
    Integer table = a.u32(Nl.RTA_TABLE);
    var dst = a.address(Nl.RTA_DST);
    try {
      if (dst == null) {
        dst = java.net.InetAddress.getByAddress(new byte[family == Nl.AF_INET ? 4 : 16]);
      }
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
    int t = table != null ? table : Byte.toUnsignedInt(p.get(4));
    out.put(new Route.RouteKey(t, Cidr.of(dst, Byte.toUnsignedInt(p.get(1)))), protocol);
  }

  private static String describe(RouteOp op) {
    return op.kind().name().toLowerCase(Locale.ROOT) + " route " + op.route();
  }

  /** Index to name, dumped from the kernel only if a route names a device. */
  private static final class LazyNames implements IntFunction<String> {
    private final NetlinkLinks links;
    private Map<Integer, String> names;

    LazyNames(NetlinkLinks links) {
      this.links = links;
    }

    @Override
    public String apply(int index) {
      if (names == null) {
        names = links.names();
      }
      return names.get(index);
    }
  }
}
