package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.LinkEvent;
import io.weft.dataplane.NeighbourEvent;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NetworkEventListener;
import io.weft.dataplane.NetworkEvents;
import io.weft.dataplane.RouteEvent;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.Vxlan;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The VXLAN device, its neighbour and FDB entries and on-link routes through it, against the kernel of a
 * namespace made for each test; {@code ip -d link}, {@code ip neigh}, {@code bridge fdb} and
 * {@code ip route} are the oracle.
 */
@RequiresRoot
class NetlinkTunnelIT {
  private static final String DEV = "weft.vxlan";
  private static final MacAddress PEER_MAC = MacAddress.parse("02:57:c0:a8:02:0d");
  private static final InetAddress PEER_NODE = IpAddresses.parse("192.168.2.13");
  private static final InetAddress PEER_VTEP = IpAddresses.parse("10.244.9.0");

  TestNetns ns;
  NetlinkDataplane dp;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create("tunnel").withUplink();
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

  private Vxlan spec() {
    return new Vxlan(DEV, 87, 4789, (Inet4Address) IpAddresses.parse("192.168.50.1"), false, 1450,
        MacAddress.parse("02:57:c0:a8:32:01"));
  }

  @Test
  void createsAUnicastVxlanDeviceAsIpShowsIt() {
    dp.links().createVxlan(spec());

    JsonNode link = ns.json("-d", "link", "show", "dev", DEV).get(0);
    JsonNode data = link.get("linkinfo").get("info_data");
    assertEquals("vxlan", link.get("linkinfo").get("info_kind").asText());
    assertEquals(87, data.get("id").asInt());
    assertEquals(4789, data.get("port").asInt());
    assertEquals("192.168.50.1", data.get("local").asText());
    assertFalse(data.get("learning").asBoolean(), "learning off: " + data);
    assertFalse(data.has("group"), "no multicast group: " + data);
    assertEquals(1450, link.get("mtu").asInt());
    assertEquals("02:57:c0:a8:32:01", link.get("address").asText());
    assertEquals(spec(), dp.links().vxlan(DEV).orElseThrow());
    assertThrows(AlreadyExistsException.class, () -> dp.links().createVxlan(spec()));
    assertTrue(dp.links().vxlan("d0").isEmpty(), "a veth is no VXLAN device");
  }

  @Test
  void neighbourAndFdbEntriesArePermanentAndReplaceable() {
    dp.links().createVxlan(spec());
    dp.links().setUp(DEV);

    dp.neighbours().replace(DEV, PEER_VTEP, PEER_MAC);
    dp.neighbours().replace(DEV, PEER_VTEP, PEER_MAC);
    dp.neighbours().replaceFdb(DEV, PEER_MAC, PEER_NODE);
    dp.neighbours().replaceFdb(DEV, PEER_MAC, PEER_NODE);

    assertEquals("10.244.9.0 lladdr 02:57:c0:a8:02:0d PERMANENT proto 87",
        ns.ip("-d", "neigh", "show", "dev", DEV).trim(), "permanent and tagged with Weft's protocol, as its routes");
    String fdb = TestNetns.run("bridge", "-n", ns.name(), "fdb", "show", "dev", DEV).trim();
    assertEquals("02:57:c0:a8:02:0d dst 192.168.2.13 self permanent", fdb);
    assertEquals(List.of(new Neighbour(DEV, PEER_VTEP, PEER_MAC, true, 87)), dp.neighbours().list(DEV));
    assertEquals(List.of(new FdbEntry(DEV, PEER_MAC, PEER_NODE, true)), dp.neighbours().fdb(DEV));

    dp.neighbours().delete(DEV, PEER_VTEP);
    dp.neighbours().deleteFdb(DEV, PEER_MAC, PEER_NODE);
    assertEquals("", ns.ip("neigh", "show", "dev", DEV).trim());
    assertEquals("", TestNetns.run("bridge", "-n", ns.name(), "fdb", "show", "dev", DEV).trim());
    assertEquals(List.of(), dp.neighbours().list(DEV));
  }

  @Test
  void onLinkRouteThroughTheDeviceRoundTrips() {
    dp.links().createVxlan(spec());
    dp.links().setUp(DEV);
    Route r = Route.viaOnLink(Cidr.parse("10.244.9.0/24"), PEER_VTEP, DEV);

    dp.routes().add(r);

    assertEquals("10.244.9.0/24 via 10.244.9.0 dev weft.vxlan proto 87 onlink",
        ns.ip("route", "show", "10.244.9.0/24").trim().replace("proto weft", "proto 87"));
    List<Route> ours = dp.routes().list(RouteFilter.mainTable()).stream().filter(Route::isWeft).toList();
    assertEquals(List.of(r), ours);
  }

  @Test
  void neighbourChangesAreEvents() throws Exception {
    dp.links().createVxlan(spec());
    dp.links().setUp(DEV);
    LinkedBlockingQueue<NeighbourEvent> seen = new LinkedBlockingQueue<>();
    try (NetworkEvents events = dp.events()) {
      events.subscribe(new NetworkEventListener() {
        @Override
        public void onRouteChanged(RouteEvent event) {}

        @Override
        public void onLinkChanged(LinkEvent event) {}

        @Override
        public void onResyncNeeded(String reason) {}

        @Override
        public void onNeighbourChanged(NeighbourEvent event) {
          if (DEV.equals(event.device())) {
            seen.add(event);
          }
        }
      });
      dp.neighbours().replaceFdb(DEV, PEER_MAC, PEER_NODE);
      assertEquals(new NeighbourEvent(false, DEV, true), seen.poll(5, TimeUnit.SECONDS));
      TestNetns.run("bridge", "-n", ns.name(), "fdb", "del", PEER_MAC.toString(), "dev", DEV, "dst",
          "192.168.2.13", "self");
      assertEquals(new NeighbourEvent(true, DEV, true), seen.poll(5, TimeUnit.SECONDS));
      dp.neighbours().replace(DEV, PEER_VTEP, PEER_MAC);
      assertEquals(new NeighbourEvent(false, DEV, false), seen.poll(5, TimeUnit.SECONDS));
    }
  }
}
