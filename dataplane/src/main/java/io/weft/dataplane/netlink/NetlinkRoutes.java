package io.weft.dataplane.netlink;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NotFoundException;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOpResult;
import io.weft.dataplane.RouteTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * {@link RouteTable} over a request socket: the kernel's verbs, one request each. Writes go through
 * {@link RouteCodec#encode}, which refuses any route without protocol 87, and a delete names protocol 87.
 * Which prefixes may be replaced is the caller's decision (core's {@code Reconcile}: never one a foreign
 * route holds); the kernel's replace takes whatever route holds the prefix.
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
    IntFunction<String> names = links.namesOnDemand();
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
    Map<String, Integer> indexes = new HashMap<>();
    Map<String, NetlinkException> deviceErrors = new HashMap<>();
    List<MessageBuilder> requests = new ArrayList<>(ops.size());
    List<Integer> sent = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      RouteOp op = ops.get(i);
      Route r = op.route();
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

  private static String describe(RouteOp op) {
    return op.kind().name().toLowerCase(Locale.ROOT) + " route " + op.route();
  }
}
