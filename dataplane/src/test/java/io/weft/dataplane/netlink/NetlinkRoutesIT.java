package io.weft.dataplane.netlink;

import static io.weft.dataplane.netlink.KernelOracle.lines;
import static io.weft.dataplane.netlink.KernelOracle.weftRoutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NetworkUnreachableException;
import io.weft.dataplane.NoSuchDeviceException;
import io.weft.dataplane.NotFoundException;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOpResult;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routes against the kernel of a namespace made for each test; `ip -j route` is the oracle. */
@RequiresRoot
class NetlinkRoutesIT {
  static final InetAddress GW = IpAddresses.parse("192.168.50.12");
  static final Cidr P2 = Cidr.parse("10.244.2.0/24");

  TestNetns ns;
  NetlinkDataplane dp;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create("routes").withUplink();
    dp = NetlinkDataplane.in(ns.path());
  }

  @AfterEach
  void cleanup() {
    if (dp != null) {
      dp.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  @Test
  void addReplaceDeleteAsTheKernelSeesThem() {
    Route r = Route.via(P2, GW, "d0");
    dp.routes().add(r);
    assertEquals(Set.of("10.244.2.0/24 via 192.168.50.12 dev d0 table main"), weftRoutes(ns));
    assertEquals(List.of(r), dp.routes().list(RouteFilter.weft()));

    Route moved = Route.via(P2, IpAddresses.parse("192.168.50.13"), "d0");
    dp.routes().replace(moved);
    assertEquals(Set.of("10.244.2.0/24 via 192.168.50.13 dev d0 table main"), weftRoutes(ns));

    Route noDevice = Route.via(Cidr.parse("10.244.3.0/24"), GW, null);
    dp.routes().add(noDevice);
    assertTrue(weftRoutes(ns).contains("10.244.3.0/24 via 192.168.50.12 dev d0 table main"), "the kernel picks the device");

    dp.routes().delete(moved);
    dp.routes().delete(noDevice);
    assertEquals(Set.of(), weftRoutes(ns));
    assertEquals(List.of(), dp.routes().list(RouteFilter.weft()));
    assertThrows(NotFoundException.class, () -> dp.routes().delete(moved));
  }

  @Test
  void unreachableDeviceAndOtherTableRoutes() {
    List<Route> routes = List.of(
        Route.unreachable(Cidr.parse("10.244.0.0/16")),
        new Route(Cidr.parse("10.244.1.0/24"), Route.Type.UNICAST, null, "d0", Route.PROTOCOL_WEFT, Route.TABLE_MAIN),
        new Route(Cidr.parse("10.244.6.0/24"), Route.Type.UNICAST, GW, "d0", Route.PROTOCOL_WEFT, 100),
        new Route(Cidr.parse("10.244.7.0/24"), Route.Type.UNREACHABLE, null, null, Route.PROTOCOL_WEFT, 1000));
    routes.forEach(dp.routes()::add);
    assertEquals(lines(routes), weftRoutes(ns));
    assertEquals(lines(routes), lines(dp.routes().list(RouteFilter.weft())));
    assertEquals(List.of(routes.get(2)), dp.routes().list(RouteFilter.weft().withTable(100)));
    assertEquals(List.of(routes.get(3)), dp.routes().list(RouteFilter.weft().withTable(1000)));
    assertEquals(List.of(routes.get(0)), dp.routes().list(RouteFilter.all().withDestination(Cidr.parse("10.244.0.0/16"))));
    // the kernel's connected route is listed too, with its own protocol (2 = kernel)
    Route connected = dp.routes().list(RouteFilter.mainTable().withDestination(Cidr.parse("192.168.50.0/24"))).get(0);
    assertEquals(2, connected.protocol());
    assertEquals("d0", connected.device());
    assertEquals(List.of(), dp.routes().list(RouteFilter.weft().withTable(4242)));
  }

  @Test
  void aForeignRouteWithTheSamePrefixIsNeverTouched() {
    ns.ip("route", "add", "10.244.5.0/24", "via", "192.168.50.20", "proto", "static");
    ns.ip("route", "add", "blackhole", "10.244.8.0/24");
    Route mine5 = Route.via(Cidr.parse("10.244.5.0/24"), GW, "d0");
    Route mine8 = Route.via(Cidr.parse("10.244.8.0/24"), GW, "d0");
    String before = ns.ip("route", "show", "table", "all");

    // Delete names protocol 87 and add is exclusive: neither can touch another program's route. (A replace
    // would take the prefix, as the kernel's replace does; core's Reconcile never sends one there.)
    assertThrows(NotFoundException.class, () -> dp.routes().delete(mine5));
    assertThrows(AlreadyExistsException.class, () -> dp.routes().add(mine5));
    List<RouteOpResult> res = dp.routes().apply(List.of(RouteOp.delete(mine8), RouteOp.add(mine8)));
    assertInstanceOf(NotFoundException.class, res.get(0).error());
    assertInstanceOf(AlreadyExistsException.class, res.get(1).error());

    assertEquals(before, ns.ip("route", "show", "table", "all"));
    assertEquals(Set.of(), weftRoutes(ns));
  }

  @Test
  void routesWithoutProtocol87AreRefusedBeforeAnythingIsSent() {
    Route foreign = new Route(P2, Route.Type.UNICAST, GW, "d0", 4, Route.TABLE_MAIN);
    String before = ns.ip("route", "show", "table", "all");
    assertThrows(IllegalArgumentException.class, () -> dp.routes().add(foreign));
    assertThrows(IllegalArgumentException.class, () -> dp.routes().replace(foreign));
    assertThrows(IllegalArgumentException.class, () -> dp.routes().delete(foreign));
    // a batch is refused as a whole, even its valid ops
    assertThrows(IllegalArgumentException.class,
        () -> dp.routes().apply(List.of(RouteOp.add(Route.via(P2, GW, "d0")), RouteOp.delete(foreign))));
    assertEquals(before, ns.ip("route", "show", "table", "all"));
  }

  @Test
  void errorsNameTheStepAndCarryTheKernelsWords() {
    dp.routes().add(Route.via(P2, GW, "d0"));
    AlreadyExistsException dup = assertThrows(AlreadyExistsException.class, () -> dp.routes().add(Route.via(P2, GW, "d0")));
    assertTrue(dup.getMessage().startsWith("could not add route 10.244.2.0/24 via 192.168.50.12 dev d0 proto weft: file exists"),
        dup.getMessage());

    NoSuchDeviceException dev = assertThrows(NoSuchDeviceException.class,
        () -> dp.routes().add(Route.via(Cidr.parse("10.244.3.0/24"), GW, "nope0")));
    assertEquals("could not add route 10.244.3.0/24 via 192.168.50.12 dev nope0 proto weft: no such device (no link named nope0)",
        dev.getMessage());

    NetworkUnreachableException unreach = assertThrows(NetworkUnreachableException.class,
        () -> dp.routes().add(Route.via(Cidr.parse("10.244.4.0/24"), IpAddresses.parse("192.168.99.1"), "d0")));
    assertNotNull(unreach.kernelMessage(), "the kernel explains (extended ACK)");
    assertEquals("could not add route 10.244.4.0/24 via 192.168.99.1 dev d0 proto weft: network unreachable ("
        + unreach.kernelMessage() + ")", unreach.getMessage());
    assertTrue(unreach.kernelMessage().toLowerCase().contains("gateway"), unreach.kernelMessage());
    assertEquals(Set.of("10.244.2.0/24 via 192.168.50.12 dev d0 table main"), weftRoutes(ns));
  }

  @Test
  void aBatchReportsEachOpAndGoesOnAfterAFailure() {
    List<RouteOp> ops = List.of(
        RouteOp.add(Route.via(Cidr.parse("10.244.1.0/24"), GW, "d0")),
        RouteOp.add(Route.via(Cidr.parse("10.244.2.0/24"), IpAddresses.parse("10.9.9.9"), "d0")),
        RouteOp.add(Route.via(Cidr.parse("10.244.3.0/24"), GW, "nope0")),
        RouteOp.add(Route.via(Cidr.parse("10.244.1.0/24"), GW, "d0")),
        RouteOp.add(Route.unreachable(Cidr.parse("10.244.4.0/24"))));
    List<RouteOpResult> res = dp.routes().apply(ops);
    assertNull(res.get(0).error());
    assertInstanceOf(NetworkUnreachableException.class, res.get(1).error());
    assertInstanceOf(NoSuchDeviceException.class, res.get(2).error());
    assertInstanceOf(AlreadyExistsException.class, res.get(3).error());
    assertNull(res.get(4).error());
    assertEquals(ops, res.stream().map(RouteOpResult::op).toList());
    assertEquals(Set.of("10.244.1.0/24 via 192.168.50.12 dev d0 table main", "unreachable 10.244.4.0/24 table main"),
        weftRoutes(ns));
  }

  @Test
  void ipv6RoutesTakeTheSamePath() {
    ns.ip("addr", "add", "fd00:50::1/64", "dev", "d0", "nodad");
    Route r = Route.via(Cidr.parse("fd00:244:2::/64"), IpAddresses.parse("fd00:50::12"), "d0");
    dp.routes().add(r);
    JsonNode k = ns.json("-6", "route", "show", "proto", "87").get(0);
    assertEquals("fd00:244:2::/64", k.get("dst").asText());
    assertEquals("fd00:50::12", k.get("gateway").asText());
    assertEquals(List.of(r), dp.routes().list(RouteFilter.weft().withDestination(r.destination())));
    assertEquals(List.of(), dp.routes().list(RouteFilter.weft()), "an unqualified filter lists IPv4");
    dp.routes().delete(r);
    assertEquals(0, ns.json("-6", "route", "show", "proto", "87").size());
  }

  @Test
  void tenThousandRoutesInOneBatchAndBack() {
    List<Route> routes = new ArrayList<>();
    Cidr space = Cidr.parse("10.0.0.0/10");
    for (int i = 0; i < 10_000; i++) {
      routes.add(Route.via(space.subnet(24, i), GW, "d0"));
    }
    List<RouteOpResult> added = dp.routes().apply(routes.stream().map(RouteOp::add).toList());
    assertEquals(List.of(), added.stream().filter(r -> !r.ok()).toList());
    Set<String> kernel = weftRoutes(ns);
    assertEquals(10_000, kernel.size());
    assertEquals(lines(routes), kernel);
    List<Route> listed = dp.routes().list(RouteFilter.weft().withTable(Route.TABLE_MAIN));
    assertEquals(Set.copyOf(routes), Set.copyOf(listed));

    List<RouteOpResult> deleted = dp.routes().apply(routes.stream().map(RouteOp::delete).toList());
    assertEquals(List.of(), deleted.stream().filter(r -> !r.ok()).map(r -> r.error().getMessage())
        .collect(Collectors.toList()));
    assertEquals(Set.of(), weftRoutes(ns));
  }
}
