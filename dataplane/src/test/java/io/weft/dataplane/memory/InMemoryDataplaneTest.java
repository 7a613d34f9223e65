package io.weft.dataplane.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.LinkEvent;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NetworkEventListener;
import io.weft.dataplane.NetworkUnreachableException;
import io.weft.dataplane.NoSuchDeviceException;
import io.weft.dataplane.NotFoundException;
import io.weft.dataplane.RouteEvent;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOpResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryDataplaneTest {
  final InMemoryDataplane dp = new InMemoryDataplane();
  final Route r2 = Route.via(Cidr.parse("10.244.2.0/24"), IpAddresses.parse("192.168.1.12"), "eth0");

  @Test
  void keepsTheKernelsRules() {
    dp.routes().add(r2);
    assertThrows(AlreadyExistsException.class, () -> dp.routes().add(r2));
    Route foreign = new Route(Cidr.parse("10.244.3.0/24"), Route.Type.UNICAST, IpAddresses.parse("192.168.1.1"), null, 4, 254);
    dp.addForeignRoute(foreign);
    assertThrows(IllegalArgumentException.class, () -> dp.routes().delete(foreign));
    Route mineSamePrefix = Route.via(foreign.destination(), IpAddresses.parse("192.168.1.13"), null);
    assertThrows(NotFoundException.class, () -> dp.routes().delete(mineSamePrefix));
    assertEquals(List.of(r2), dp.routes().list(RouteFilter.weft()));
    assertEquals(2, dp.routes().list(RouteFilter.all()).size());
    dp.routes().delete(r2);
    assertEquals(List.of(foreign), dp.routesSnapshot());
  }

  @Test
  void batchesReportEachOpAndInjectedFailures() {
    Route bad = Route.via(Cidr.parse("10.244.9.0/24"), IpAddresses.parse("10.9.9.9"), null);
    dp.failWhen(op -> op.route().equals(bad), NetlinkException.ENETUNREACH, "Nexthop has invalid gateway");
    List<RouteOpResult> res = dp.routes().apply(List.of(RouteOp.add(r2), RouteOp.add(bad)));
    assertNull(res.get(0).error());
    assertInstanceOf(NetworkUnreachableException.class, res.get(1).error());
    assertEquals(List.of(RouteOp.add(r2)), dp.appliedOps());
    assertEquals(1, dp.batchCount());
  }

  @Test
  void emitsEventsToSubscribers() {
    List<Object> seen = new ArrayList<>();
    dp.events().subscribe(new NetworkEventListener() {
      @Override public void onRouteChanged(RouteEvent e) { seen.add(e); }
      @Override public void onLinkChanged(LinkEvent e) { seen.add(e); }
      @Override public void onResyncNeeded(String reason) { seen.add(reason); }
    });
    dp.routes().add(r2);
    dp.removeExternally(r2.key());
    dp.signalResync("lost");
    assertEquals(List.of(new RouteEvent(false, r2), new RouteEvent(true, r2), "lost"), seen);
  }

  @Test
  void linksAndAddresses() {
    dp.links().ensureBridge("v-net-0", 1500);
    dp.links().createVeth("weft00000001", "eth0", java.nio.file.Path.of("/var/run/netns/pod"), 1500);
    dp.links().setMaster("weft00000001", "v-net-0");
    dp.links().setHairpin("weft00000001", true);
    assertTrue(dp.hairpin("weft00000001"));
    assertEquals(dp.links().byName("v-net-0").orElseThrow().index(), dp.links().byName("weft00000001").orElseThrow().masterIndex());
    dp.addresses().add("v-net-0", IpAddresses.parse("10.244.1.1"), 24);
    assertEquals(Cidr.parse("10.244.1.0/24"), dp.addresses().listIpv4().get(0).network());
    assertThrows(AlreadyExistsException.class, () -> dp.links().createVeth("weft00000001", "x", null, 1500));
    dp.links().setMac("weft00000001", MacAddress.parse("0a:58:0a:f4:01:05"));
    assertEquals(MacAddress.parse("0a:58:0a:f4:01:05"), dp.links().byName("weft00000001").orElseThrow().mac());
    assertThrows(NetlinkException.class, () -> dp.links().setMac("weft00000001", MacAddress.parse("01:00:5e:00:00:01")));
    assertThrows(NoSuchDeviceException.class, () -> dp.links().setMac("nope0", MacAddress.parse("02:00:00:00:00:01")));
  }
}
