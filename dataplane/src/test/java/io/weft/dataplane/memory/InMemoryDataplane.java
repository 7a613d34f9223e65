package io.weft.dataplane.memory;

import io.weft.core.egress.EgressPlan;
import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.net.Cidr;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.Addresses;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.LinkEvent;
import io.weft.dataplane.Links;
import io.weft.dataplane.Neighbours;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NetworkEventListener;
import io.weft.dataplane.NetworkEvents;
import io.weft.dataplane.PacketFilter;
import io.weft.dataplane.RouteEvent;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOpResult;
import io.weft.dataplane.RouteTable;
import io.weft.dataplane.Sysctls;
import io.weft.dataplane.Vxlan;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A {@link Dataplane} held in memory, for unit tests of the layers above. It keeps the kernel's rules
 * that matter to Weft: routes keyed by table and prefix, {@code EEXIST} on a duplicate add, a delete only
 * removes a route carrying protocol 87 ({@code ESRCH} otherwise), the protocol-87 rule on every write, and
 * events to subscribers.
 *
 * <p>Events are delivered synchronously on the thread that caused the change (deterministic tests); a
 * listener that only enqueues, as the contract asks, is safe with that. Tests reach behind the port with
 * {@link #addForeignRoute}, {@link #removeExternally}, {@link #failWhen}, {@link #signalResync} and
 * {@link #routesSnapshot}. All methods are synchronized so a test thread may inspect while an agent thread
 * works.
 */
public final class InMemoryDataplane implements Dataplane {
  private static final MacAddress ZERO_MAC = MacAddress.parse("00:00:00:00:00:00");

  private final Map<Route.RouteKey, Route> routes = new LinkedHashMap<>();
  private final Map<String, MutableLink> links = new LinkedHashMap<>();
  private final List<InterfaceAddress> addresses = new ArrayList<>();
  private final Map<String, String> sysctls = new HashMap<>();
  /** Veths whose peer was made in another namespace: the peer's name and namespace, by the local end's name. */
  private final Map<String, VethPeer> vethPeersElsewhere = new HashMap<>();
  /** Both ends of each veth pair made within this namespace, each by the other's name. */
  private final Map<String, String> vethPeers = new HashMap<>();
  private final Map<String, Vxlan> vxlans = new HashMap<>();
  private final List<Neighbour> neighbourEntries = new ArrayList<>();
  private final List<FdbEntry> fdbEntries = new ArrayList<>();
  private final List<Failure> failures = new ArrayList<>();
  private final List<RouteOp> applied = new ArrayList<>();
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private boolean requireDevices;
  private int nextIndex = 2;
  private int batches;
  private int routeListings;

  private final RouteTable routeTable = new MemoryRoutes();
  private final Links linkTable = new MemoryLinks();
  private final Addresses addressTable = new MemoryAddresses();
  private final Sysctls sysctlTable = new MemorySysctls();
  private final Neighbours neighbourTable = new MemoryNeighbours();
  private final MemoryFilter filter = new MemoryFilter();

  public InMemoryDataplane() {
    links.put("lo", new MutableLink(1, "lo", null, null, 65536));
    links.get("lo").up = true;
    sysctls.put("net.ipv4.ip_forward", "0");
    sysctls.put("net.ipv4.conf.all.rp_filter", "0");
    sysctls.put("net.ipv4.conf.default.rp_filter", "0");
  }

  // ---- test controls ------------------------------------------------------------------------------

  /** When on, a route naming a device that is not among the links fails with ENODEV, as in the kernel. */
  public synchronized InMemoryDataplane requireDevices(boolean on) {
    this.requireDevices = on;
    return this;
  }

  /**
   * Makes every route op matching {@code when} fail with {@code errno} (and the kernel's text, may be
   * null) until {@link #clearFailures()}.
   */
  public synchronized InMemoryDataplane failWhen(Predicate<RouteOp> when, int errno, String kernelMessage) {
    failures.add(new Failure(when, errno, kernelMessage, -1));
    return this;
  }

  /** Like {@link #failWhen} but only for the next {@code times} matching ops. */
  public synchronized InMemoryDataplane failTimes(Predicate<RouteOp> when, int times, int errno) {
    failures.add(new Failure(when, errno, null, times));
    return this;
  }

  public synchronized void clearFailures() {
    failures.clear();
  }

  /** How many times the route table was listed: each stands for a dump of the kernel's table. */
  public synchronized int routeListings() {
    return routeListings;
  }

  /** Puts a route of any protocol into the table as another program would, and emits the event. */
  public synchronized void addForeignRoute(Route route) {
    routes.put(route.key(), route);
    emitRoute(false, route);
  }

  /** Removes the route with this key whatever its protocol (an {@code ip route del} from outside). */
  public synchronized Optional<Route> removeExternally(Route.RouteKey key) {
    Route r = routes.remove(key);
    if (r != null) {
      emitRoute(true, r);
    }
    return Optional.ofNullable(r);
  }

  /** Tells every subscriber that events were lost, as an ENOBUFS from the kernel would. */
  public void signalResync(String reason) {
    for (Subscription s : subscriptions) {
      s.listeners.forEach(l -> l.onResyncNeeded(reason));
    }
  }

  /** The whole route table, every protocol. */
  public synchronized List<Route> routesSnapshot() {
    return List.copyOf(routes.values());
  }

  /** Every route op that succeeded, in order. */
  public synchronized List<RouteOp> appliedOps() {
    return List.copyOf(applied);
  }

  /** How many {@link RouteTable#apply} calls were made. */
  public synchronized int batchCount() {
    return batches;
  }

  /** The namespace a veth peer was created in ({@code createVeth}'s path), if it went elsewhere. */
  /** True when a veth here has its peer {@code peerName} in the namespace at {@code netns}. */
  public synchronized boolean hasVethPeerIn(String peerName, Path netns) {
    return vethPeersElsewhere.containsValue(new VethPeer(peerName, netns));
  }

  /** Hairpin state of a port. */
  public synchronized boolean hairpin(String name) {
    return link(name, "read hairpin of").hairpin;
  }

  /** The link's IPv4 arp_notify. */
  public synchronized boolean arpNotify(String name) {
    return link(name, "read arp_notify of").arpNotify;
  }

  /** Adds a link of any kind (e.g. the uplink {@code eth0}), up, with this MTU. */
  public synchronized Link addLink(String name, String kind, int mtu) {
    MutableLink l = new MutableLink(nextIndex++, name, kind, mac(nextIndex), mtu);
    l.up = true;
    links.put(name, l);
    emitLink(false, l.view());
    return l.view();
  }

  // ---- the port --------------------------------------------------------------------------------------

  @Override
  public RouteTable routes() {
    return routeTable;
  }

  @Override
  public Links links() {
    return linkTable;
  }

  @Override
  public Addresses addresses() {
    return addressTable;
  }

  @Override
  public Sysctls sysctls() {
    return sysctlTable;
  }

  @Override
  public Neighbours neighbours() {
    return neighbourTable;
  }

  @Override
  public PacketFilter packetFilter() {
    return filter;
  }

  /** The plan the packet filter holds now, if any (as if read back with iptables-save). */
  public synchronized Optional<EgressPlan> filterPlan() {
    return Optional.ofNullable(filter.held);
  }

  /** How often the packet filter was converged or removed (each a read of every backend on a real host). */
  public synchronized int filterPasses() {
    return filter.passes;
  }

  /** Someone deletes Weft's rules by hand; listeners hear of it as nf_tables would tell them. */
  public void removeFilterRulesExternally() {
    synchronized (this) {
      filter.held = null;
    }
    for (Subscription s : subscriptions) {
      s.listeners.forEach(NetworkEventListener::onPacketFilterChanged);
    }
  }

  @Override
  public NetworkEvents events() {
    Subscription s = new Subscription();
    subscriptions.add(s);
    return s;
  }

  @Override
  public void close() {
    subscriptions.clear();
  }

  private void emitRoute(boolean deleted, Route r) {
    for (Subscription s : subscriptions) {
      s.listeners.forEach(l -> l.onRouteChanged(new RouteEvent(deleted, r)));
    }
  }

  private void emitLink(boolean deleted, Link l) {
    for (Subscription s : subscriptions) {
      s.listeners.forEach(x -> x.onLinkChanged(new LinkEvent(deleted, l)));
    }
  }

  private MutableLink link(String name, String what) {
    MutableLink l = links.get(name);
    if (l == null) {
      throw NetlinkException.of(NetlinkException.ENODEV, what + " link " + name, null);
    }
    return l;
  }

  private static MacAddress mac(int n) {
    return MacAddress.of(new byte[] {0x02, 0x00, 0x00, 0x00, (byte) (n >> 8), (byte) n});
  }

  private static void requireWeft(Route r) {
    if (!r.isWeft()) {
      throw new IllegalArgumentException(
          "refusing to write route " + r + ": Weft only writes routes with protocol " + Route.PROTOCOL_WEFT);
    }
  }

  private final class Subscription implements NetworkEvents {
    final List<NetworkEventListener> listeners = new CopyOnWriteArrayList<>();

    @Override
    public void subscribe(NetworkEventListener listener) {
      listeners.add(listener);
    }

    @Override
    public void close() {
      subscriptions.remove(this);
    }
  }

  private final class MemoryRoutes implements RouteTable {
    @Override
    public List<Route> list(RouteFilter filter) {
      synchronized (InMemoryDataplane.this) {
        routeListings++;
        boolean v6 = filter.destination() != null && !filter.destination().isIpv4();
        return routes.values().stream()
            .filter(r -> r.destination().isIpv4() != v6)
            .filter(filter::matches)
            .toList();
      }
    }

    @Override
    public void add(Route route) {
      throwIfFailed(apply(List.of(RouteOp.add(route))).get(0));
    }

    @Override
    public void replace(Route route) {
      throwIfFailed(apply(List.of(RouteOp.replace(route))).get(0));
    }

    @Override
    public void delete(Route route) {
      throwIfFailed(apply(List.of(RouteOp.delete(route))).get(0));
    }

    private void throwIfFailed(RouteOpResult r) {
      if (r.error() != null) {
        throw r.error();
      }
    }

    @Override
    public List<RouteOpResult> apply(List<RouteOp> ops) {
      synchronized (InMemoryDataplane.this) {
        ops.forEach(op -> requireWeft(op.route()));
        batches++;
        List<RouteOpResult> out = new ArrayList<>(ops.size());
        for (RouteOp op : ops) {
          out.add(new RouteOpResult(op, applyOne(op)));
        }
        return out;
      }
    }

    private NetlinkException applyOne(RouteOp op) {
      String what = op.kind().name().toLowerCase(java.util.Locale.ROOT) + " route " + op.route();
      for (Failure f : failures) {
        if (f.times != 0 && f.when.test(op)) {
          f.times--;
          return NetlinkException.of(f.errno, what, f.kernelMessage);
        }
      }
      Route r = op.route();
      if (op.kind() != RouteOp.Kind.DELETE && requireDevices && r.device() != null && !links.containsKey(r.device())) {
        return NetlinkException.of(NetlinkException.ENODEV, what, null);
      }
      Route existing = routes.get(r.key());
      switch (op.kind()) {
        case ADD -> {
          if (existing != null) {
            return NetlinkException.of(NetlinkException.EEXIST, what, null);
          }
          routes.put(r.key(), r);
        }
        case REPLACE -> routes.put(r.key(), r);
        case DELETE -> {
          if (existing == null || !existing.isWeft()) {
            return NetlinkException.of(NetlinkException.ESRCH, what, null);
          }
          routes.remove(r.key());
        }
      }
      applied.add(op);
      emitRoute(op.kind() == RouteOp.Kind.DELETE, op.kind() == RouteOp.Kind.DELETE ? existing : r);
      return null;
    }
  }

  private final class MemoryLinks implements Links {
    @Override
    public Optional<Link> byName(String name) {
      synchronized (InMemoryDataplane.this) {
        return Optional.ofNullable(links.get(name)).map(MutableLink::view);
      }
    }

    @Override
    public Optional<Link> byIndex(int index) {
      synchronized (InMemoryDataplane.this) {
        return links.values().stream().filter(l -> l.index == index).findFirst().map(MutableLink::view);
      }
    }

    @Override
    public List<Link> list() {
      synchronized (InMemoryDataplane.this) {
        return links.values().stream().map(MutableLink::view).toList();
      }
    }

    @Override
    public Optional<Vxlan> vxlan(String name) {
      synchronized (InMemoryDataplane.this) {
        Vxlan v = vxlans.get(name);
        MutableLink l = links.get(name);
        return v == null || l == null ? Optional.empty()
            : Optional.of(new Vxlan(v.name(), v.vni(), v.port(), v.local(), v.learning(), l.mtu, l.mac));
      }
    }

    @Override
    public Link createVxlan(Vxlan spec) {
      synchronized (InMemoryDataplane.this) {
        if (links.containsKey(spec.name())) {
          throw NetlinkException.of(NetlinkException.EEXIST, "create VXLAN device " + spec.name(), null);
        }
        MutableLink l = new MutableLink(nextIndex++, spec.name(), "vxlan",
            spec.mac() != null ? spec.mac() : mac(nextIndex), spec.mtu());
        links.put(spec.name(), l);
        vxlans.put(spec.name(), spec);
        emitLink(false, l.view());
        return l.view();
      }
    }

    @Override
    public Link ensureBridge(String name, int mtu) {
      synchronized (InMemoryDataplane.this) {
        MutableLink l = links.get(name);
        if (l != null) {
          if (!"bridge".equals(l.kind)) {
            throw NetlinkException.of(NetlinkException.EEXIST, "create bridge " + name,
                "a " + l.kind + " link has that name");
          }
          return l.view();
        }
        l = new MutableLink(nextIndex++, name, "bridge", mac(nextIndex), mtu);
        links.put(name, l);
        emitLink(false, l.view());
        return l.view();
      }
    }

    @Override
    public void createVeth(String name, String peerName, Path peerNetns, int mtu) {
      synchronized (InMemoryDataplane.this) {
        if (links.containsKey(name) || (peerNetns == null && links.containsKey(peerName))) {
          throw NetlinkException.of(NetlinkException.EEXIST, "create veth " + name + " peer " + peerName, null);
        }
        MutableLink l = new MutableLink(nextIndex++, name, "veth", mac(nextIndex), mtu);
        links.put(name, l);
        emitLink(false, l.view());
        if (peerNetns == null) {
          MutableLink p = new MutableLink(nextIndex++, peerName, "veth", mac(nextIndex), mtu);
          links.put(peerName, p);
          vethPeers.put(name, peerName);
          vethPeers.put(peerName, name);
          emitLink(false, p.view());
        } else {
          vethPeersElsewhere.put(name, new VethPeer(peerName, peerNetns));
        }
      }
    }

    @Override
    public void setUp(String name) {
      change(name, "set up", l -> l.up = true);
    }

    @Override
    public void setDown(String name) {
      change(name, "set down", l -> l.up = false);
    }

    @Override
    public void setMtu(String name, int mtu) {
      change(name, "set mtu " + mtu + " on", l -> l.mtu = mtu);
    }

    @Override
    public void setMac(String name, MacAddress mac) {
      change(name, "set address " + mac + " on", l -> {
        if ((mac.toBytes()[0] & 1) != 0 || mac.equals(ZERO_MAC)) {
          // the kernel's eth_validate_addr, after it has found the device
          throw NetlinkException.of(NetlinkException.EADDRNOTAVAIL, "set address " + mac + " on link " + name, null);
        }
        l.mac = mac;
      });
    }

    @Override
    public void setMaster(String name, String bridge) {
      synchronized (InMemoryDataplane.this) {
        int master = bridge == null ? 0 : link(bridge, "set master " + bridge + " of " + name + ":").index;
        change(name, "set master " + bridge + " of", l -> l.master = master);
      }
    }

    @Override
    public void setHairpin(String name, boolean on) {
      change(name, "set hairpin " + (on ? "on" : "off") + " on", l -> l.hairpin = on);
    }

    @Override
    public void setArpNotify(String name, boolean on) {
      change(name, "set arp_notify " + (on ? "on" : "off") + " on", l -> l.arpNotify = on);
    }

    @Override
    public void delete(String name) {
      synchronized (InMemoryDataplane.this) {
        MutableLink l = link(name, "delete");
        String peer = vethPeers.remove(name);
        if (peer != null) {
          // as the kernel does: deleting either end of a veth pair deletes the pair
          vethPeers.remove(peer);
          delete(peer);
        }
        links.remove(name);
        vethPeersElsewhere.remove(name);
        vxlans.remove(name);
        neighbourEntries.removeIf(n -> n.device().equals(name));
        fdbEntries.removeIf(f -> f.device().equals(name));
        addresses.removeIf(a -> a.device().equals(name));
        routes.values().removeIf(r -> name.equals(r.device()));
        emitLink(true, l.view());
      }
    }

    private void change(String name, String what, java.util.function.Consumer<MutableLink> c) {
      synchronized (InMemoryDataplane.this) {
        MutableLink l = link(name, what);
        c.accept(l);
        emitLink(false, l.view());
      }
    }
  }

  /** A packet filter that holds one plan, as one backend with change notifications. */
  private final class MemoryFilter implements PacketFilter {
    private EgressPlan held;
    private int passes;

    @Override
    public FilterResult converge(EgressPlan plan) {
      synchronized (InMemoryDataplane.this) {
        passes++;
        int changes = plan.equals(held) ? 0 : 1;
        held = plan;
        return new FilterResult(List.of(new BackendState("memory", true, "ACCEPT", true, plan.masquerade(), List.of())),
            changes, List.of(), List.of());
      }
    }

    @Override
    public FilterResult remove() {
      synchronized (InMemoryDataplane.this) {
        passes++;
        int changes = held == null ? 0 : 1;
        held = null;
        return new FilterResult(List.of(), changes, List.of(), List.of());
      }
    }
  }

  private final class MemoryNeighbours implements Neighbours {
    @Override
    public List<Neighbour> list(String device) {
      synchronized (InMemoryDataplane.this) {
        link(device, "list neighbours of");
        return neighbourEntries.stream().filter(n -> n.device().equals(device)).toList();
      }
    }

    @Override
    public void replace(String device, InetAddress address, MacAddress mac) {
      synchronized (InMemoryDataplane.this) {
        link(device, "set neighbour on");
        neighbourEntries.removeIf(n -> n.device().equals(device) && n.address().equals(address));
        neighbourEntries.add(new Neighbour(device, address, mac, true, Route.PROTOCOL_WEFT));
      }
    }

    @Override
    public void delete(String device, InetAddress address) {
      synchronized (InMemoryDataplane.this) {
        link(device, "delete neighbour from");
        if (!neighbourEntries.removeIf(n -> n.device().equals(device) && n.address().equals(address))) {
          throw NetlinkException.of(NetlinkException.ENOENT, "delete neighbour " + address.getHostAddress(), null);
        }
      }
    }

    @Override
    public List<FdbEntry> fdb(String device) {
      synchronized (InMemoryDataplane.this) {
        link(device, "list FDB entries of");
        return fdbEntries.stream().filter(f -> f.device().equals(device)).toList();
      }
    }

    @Override
    public void replaceFdb(String device, MacAddress mac, InetAddress destination) {
      synchronized (InMemoryDataplane.this) {
        link(device, "set FDB entry on");
        fdbEntries.removeIf(f -> f.device().equals(device) && f.mac().equals(mac));
        fdbEntries.add(new FdbEntry(device, mac, destination, true));
      }
    }

    @Override
    public void deleteFdb(String device, MacAddress mac, InetAddress destination) {
      synchronized (InMemoryDataplane.this) {
        link(device, "delete FDB entry from");
        if (!fdbEntries.removeIf(f -> f.device().equals(device) && f.mac().equals(mac))) {
          throw NetlinkException.of(NetlinkException.ENOENT, "delete FDB entry " + mac, null);
        }
      }
    }
  }

  private final class MemoryAddresses implements Addresses {
    @Override
    public List<InterfaceAddress> list(String device) {
      synchronized (InMemoryDataplane.this) {
        return addresses.stream().filter(a -> device == null || a.device().equals(device)).toList();
      }
    }

    @Override
    public List<InterfaceAddress> listIpv4() {
      synchronized (InMemoryDataplane.this) {
        return addresses.stream().filter(a -> a.address() instanceof Inet4Address).toList();
      }
    }

    @Override
    public void add(String device, InetAddress address, int prefixLength) {
      synchronized (InMemoryDataplane.this) {
        String what = "add address " + address.getHostAddress() + "/" + prefixLength + " to " + device;
        MutableLink l = link(device, what + ":");
        InterfaceAddress a = new InterfaceAddress(device, l.index, address, prefixLength);
        if (addresses.stream().anyMatch(x -> x.device().equals(device) && x.address().equals(address))) {
          throw NetlinkException.of(NetlinkException.EEXIST, what, null);
        }
        addresses.add(a);
        if (address instanceof Inet4Address) {
          Cidr net = Cidr.of(address, prefixLength);
          // the kernel's connected route (proto kernel = 2)
          routes.putIfAbsent(new Route.RouteKey(Route.TABLE_MAIN, net),
              new Route(net, Route.Type.UNICAST, null, device, 2, Route.TABLE_MAIN));
        }
      }
    }

    @Override
    public void delete(String device, InetAddress address, int prefixLength) {
      synchronized (InMemoryDataplane.this) {
        boolean removed = addresses.removeIf(a -> a.device().equals(device) && a.address().equals(address)
            && a.prefixLength() == prefixLength);
        if (!removed) {
          throw NetlinkException.of(NetlinkException.EADDRNOTAVAIL,
              "delete address " + address.getHostAddress() + "/" + prefixLength + " from " + device, null);
        }
      }
    }
  }

  private final class MemorySysctls implements Sysctls {
    @Override
    public String get(String key) {
      synchronized (InMemoryDataplane.this) {
        String v = sysctls.get(key);
        if (v == null) {
          throw NetlinkException.of(NetlinkException.ENOENT, "read sysctl " + key, null);
        }
        return v;
      }
    }

    @Override
    public void set(String key, String value) {
      synchronized (InMemoryDataplane.this) {
        sysctls.put(key, value.trim());
      }
    }
  }

  private record VethPeer(String name, Path netns) {}

  private static final class MutableLink {
    final int index;
    final String name;
    final String kind;
    MacAddress mac;
    int mtu;
    boolean up;
    int master;
    boolean hairpin;
    boolean arpNotify;

    MutableLink(int index, String name, String kind, MacAddress mac, int mtu) {
      this.index = index;
      this.name = name;
      this.kind = kind;
      this.mac = mac;
      this.mtu = mtu;
    }

    Link view() {
      return new Link(index, name, kind, mac, mtu, up, master, up);
    }
  }

  private static final class Failure {
    final Predicate<RouteOp> when;
    final int errno;
    final String kernelMessage;
    int times;

    Failure(Predicate<RouteOp> when, int errno, String kernelMessage, int times) {
      this.when = when;
      this.errno = errno;
      this.kernelMessage = kernelMessage;
      this.times = times;
    }
  }
}
