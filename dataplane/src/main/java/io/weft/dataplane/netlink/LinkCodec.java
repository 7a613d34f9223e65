package io.weft.dataplane.netlink;

import io.weft.core.net.MacAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.Vxlan;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/** Links to and from RTM_*LINK messages. */
public final class LinkCodec {
  private LinkCodec() {}

  /** Decodes an RTM_NEWLINK/RTM_DELLINK message of family AF_UNSPEC; null for bridge-port (AF_BRIDGE) ones. */
  public static Link decode(NetlinkMessage m) {
    ByteBuffer p = m.payload();
    if (p.limit() < Nl.IFINFOMSG_LEN || Byte.toUnsignedInt(p.get(0)) == Nl.AF_BRIDGE) {
      return null;
    }
    int index = p.getInt(4);
    int flags = p.getInt(8);
    Attributes a = Attributes.parse(p, Nl.IFINFOMSG_LEN, p.limit() - Nl.IFINFOMSG_LEN);
    byte[] hw = a.bytes(Nl.IFLA_ADDRESS);
    MacAddress mac = hw != null && hw.length == 6 ? MacAddress.of(hw) : null;
    Integer mtu = a.u32(Nl.IFLA_MTU);
    Integer master = a.u32(Nl.IFLA_MASTER);
    String kind = a.nested(Nl.IFLA_LINKINFO).string(Nl.IFLA_INFO_KIND);
    return new Link(index, a.string(Nl.IFLA_IFNAME), kind, mac, mtu == null ? 0 : mtu,
        (flags & Nl.IFF_UP) != 0, master == null ? 0 : master, (flags & Nl.IFF_LOWER_UP) != 0);
  }

  /**
   * The VXLAN settings of an RTM_NEWLINK message of kind {@code vxlan}, or null for any other link (or a
   * VXLAN without an IPv4 local address, which Weft never creates).
   */
  public static Vxlan decodeVxlan(NetlinkMessage m) {
    Link l = decode(m);
    if (l == null || !"vxlan".equals(l.kind())) {
      return null;
    }
    ByteBuffer p = m.payload();
    Attributes data = Attributes.parse(p, Nl.IFINFOMSG_LEN, p.limit() - Nl.IFINFOMSG_LEN)
        .nested(Nl.IFLA_LINKINFO).nested(Nl.IFLA_INFO_DATA);
    Integer vni = data.u32(Nl.IFLA_VXLAN_ID);
    InetAddress local = data.address(Nl.IFLA_VXLAN_LOCAL);
    ByteBuffer port = data.get(Nl.IFLA_VXLAN_PORT);
    Integer learning = data.u8(Nl.IFLA_VXLAN_LEARNING);
    if (vni == null || !(local instanceof Inet4Address v4) || port == null || port.limit() < 2) {
      return null;
    }
    int udp = (Byte.toUnsignedInt(port.get(0)) << 8) | Byte.toUnsignedInt(port.get(1));
    return new Vxlan(l.name(), vni, udp, v4, learning != null && learning != 0, l.mtu(), l.mac());
  }

  /**
   * RTM_NEWLINK creating a unicast VXLAN device: VNI, local address, UDP port (network byte order),
   * learning as given, no group (remotes come only from FDB entries).
   */
  public static MessageBuilder createVxlan(Vxlan v) {
    MessageBuilder b = newLink(v.name(), v.mtu());
    if (v.mac() != null) {
      b.attribute(Nl.IFLA_ADDRESS, v.mac().toBytes());
    }
    int info = b.beginNested(Nl.IFLA_LINKINFO);
    b.string(Nl.IFLA_INFO_KIND, "vxlan");
    int data = b.beginNested(Nl.IFLA_INFO_DATA);
    b.u32(Nl.IFLA_VXLAN_ID, v.vni());
    b.attribute(Nl.IFLA_VXLAN_LOCAL, v.local().getAddress());
    b.attribute(Nl.IFLA_VXLAN_PORT, new byte[] {(byte) (v.port() >>> 8), (byte) v.port()});
    b.u8(Nl.IFLA_VXLAN_LEARNING, v.learning() ? 1 : 0);
    b.endNested(data);
    return b.endNested(info);
  }

