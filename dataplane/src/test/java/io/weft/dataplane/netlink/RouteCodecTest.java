package io.weft.dataplane.netlink;

import static io.weft.dataplane.netlink.MessageBuilderTest.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RouteCodecTest {
  static final Route VIA = Route.via(Cidr.parse("10.244.2.0/24"), IpAddresses.parse("192.168.1.12"), "eth0");

  @BeforeAll
  static void littleEndian() {
    assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "expected bytes are written for little-endian hosts");
  }

  @Test
  void addIsCreateExclWithProtocol87TableDestinationGatewayAndDevice() {
    byte[] m = RouteCodec.encode(RouteOp.Kind.ADD, VIA, 3).build(7);
    assertArrayEquals(hex(
        "3c000000 1800 0506 07000000 00000000"   // len 60, RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE
            + "02 18 00 00 fe 57 00 01 00000000" // AF_INET /24 table 254 proto 87 universe unicast
            + "0800 0f00 fe000000"               // RTA_TABLE 254
            + "0800 0100 0af40200"               // RTA_DST 10.244.2.0
            + "0800 0500 c0a8010c"               // RTA_GATEWAY 192.168.1.12
            + "0800 0400 03000000"),             // RTA_OIF 3
        m);
  }

  @Test
  void replaceIsCreateReplace() {
    byte[] m = RouteCodec.encode(RouteOp.Kind.REPLACE, VIA, 3).build(1);
    assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_REPLACE,
        ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).getShort(6));
  }

  @Test
  void deleteCarriesProtocol87AndOnlyTheKey() {
    byte[] m = RouteCodec.encode(RouteOp.Kind.DELETE, VIA, 3).build(2);
    assertArrayEquals(hex(
        "2c000000 1900 0500 02000000 00000000"   // RTM_DELROUTE, REQUEST|ACK
            + "02 18 00 00 fe 57 ff 00 00000000" // proto 87, scope nowhere, any type
            + "0800 0f00 fe000000"
            + "0800 0100 0af40200"),
        m);
  }

  @Test
  void unreachableRouteHasItsTypeAndNoNextHop() {
    byte[] m = RouteCodec.encode(RouteOp.Kind.ADD, Route.unreachable(Cidr.parse("10.244.0.0/16")), 0).build(1);
    assertEquals(16 + 12 + 8 + 8, m.length);
    assertEquals(Nl.RTN_UNREACHABLE, m[16 + 7]);
  }

  @Test
  void deviceOnlyRouteHasLinkScope() {
    Route r = new Route(Cidr.parse("10.244.1.0/24"), Route.Type.UNICAST, null, "v-net-0", 87, 254);
    byte[] m = RouteCodec.encode(RouteOp.Kind.ADD, r, 5).build(1);
    assertEquals((byte) Nl.RT_SCOPE_LINK, m[16 + 6]);
  }

  @Test
  void aLargeTableGoesOnlyInTheAttribute() {
    Route r = new Route(Cidr.parse("10.244.1.0/24"), Route.Type.UNREACHABLE, null, null, 87, 1000);
    byte[] m = RouteCodec.encode(RouteOp.Kind.ADD, r, 0).build(1);
    assertEquals(0, m[16 + 4]);
    assertEquals(1000, ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).getInt(16 + 12 + 4));
  }

  @Test
  void everyKindRefusesAForeignProtocol() {
    Route foreign = new Route(Cidr.parse("10.244.2.0/24"), Route.Type.UNICAST, IpAddresses.parse("192.168.1.12"), null, 4, 254);
    for (RouteOp.Kind k : RouteOp.Kind.values()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RouteCodec.encode(k, foreign, 0));
      assertEquals("refusing to write route 10.244.2.0/24 via 192.168.1.12 proto 4: Weft only adds, replaces or deletes"
          + " routes with protocol 87 (weft)", e.getMessage());
    }
  }

  @Test
  void decodesWhatItEncodes() {
    byte[] m = RouteCodec.encode(RouteOp.Kind.ADD, VIA, 3).build(1);
    NetlinkMessage msg = NetlinkMessage.parseAll(ByteBuffer.wrap(m), m.length).get(0);
    assertEquals(VIA, RouteCodec.decode(msg, Map.of(3, "eth0")::get));
  }

  @Test
  void decodesAKernelDefaultRouteWithoutDestination() {
    byte[] m = new MessageBuilder(Nl.RTM_NEWROUTE, 0)
        .rtmsg(Nl.AF_INET, 0, 254, 3, 0, Nl.RTN_UNICAST)
        .u32(Nl.RTA_TABLE, 254)
        .attribute(Nl.RTA_GATEWAY, new byte[] {10, 0, 0, 1})
        .u32(Nl.RTA_OIF, 2)
        .build(0);
    Route r = RouteCodec.decode(NetlinkMessage.parseAll(ByteBuffer.wrap(m), m.length).get(0), i -> null);
    assertEquals(new Route(Cidr.parse("0.0.0.0/0"), Route.Type.UNICAST, IpAddresses.parse("10.0.0.1"), "if2", 3, 254), r);
  }

  @Test
  void skipsRouteTypesWeftDoesNotModel() {
    byte[] local = new MessageBuilder(Nl.RTM_NEWROUTE, 0)
        .rtmsg(Nl.AF_INET, 32, 255, 2, 254, 2 /* RTN_LOCAL */)
        .attribute(Nl.RTA_DST, new byte[] {127, 0, 0, 1})
        .build(0);
    assertNull(RouteCodec.decode(NetlinkMessage.parseAll(ByteBuffer.wrap(local), local.length).get(0), i -> "lo"));
  }

  @Test
  void decodesTheFirstHopOfAMultipathRoute() {
    MessageBuilder b = new MessageBuilder(Nl.RTM_NEWROUTE, 0)
        .rtmsg(Nl.AF_INET, 24, 254, 87, 0, Nl.RTN_UNICAST)
        .attribute(Nl.RTA_DST, new byte[] {10, (byte) 244, 9, 0});
    ByteBuffer hop = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
    hop.putShort((short) 16).put((byte) 0).put((byte) 0).putInt(4);
    hop.putShort((short) 8).putShort((short) Nl.RTA_GATEWAY).put(new byte[] {10, 0, 0, 9});
    byte[] m = b.attribute(Nl.RTA_MULTIPATH, hop.array()).build(0);
    Route r = RouteCodec.decode(NetlinkMessage.parseAll(ByteBuffer.wrap(m), m.length).get(0), Map.of(4, "eth1")::get);
    assertEquals(Route.via(Cidr.parse("10.244.9.0/24"), IpAddresses.parse("10.0.0.9"), "eth1"), r);
  }

  @Test
  void strictDumpRequestsCarryTheFilter() {
    byte[] m = RouteCodec.dumpRequest(Nl.AF_INET, 254, 87, true).build(1);
    assertEquals(16 + 12 + 8, m.length);
    assertEquals((byte) 254, m[16 + 4]);
    assertEquals(87, m[16 + 5]);
    byte[] loose = RouteCodec.dumpRequest(Nl.AF_INET, 254, 87, false).build(1);
    assertEquals(16 + 12, loose.length);
    assertEquals(0, loose[16 + 4]);
  }
}
