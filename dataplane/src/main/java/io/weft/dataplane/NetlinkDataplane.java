package io.weft.dataplane;

import io.weft.dataplane.netfilter.IptablesFilter;
import io.weft.dataplane.netlink.Namespaces;
import io.weft.dataplane.netlink.Native;
import io.weft.dataplane.netlink.NetlinkAddresses;
import io.weft.dataplane.netlink.NetlinkEvents;
import io.weft.dataplane.netlink.NetlinkLinks;
import io.weft.dataplane.netlink.NetlinkNeighbours;
import io.weft.dataplane.netlink.NetlinkRoutes;
import io.weft.dataplane.netlink.NetlinkSocket;
import io.weft.dataplane.netlink.ProcSysctls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@link Dataplane} over rtnetlink: one request socket, opened in the handle's namespace, plus one socket
 * pair per event subscription.
 *
 * <pre>{@code
 * try (NetlinkDataplane dp = NetlinkDataplane.in(Path.of("/var/run/netns/node-1"))) {
 *   dp.routes().add(Route.via(Cidr.parse("10.244.2.0/24"), IpAddresses.parse("192.168.1.12"), "eth0"));
 * }
 * }</pre>
 *
 * <p>Each factory call opens new sockets; handles share nothing but the libc binding. Loading that binding
 * costs about half a CPU-second in a cold JVM, which is why short-lived programs (the CNI executable) do
 * not use this class.
 */
public final class NetlinkDataplane implements Dataplane {
  /** A request never waits longer than this for the kernel. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final Native nat;
  private final Namespaces namespaces;
  private final Path netns;
  private final NetlinkSocket socket;
  private final NetlinkLinks links;
  private final NetlinkRoutes routes;
  private final NetlinkAddresses addresses;
  private final NetlinkNeighbours neighbours;
  private final IptablesFilter packetFilter;
  private final ProcSysctls sysctls;
  private final List<NetlinkEvents> subscriptions = new CopyOnWriteArrayList<>();

  private NetlinkDataplane(Native nat, Path netns) {
    this.nat = nat;
    this.netns = netns;
    this.namespaces = new Namespaces(nat);
    String where = netns == null ? "the current namespace" : netns.toString();
    this.socket = namespaces.call(netns, "open a netlink socket in " + where,
        () -> NetlinkSocket.open(nat, REQUEST_TIMEOUT));
    this.links = new NetlinkLinks(socket, namespaces);
    this.routes = new NetlinkRoutes(socket, links);
    this.addresses = new NetlinkAddresses(socket, links);
    this.neighbours = new NetlinkNeighbours(socket, links);
    this.packetFilter = new IptablesFilter(netns);
    this.sysctls = new ProcSysctls(namespaces, netns);
  }

  /** A handle on the namespace of the calling thread. */
  public static NetlinkDataplane current() {
    return new NetlinkDataplane(Native.get(), null);
  }

  /**
   * A handle on the namespace at {@code netnsPath} ({@code /var/run/netns/X}, {@code /proc/PID/ns/net}).
   * The calling thread never changes namespace.
   *
   * @throws NotFoundException when there is no such namespace file
   */
  public static NetlinkDataplane in(Path netnsPath) {
    return new NetlinkDataplane(Native.get(), Objects.requireNonNull(netnsPath, "netnsPath"));
  }

  @Override
  public RouteTable routes() {
    return routes;
  }

  @Override
  public Links links() {
    return links;
  }

  @Override
  public Addresses addresses() {
    return addresses;
  }

  @Override
  public Neighbours neighbours() {
    return neighbours;
  }

  @Override
  public PacketFilter packetFilter() {
    return packetFilter;
  }

  @Override
  public Sysctls sysctls() {
    return sysctls;
  }

  @Override
  public NetworkEvents events() {
    NetlinkEvents e = NetlinkEvents.open(nat, namespaces, netns, subscriptions::remove);
    subscriptions.add(e);
    return e;
  }

  @Override
  public void close() {
    subscriptions.forEach(NetlinkEvents::close);
    socket.close();
  }
}
