package io.weft.dataplane;

import io.weft.core.net.MacAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The network interfaces of one namespace. Names are kernel interface names (at most 15 bytes). */
public interface Links {

  Optional<Link> byName(String name);

  Optional<Link> byIndex(int index);

  List<Link> list();

  /**
   * Creates bridge {@code name} with this MTU, or accepts an existing bridge of that name (its MTU is
   * then left as it is), and returns the kernel's view of it. An existing link of another kind is an
   * {@link AlreadyExistsException}. The bridge is not set up; an {@code mtu} of 0 leaves the kernel's default.
   */
  Link ensureBridge(String name, int mtu);

  /**
   * The VXLAN settings of link {@code name}; empty when there is no such link or it is not a VXLAN device.
   */
  Optional<Vxlan> vxlan(String name);

  /**
   * Creates the VXLAN device (down) and returns the kernel's view of it; {@link AlreadyExistsException}
   * when a link of that name exists, {@code EADDRINUSE} when another device has the VNI and port.
   */
  Link createVxlan(Vxlan spec);

  /**
   * Creates veth pair {@code name} (here) and {@code peerName}; the peer is created directly in the
   * namespace at {@code peerNetns} (a path like {@code /var/run/netns/X} or {@code /proc/PID/ns/net}),
   * or here when it is null. Both ends are down; an {@code mtu} of 0 leaves the kernel's default.
   */
  void createVeth(String name, String peerName, Path peerNetns, int mtu);

  void setUp(String name);

  /**
   * Sets the link down. The kernel then drops every IPv4 route through it, whatever the route's
   * protocol (a link change, not a route write): only for links Weft created.
   */
  void setDown(String name);

  void setMtu(String name, int mtu);

  /**
   * Sets the link's hardware address (IFLA_ADDRESS). The kernel refuses a multicast or all-zero address
   * ({@code EADDRNOTAVAIL}); a veth takes a new address whether it is up or down.
   */
  void setMac(String name, MacAddress mac);

  /** Enslaves {@code name} to bridge {@code bridge}; a null bridge frees it. */
  void setMaster(String name, String bridge);

  /** Hairpin mode of a bridge port (traffic may leave through the port it came in by). */
  void setHairpin(String name, boolean on);

  /**
   * The link's IPv4 {@code arp_notify}: a gratuitous ARP when it comes up or its address changes, so
   * neighbours that cached a previous owner of the address learn the new MAC at once. Set over rtnetlink
   * (needs NET_ADMIN only), not through /proc/sys, which is read-only in an unprivileged container.
   */
  void setArpNotify(String name, boolean on);

  /**
   * Deletes the link (a veth's peer goes with it); {@link NoSuchDeviceException} when it is missing. The
   * kernel drops every route through it, whatever the route's protocol: only for links Weft created.
   */
  void delete(String name);
}