  /** RTM_GETLINK for one link by name (ENODEV when missing). */
  public static MessageBuilder getByName(String name) {
    return new MessageBuilder(Nl.RTM_GETLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ifinfomsg(Nl.AF_UNSPEC, 0, 0, 0)
        .string(Nl.IFLA_IFNAME, name);
  }

  /** RTM_GETLINK for one link by index. */
  public static MessageBuilder getByIndex(int index) {
    return new MessageBuilder(Nl.RTM_GETLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ifinfomsg(Nl.AF_UNSPEC, index, 0, 0);
  }

  public static MessageBuilder dumpRequest() {
    return new MessageBuilder(Nl.RTM_GETLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP).ifinfomsg(Nl.AF_UNSPEC, 0, 0, 0);
  }

  /** RTM_NEWLINK creating the link {@code name} (refused if it exists), with an MTU unless 0. */
  private static MessageBuilder newLink(String name, int mtu) {
    MessageBuilder b = new MessageBuilder(Nl.RTM_NEWLINK,
        Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL)
        .ifinfomsg(Nl.AF_UNSPEC, 0, 0, 0)
        .string(Nl.IFLA_IFNAME, name);
    if (mtu > 0) {
      b.u32(Nl.IFLA_MTU, mtu);
    }
    return b;
  }

  /** RTM_NEWLINK creating a bridge. */
  public static MessageBuilder createBridge(String name, int mtu) {
    MessageBuilder b = newLink(name, mtu);
    int info = b.beginNested(Nl.IFLA_LINKINFO);
    b.string(Nl.IFLA_INFO_KIND, "bridge");
    return b.endNested(info);
  }

  /**
   * RTM_NEWLINK creating a veth pair; the peer's attributes travel in VETH_INFO_PEER (an ifinfomsg then
   * attributes), and IFLA_NET_NS_FD there puts the peer straight into another namespace.
   *
   * @param peerNetnsFd an open fd of the peer's namespace, or -1 for this one
   */
  public static MessageBuilder createVeth(String name, String peer, int peerNetnsFd, int mtu) {
    MessageBuilder b = newLink(name, mtu);
    int info = b.beginNested(Nl.IFLA_LINKINFO);
    b.string(Nl.IFLA_INFO_KIND, "veth");
    int data = b.beginNested(Nl.IFLA_INFO_DATA);
    int peerAttr = b.beginPlain(Nl.VETH_INFO_PEER);
    b.ifinfomsg(Nl.AF_UNSPEC, 0, 0, 0).string(Nl.IFLA_IFNAME, peer);
    if (mtu > 0) {
      b.u32(Nl.IFLA_MTU, mtu);
    }
    if (peerNetnsFd >= 0) {
      b.u32(Nl.IFLA_NET_NS_FD, peerNetnsFd);
    }
    b.endNested(peerAttr);
    b.endNested(data);
    return b.endNested(info);
  }

  /** RTM_NEWLINK changing flags of an existing link (only the bits in {@code change}). */
  public static MessageBuilder setFlags(int index, int flags, int change) {
    return new MessageBuilder(Nl.RTM_NEWLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ifinfomsg(Nl.AF_UNSPEC, index, flags, change);
  }

  public static MessageBuilder setMtu(int index, int mtu) {
    return setFlags(index, 0, 0).u32(Nl.IFLA_MTU, mtu);
  }

  /** IFLA_ADDRESS on an existing link, as {@code ip link set dev X address Y} sends it. */
  public static MessageBuilder setAddress(int index, MacAddress mac) {
    return setFlags(index, 0, 0).attribute(Nl.IFLA_ADDRESS, mac.toBytes());
  }

  /** IFLA_MASTER: the bridge's index, 0 to leave the bridge. */
  public static MessageBuilder setMaster(int index, int masterIndex) {
    return setFlags(index, 0, 0).u32(Nl.IFLA_MASTER, masterIndex);
  }

  /** RTM_SETLINK of family AF_BRIDGE with IFLA_PROTINFO { IFLA_BRPORT_MODE }: hairpin on a bridge port. */
  public static MessageBuilder setHairpin(int index, boolean on) {
    MessageBuilder b = new MessageBuilder(Nl.RTM_SETLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ifinfomsg(Nl.AF_BRIDGE, index, 0, 0);
    int n = b.beginNested(Nl.IFLA_PROTINFO);
    b.u8(Nl.IFLA_BRPORT_MODE, on ? 1 : 0);
    return b.endNested(n);
  }

  /**
   * RTM_SETLINK with IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF { IPV4_DEVCONF_ARP_NOTIFY } } }: the link's
   * arp_notify without writing /proc/sys, which a container's read-only /proc refuses even with NET_ADMIN.
   */
  public static MessageBuilder setArpNotify(int index, boolean on) {
    MessageBuilder b = new MessageBuilder(Nl.RTM_SETLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ifinfomsg(Nl.AF_UNSPEC, index, 0, 0);
    int spec = b.beginNested(Nl.IFLA_AF_SPEC);
    int inet = b.beginNested(Nl.AF_INET);
    int conf = b.beginNested(Nl.IFLA_INET_CONF);
    b.u32(Nl.IPV4_DEVCONF_ARP_NOTIFY, on ? 1 : 0);
    return b.endNested(conf).endNested(inet).endNested(spec);
  }

  public static MessageBuilder delete(int index) {
    return new MessageBuilder(Nl.RTM_DELLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ifinfomsg(Nl.AF_UNSPEC, index, 0, 0);
  }
}
