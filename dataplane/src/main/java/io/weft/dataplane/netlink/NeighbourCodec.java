package io.weft.dataplane.netlink;

import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.model.Route;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/** Neighbour (AF_INET) and FDB (AF_BRIDGE) entries to and from RTM_*NEIGH messages. */
public final class NeighbourCodec {
  private NeighbourCodec() {}

  /** The family of an RTM_*NEIGH message: AF_INET for a neighbour, AF_BRIDGE for an FDB entry. */
  public static int family(NetlinkMessage m) {
    ByteBuffer p = m.payload();
    return p.limit() < Nl.NDMSG_LEN ? -1 : Byte.toUnsignedInt(p.get(0));
  }

  /** The device index of an RTM_*NEIGH message, or 0 when it is too short. */
  public static int index(NetlinkMessage m) {
    ByteBuffer p = m.payload();
    return p.limit() < Nl.NDMSG_LEN ? 0 : p.getInt(4);
  }

  /** An IPv4 neighbour entry, or null for anything else. */
  public static Neighbour decodeNeighbour(NetlinkMessage m, IntFunction<String> deviceName) {
    if (family(m) != Nl.AF_INET) {
      return null;
    }
    ByteBuffer p = m.payload();
    Attributes a = Attributes.parse(p, Nl.NDMSG_LEN, p.limit() - Nl.NDMSG_LEN);
    InetAddress dst = a.address(Nl.NDA_DST);
    String device = deviceName.apply(p.getInt(4));
    if (dst == null || device == null) {
      return null;
    }
    Integer protocol = a.u8(Nl.NDA_PROTOCOL);
    return new Neighbour(device, dst, mac(a.bytes(Nl.NDA_LLADDR)), isPermanent(p), protocol == null ? 0 : protocol);
  }

  /** A device's own FDB entry ({@code self}), or null for anything else. */
  public static FdbEntry decodeFdb(NetlinkMessage m, IntFunction<String> deviceName) {
    if (family(m) != Nl.AF_BRIDGE) {
      return null;
    }
    ByteBuffer p = m.payload();
    Attributes a = Attributes.parse(p, Nl.NDMSG_LEN, p.limit() - Nl.NDMSG_LEN);
    MacAddress mac = mac(a.bytes(Nl.NDA_LLADDR));
    String device = deviceName.apply(p.getInt(4));
    if (mac == null || device == null) {
      return null;
    }
    return new FdbEntry(device, mac, a.address(Nl.NDA_DST), isPermanent(p));
  }

  /** A dump of every neighbour of one family (the caller keeps its device's). */
  public static MessageBuilder dumpRequest(int family) {
    return new MessageBuilder(Nl.RTM_GETNEIGH, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP).ndmsg(family, 0, 0, 0);
  }

  /** {@code ip neigh replace ADDRESS lladdr MAC dev INDEX nud permanent protocol 87}. */
  public static MessageBuilder replaceNeighbour(int index, InetAddress address, MacAddress mac) {
    return new MessageBuilder(Nl.RTM_NEWNEIGH, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_REPLACE)
        .ndmsg(Nl.AF_INET, index, Nl.NUD_PERMANENT, 0)
        .attribute(Nl.NDA_DST, address.getAddress())
        .attribute(Nl.NDA_LLADDR, mac.toBytes())
        .u8(Nl.NDA_PROTOCOL, Route.PROTOCOL_WEFT);
  }

  public static MessageBuilder deleteNeighbour(int index, InetAddress address) {
    return new MessageBuilder(Nl.RTM_DELNEIGH, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ndmsg(Nl.AF_INET, index, 0, 0)
        .attribute(Nl.NDA_DST, address.getAddress());
  }

  /** {@code bridge fdb replace MAC dev INDEX dst DESTINATION self permanent}. */
  public static MessageBuilder replaceFdb(int index, MacAddress mac, InetAddress destination) {
    return new MessageBuilder(Nl.RTM_NEWNEIGH, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_REPLACE)
        .ndmsg(Nl.AF_BRIDGE, index, Nl.NUD_PERMANENT, Nl.NTF_SELF)
        .attribute(Nl.NDA_LLADDR, mac.toBytes())
        .attribute(Nl.NDA_DST, destination.getAddress());
  }

  /** {@code bridge fdb del MAC dev INDEX [dst DESTINATION] self}. */
  public static MessageBuilder deleteFdb(int index, MacAddress mac, InetAddress destination) {
    MessageBuilder b = new MessageBuilder(Nl.RTM_DELNEIGH, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .ndmsg(Nl.AF_BRIDGE, index, 0, Nl.NTF_SELF)
        .attribute(Nl.NDA_LLADDR, mac.toBytes());
    return destination == null ? b : b.attribute(Nl.NDA_DST, destination.getAddress());
  }

  private static boolean isPermanent(ByteBuffer ndmsg) {
    return (Short.toUnsignedInt(ndmsg.getShort(8)) & Nl.NUD_PERMANENT) != 0;
  }

  private static MacAddress mac(byte[] bytes) {
    return bytes != null && bytes.length == 6 ? MacAddress.of(bytes) : null;
  }
}
