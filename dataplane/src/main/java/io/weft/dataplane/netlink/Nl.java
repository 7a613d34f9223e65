package io.weft.dataplane.netlink;

/**
 * Numbers of the netlink and rtnetlink ABI (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
 * linux/if_addr.h, linux/socket.h). Only what Weft sends or reads.
 */
public final class Nl {
  private Nl() {}

  // sockets
  public static final int AF_UNSPEC = 0;
  public static final int AF_INET = 2;
  public static final int AF_BRIDGE = 7;
  public static final int AF_INET6 = 10;
  public static final int AF_NETLINK = 16;
  public static final int SOCK_RAW = 3;
  public static final int SOCK_CLOEXEC = 0x80000;
  public static final int NETLINK_ROUTE = 0;
  /** nfnetlink: nf_tables and the other netfilter subsystems. */
  public static final int NETLINK_NETFILTER = 12;
  /** nfnetlink group of nf_tables changes (enum nfnetlink_groups): every table, chain and rule change. */
  public static final int NFNLGRP_NFTABLES = 7;
  public static final int SOL_SOCKET = 1;
  public static final int SO_SNDBUF = 7;
  public static final int SO_RCVBUF = 8;
  public static final int SO_RCVTIMEO = 20;
  public static final int SO_SNDBUFFORCE = 32;
  public static final int SO_RCVBUFFORCE = 33;
  public static final int SOL_NETLINK = 270;
  public static final int NETLINK_ADD_MEMBERSHIP = 1;
  public static final int NETLINK_CAP_ACK = 10;
  public static final int NETLINK_EXT_ACK = 11;
  public static final int NETLINK_GET_STRICT_CHK = 12;
  public static final int SOCKADDR_NL_SIZE = 12;

  // multicast groups (enum rtnetlink_groups)
  public static final int RTNLGRP_LINK = 1;
  public static final int RTNLGRP_NEIGH = 3;
  public static final int RTNLGRP_IPV4_ROUTE = 7;
  public static final int RTNLGRP_IPV6_ROUTE = 11;

  // nlmsghdr
  public static final int NLMSG_HDRLEN = 16;
  public static final int NLMSG_NOOP = 1;
  public static final int NLMSG_ERROR = 2;
  public static final int NLMSG_DONE = 3;
  public static final int NLMSG_OVERRUN = 4;
  public static final int NLM_F_REQUEST = 0x1;
  public static final int NLM_F_MULTI = 0x2;
  public static final int NLM_F_ACK = 0x4;
  public static final int NLM_F_DUMP_INTR = 0x10;
  public static final int NLM_F_ROOT = 0x100;
  public static final int NLM_F_MATCH = 0x200;
  public static final int NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
  public static final int NLM_F_REPLACE = 0x100;
  public static final int NLM_F_EXCL = 0x200;
  public static final int NLM_F_CREATE = 0x400;
  /** On an NLMSG_ERROR: the request was not echoed back (NETLINK_CAP_ACK). */
  public static final int NLM_F_CAPPED = 0x100;
  /** On an NLMSG_ERROR: extended-ACK attributes follow. */
  public static final int NLM_F_ACK_TLVS = 0x200;
  public static final int NLMSGERR_ATTR_MSG = 1;

  // attributes
  public static final int NLA_HDRLEN = 4;
  public static final int NLA_F_NESTED = 0x8000;
  public static final int NLA_TYPE_MASK = 0x3fff;

  // rtnetlink message types
  public static final int RTM_NEWLINK = 16;
  public static final int RTM_DELLINK = 17;
  public static final int RTM_GETLINK = 18;
  public static final int RTM_SETLINK = 19;
  public static final int RTM_NEWADDR = 20;
  public static final int RTM_DELADDR = 21;
  public static final int RTM_GETADDR = 22;
  public static final int RTM_NEWROUTE = 24;
  public static final int RTM_DELROUTE = 25;
  public static final int RTM_GETROUTE = 26;
  public static final int RTM_NEWNEIGH = 28;
  public static final int RTM_DELNEIGH = 29;
  public static final int RTM_GETNEIGH = 30;

