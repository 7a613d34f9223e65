package io.weft.dataplane.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.NoSuchDeviceException;
import io.weft.dataplane.NotFoundException;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOpResult;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the code above the dataplane relies on, stated once and run against both the kernel (in a throwaway
 * namespace) and the in-memory twin, so that a unit test passing on the twin means what it would mean on
 * the kernel. Each implementation provides a namespace with an uplink {@code d0} holding 192.168.50.1/24.
 */
abstract class DataplaneContract {
  static final InetAddress GATEWAY = IpAddresses.parse("192.168.50.12");
  static final Cidr PODS = Cidr.parse("10.244.2.0/24");

  /** A handle on a namespace whose uplink d0 is up with 192.168.50.1/24. */
  abstract Dataplane dataplane();

  /** Puts {@code destination via 192.168.50.20 dev d0 proto static} into the main table, as another program would. */
  abstract void addForeignRoute(Cidr destination);

  @Test
  void aForeignRouteAtOurPrefixSurvivesAddAndDeleteWhileAReplaceTakesThePrefix() {
    Dataplane dp = dataplane();
    addForeignRoute(PODS);
    Route mine = Route.via(PODS, GATEWAY, "d0");
    assertThrows(AlreadyExistsException.class, () -> dp.routes().add(mine));
    assertThrows(NotFoundException.class, () -> dp.routes().delete(mine));
    Route foreign = dp.routes().list(RouteFilter.mainTable().withDestination(PODS)).get(0);
    assertEquals(4, foreign.protocol());
    // A replace is the kernel's and takes whatever holds the prefix: never sending one where a foreign
    // route was read is core's Reconcile (ReconcilePropertyTest), not a second rule down here.
    dp.routes().replace(mine);
    assertEquals(List.of(mine), dp.routes().list(RouteFilter.mainTable().withDestination(PODS)));
  }

  @Test
  void aWeftRouteIsAddedListedReplacedAndDeleted() {
    Dataplane dp = dataplane();
    Route route = Route.via(PODS, GATEWAY, "d0");
    dp.routes().add(route);
    List<Route> ours = dp.routes().list(RouteFilter.weft());
    assertEquals(1, ours.size(), ours.toString());
    assertEquals(PODS, ours.get(0).destination());
    assertEquals(GATEWAY, ours.get(0).gateway());
    assertEquals(Route.PROTOCOL_WEFT, ours.get(0).protocol());
    assertThrows(AlreadyExistsException.class, () -> dp.routes().add(route));
    Route moved = Route.via(PODS, IpAddresses.parse("192.168.50.13"), "d0");
    dp.routes().replace(moved);
    assertEquals(List.of(IpAddresses.parse("192.168.50.13")),
        dp.routes().list(RouteFilter.weft()).stream().map(Route::gateway).toList());
    dp.routes().delete(moved);
    assertTrue(dp.routes().list(RouteFilter.weft()).isEmpty());
    assertThrows(NotFoundException.class, () -> dp.routes().delete(moved));
  }

  @Test
  void aBatchReportsEachOperationOnItsOwnAndAppliesTheOthers() {
    Dataplane dp = dataplane();
    Route existing = Route.via(PODS, GATEWAY, "d0");
    dp.routes().add(existing);
    Route next = Route.via(Cidr.parse("10.244.3.0/24"), GATEWAY, "d0");
    List<RouteOpResult> results = dp.routes().apply(List.of(RouteOp.add(existing), RouteOp.add(next),
        RouteOp.delete(Route.via(Cidr.parse("10.244.4.0/24"), GATEWAY, "d0"))));
    assertEquals(3, results.size());
    assertInstanceOf(AlreadyExistsException.class, results.get(0).error());
    assertTrue(results.get(1).ok());
    assertInstanceOf(NotFoundException.class, results.get(2).error());
    assertEquals(2, dp.routes().list(RouteFilter.weft()).size());
  }

  @Test
  void aRouteThroughADeviceThatDoesNotExistIsRefused() {
    assertThrows(NoSuchDeviceException.class, () -> dataplane().routes().add(Route.via(PODS, GATEWAY, "nope0")));
  }

  @Test
  void theUnreachableRouteIsOurs() {
    Dataplane dp = dataplane();
    dp.routes().add(Route.unreachable(Cidr.parse("10.244.0.0/16")));
    List<Route> ours = dp.routes().list(RouteFilter.weft().withDestination(Cidr.parse("10.244.0.0/16")));
    assertEquals(1, ours.size(), ours.toString());
  }

  @Test
  void aBridgeIsEnsuredOnceAndAVethJoinsIt() {
    Dataplane dp = dataplane();
    Link bridge = dp.links().ensureBridge("v-net-0", 1450);
    assertEquals(1450, bridge.mtu());
    assertFalse(bridge.up(), "a new bridge is down until set up");
    assertEquals(bridge.index(), dp.links().ensureBridge("v-net-0", 1450).index(), "ensured, not made twice");
    dp.links().createVeth("weft0000aa01", "weftpeer01", null, 1450);
    dp.links().setMaster("weft0000aa01", "v-net-0");
    dp.links().setUp("weft0000aa01");
    Link host = dp.links().byName("weft0000aa01").orElseThrow();
    assertEquals(bridge.index(), host.masterIndex());
    assertTrue(host.up());
    assertEquals(1450, host.mtu());
    assertTrue(dp.links().byName("weftpeer01").isPresent(), "the peer is made in the same namespace when none is named");
    assertThrows(AlreadyExistsException.class, () -> dp.links().createVeth("weft0000aa01", "weftpeer02", null, 1450));
    dp.links().delete("weft0000aa01");
    assertTrue(dp.links().byName("weft0000aa01").isEmpty());
    assertTrue(dp.links().byName("weftpeer01").isEmpty(), "a veth's peer goes with it");
    assertThrows(NoSuchDeviceException.class, () -> dp.links().delete("weft0000aa01"));
    assertThrows(NoSuchDeviceException.class, () -> dp.links().setUp("weft0000aa01"));
  }

  @Test
  void anAddressIsAddedOnceAndListedOnItsDevice() {
    Dataplane dp = dataplane();
    dp.links().ensureBridge("v-net-0", 1500);
    InetAddress gateway = IpAddresses.parse("10.244.2.1");
    dp.addresses().add("v-net-0", gateway, 24);
    List<InterfaceAddress> onBridge = dp.addresses().list("v-net-0");
    assertEquals(1, onBridge.size(), onBridge.toString());
    assertEquals(gateway, onBridge.get(0).address());
    assertEquals(24, onBridge.get(0).prefixLength());
    assertThrows(AlreadyExistsException.class, () -> dp.addresses().add("v-net-0", gateway, 24));
    dp.addresses().delete("v-net-0", gateway, 24);
    assertTrue(dp.addresses().list("v-net-0").isEmpty());
    assertThrows(NoSuchDeviceException.class, () -> dp.addresses().add("nope0", gateway, 24));
  }
}
