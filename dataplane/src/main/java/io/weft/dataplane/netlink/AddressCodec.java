package io.weft.dataplane.netlink;

import io.weft.dataplane.InterfaceAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/** Interface addresses to and from RTM_*ADDR messages. */
public final class AddressCodec {
  private AddressCodec() {}

  /**
   * RTM_NEWADDR (CREATE|EXCL) or RTM_DELADDR for {@code address/prefixLength} on link {@code index}. For
   * IPv4, IFA_LOCAL is the address and IFA_ADDRESS the same (no peer), as {@code ip addr add} sends.
   */
  public static MessageBuilder encode(boolean add, int index, InetAddress address, int prefixLength) {
    int family = address instanceof Inet4Address ? Nl.AF_INET : Nl.AF_INET6;
    MessageBuilder b = new MessageBuilder(add ? Nl.RTM_NEWADDR : Nl.RTM_DELADDR,
        Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | (add ? Nl.NLM_F_CREATE | Nl.NLM_F_EXCL : 0))
        .ifaddrmsg(family, prefixLength, 0, index);
    if (family == Nl.AF_INET) {
      b.attribute(Nl.IFA_LOCAL, address.getAddress());
    }
    return b.attribute(Nl.IFA_ADDRESS, address.getAddress());
  }

  public static MessageBuilder dumpRequest(int family) {
    return new MessageBuilder(Nl.RTM_GETADDR, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP).ifaddrmsg(family, 0, 0, 0);
  }

  /** Decodes an RTM_NEWADDR message (IFA_LOCAL wins over IFA_ADDRESS, which is the peer on point-to-point). */
  public static InterfaceAddress decode(NetlinkMessage m, IntFunction<String> deviceName) {
    ByteBuffer p = m.payload();
    if (p.limit() < Nl.IFADDRMSG_LEN) {
      return null;
    }
    int prefix = Byte.toUnsignedInt(p.get(1));
    int index = p.getInt(4);
    Attributes a = Attributes.parse(p, Nl.IFADDRMSG_LEN, p.limit() - Nl.IFADDRMSG_LEN);
    InetAddress addr = a.address(Nl.IFA_LOCAL);
    if (addr == null) {
      addr = a.address(Nl.IFA_ADDRESS);
    }
    if (addr == null) {
      return null;
    }
    String name = deviceName.apply(index);
    return new InterfaceAddress(name != null ? name : "if" + index, index, addr, prefix);
  }
}