  // rtmsg (12 bytes)
  public static final int RTMSG_LEN = 12;
  public static final int RTA_DST = 1;
  public static final int RTA_OIF = 4;
  public static final int RTA_GATEWAY = 5;
  public static final int RTA_PRIORITY = 6;
  public static final int RTA_MULTIPATH = 9;
  public static final int RTA_TABLE = 15;
  public static final int RTN_UNSPEC = 0;
  public static final int RTN_UNICAST = 1;
  public static final int RTN_UNREACHABLE = 7;
  public static final int RT_SCOPE_UNIVERSE = 0;
  public static final int RT_SCOPE_LINK = 253;
  public static final int RT_SCOPE_NOWHERE = 255;
  public static final int RT_TABLE_COMPAT = 252;
  /** rtm_flags (and rtnh_flags): the gateway is on the link even if no connected network holds it. */
  public static final int RTNH_F_ONLINK = 4;
  /** struct rtnexthop: len u16, flags u8, hops u8, ifindex s32. */
  public static final int RTNH_LEN = 8;

  // ifinfomsg (16 bytes)
  public static final int IFINFOMSG_LEN = 16;
  public static final int IFF_UP = 0x1;
  /** The driver signals L1 up (carrier). */
  public static final int IFF_LOWER_UP = 0x10000;
  public static final int IFLA_ADDRESS = 1;
  public static final int IFLA_IFNAME = 3;
  public static final int IFLA_MTU = 4;
  public static final int IFLA_LINK = 5;
  public static final int IFLA_MASTER = 10;
  public static final int IFLA_PROTINFO = 12;
  public static final int IFLA_LINKINFO = 18;
  public static final int IFLA_AF_SPEC = 26;
  public static final int IFLA_NET_NS_FD = 28;
  /** Inside IFLA_AF_SPEC's AF_INET entry: the interface's IPv4 settings, one attribute per IPV4_DEVCONF_* key. */
  public static final int IFLA_INET_CONF = 1;
  /** include/uapi/linux/ip.h: the key of net.ipv4.conf.IFNAME.arp_notify. */
  public static final int IPV4_DEVCONF_ARP_NOTIFY = 22;
  public static final int IFLA_INFO_KIND = 1;
  public static final int IFLA_INFO_DATA = 2;
  public static final int VETH_INFO_PEER = 1;
  // IFLA_INFO_DATA of kind "vxlan" (enum IFLA_VXLAN_*)
  public static final int IFLA_VXLAN_ID = 1;
  public static final int IFLA_VXLAN_LOCAL = 4;
  public static final int IFLA_VXLAN_LEARNING = 7;
  /** The UDP destination port, in network byte order. */
  public static final int IFLA_VXLAN_PORT = 15;
  public static final int IFLA_BRPORT_MODE = 4;

  // ifaddrmsg (8 bytes)
  public static final int IFADDRMSG_LEN = 8;
  public static final int IFA_ADDRESS = 1;
  public static final int IFA_LOCAL = 2;

  // ndmsg (12 bytes): family u8, pad u8, pad u16, ifindex s32, state u16, flags u8, type u8
  public static final int NDMSG_LEN = 12;
  public static final int NDA_DST = 1;
  public static final int NDA_LLADDR = 2;
  /** The neighbour's owner, like a route's rtm_protocol (Linux 5.2+; a VXLAN FDB entry does not keep it). */
  public static final int NDA_PROTOCOL = 12;
  public static final int NUD_PERMANENT = 0x80;
  /** An FDB entry of the device itself (a VXLAN's remote), not of a bridge it belongs to. */
  public static final int NTF_SELF = 0x02;

  /** Rounds up to the 4-byte netlink alignment (NLMSG_ALIGN and NLA_ALIGN are the same). */
  public static int align(int n) {
    return (n + 3) & ~3;
  }
}
