package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.weft.core.net.MacAddress;
import io.weft.dataplane.Link;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class LinkCodecTest {

  private static NetlinkMessage parse(byte[] m) {
    return NetlinkMessage.parseAll(ByteBuffer.wrap(m), m.length).get(0);
  }

  @Test
  void vethPeerTravelsAsAnIfinfomsgWithItsOwnAttributesThreeLevelsDown() {
    NetlinkMessage m = parse(LinkCodec.createVeth("weft0a1b2c3d", "eth0", 42, 1450).build(1));
    assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, m.flags());
    ByteBuffer p = m.payload();
    Attributes top = Attributes.parse(p, Nl.IFINFOMSG_LEN, p.limit() - Nl.IFINFOMSG_LEN);
    assertEquals("weft0a1b2c3d", top.string(Nl.IFLA_IFNAME));
    assertEquals(1450, top.u32(Nl.IFLA_MTU));
    Attributes info = top.nested(Nl.IFLA_LINKINFO);
    assertEquals("veth", info.string(Nl.IFLA_INFO_KIND));
    ByteBuffer peer = info.nested(Nl.IFLA_INFO_DATA).get(Nl.VETH_INFO_PEER);
    Attributes peerAttrs = Attributes.parse(peer, Nl.IFINFOMSG_LEN, peer.limit() - Nl.IFINFOMSG_LEN);
    assertEquals("eth0", peerAttrs.string(Nl.IFLA_IFNAME));
    assertEquals(42, peerAttrs.u32(Nl.IFLA_NET_NS_FD));
    assertEquals(1450, peerAttrs.u32(Nl.IFLA_MTU));
    // the nest lengths add up: the whole payload is consumed exactly
    ByteBuffer linkinfo = top.get(Nl.IFLA_LINKINFO);
    // nest header, kind "veth\0" (9 -> 12), data header, peer header, ifinfomsg, "eth0\0" (9 -> 12), mtu, fd
    assertEquals(4 + 12 + 4 + 4 + 16 + 12 + 8 + 8, 4 + linkinfo.limit());
  }

  @Test
  void vethWithoutNamespaceHasNoFd() {
    NetlinkMessage m = parse(LinkCodec.createVeth("a", "b", -1, 0).build(1));
    ByteBuffer p = m.payload();
    ByteBuffer peer = Attributes.parse(p, 16, p.limit() - 16).nested(Nl.IFLA_LINKINFO).nested(Nl.IFLA_INFO_DATA)
        .get(Nl.VETH_INFO_PEER);
    Attributes peerAttrs = Attributes.parse(peer, 16, peer.limit() - 16);
    assertNull(peerAttrs.u32(Nl.IFLA_NET_NS_FD));
    assertNull(peerAttrs.u32(Nl.IFLA_MTU));
  }

  @Test
  void hairpinIsABridgeFamilySetlinkWithNestedProtinfo() {
    NetlinkMessage m = parse(LinkCodec.setHairpin(9, true).build(1));
    assertEquals(Nl.RTM_SETLINK, m.type());
    assertEquals(Nl.AF_BRIDGE, m.payload().get(0));
    assertEquals(9, m.payload().getInt(4));
    Attributes a = Attributes.parse(m.payload(), 16, m.payload().limit() - 16);
    assertEquals(1, a.nested(Nl.IFLA_PROTINFO).u8(Nl.IFLA_BRPORT_MODE));
  }

  @Test
  void arpNotifyIsAnInetDevconfEntryInsideAfSpec() {
    NetlinkMessage m = parse(LinkCodec.setArpNotify(5, true).build(1));
    assertEquals(Nl.RTM_SETLINK, m.type());
    assertEquals(Nl.AF_UNSPEC, m.payload().get(0));
    assertEquals(5, m.payload().getInt(4));
    Attributes a = Attributes.parse(m.payload(), 16, m.payload().limit() - 16);
    Attributes conf = a.nested(Nl.IFLA_AF_SPEC).nested(Nl.AF_INET).nested(Nl.IFLA_INET_CONF);
    assertEquals(1, conf.u32(Nl.IPV4_DEVCONF_ARP_NOTIFY));
    assertEquals(0, Attributes.parse(parse(LinkCodec.setArpNotify(5, false).build(1)).payload(), 16,
        m.payload().limit() - 16).nested(Nl.IFLA_AF_SPEC).nested(Nl.AF_INET).nested(Nl.IFLA_INET_CONF)
        .u32(Nl.IPV4_DEVCONF_ARP_NOTIFY));
  }

  @Test
  void setAddressIsANewlinkOnTheIndexWithSixBytesOfIflaAddress() {
    NetlinkMessage m = parse(LinkCodec.setAddress(12, MacAddress.parse("0a:58:0a:f4:01:05")).build(1));
    assertEquals(Nl.RTM_NEWLINK, m.type());
    assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_ACK, m.flags());
    assertEquals(12, m.payload().getInt(4));
    Attributes a = Attributes.parse(m.payload(), 16, m.payload().limit() - 16);
    assertArrayEquals(new byte[] {0x0a, 0x58, 0x0a, (byte) 0xf4, 0x01, 0x05}, a.bytes(Nl.IFLA_ADDRESS));
  }

  @Test
  void decodesALinkMessage() {
    MessageBuilder b = new MessageBuilder(Nl.RTM_NEWLINK, 0)
        .ifinfomsg(Nl.AF_UNSPEC, 7, Nl.IFF_UP | Nl.IFF_LOWER_UP | 0x1000, 0)
        .string(Nl.IFLA_IFNAME, "v-net-0")
        .attribute(Nl.IFLA_ADDRESS, new byte[] {2, 0x42, (byte) 0xac, 0x11, 0, 2})
        .u32(Nl.IFLA_MTU, 1500)
        .u32(Nl.IFLA_MASTER, 0);
    int info = b.beginNested(Nl.IFLA_LINKINFO);
    b.string(Nl.IFLA_INFO_KIND, "bridge");
    b.endNested(info);
    assertEquals(new Link(7, "v-net-0", "bridge", MacAddress.parse("02:42:ac:11:00:02"), 1500, true, 0, true),
        LinkCodec.decode(parse(b.build(0))));
  }

  @Test
  void bridgePortMessagesAreNotLinks() {
    assertNull(LinkCodec.decode(parse(new MessageBuilder(Nl.RTM_DELLINK, 0).ifinfomsg(Nl.AF_BRIDGE, 3, 0, 0).build(0))));
  }
}
