package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.cidr;
import static io.weft.core.plan.Fixtures.ip;
import static io.weft.core.plan.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerPath;
import io.weft.core.model.Route;
import io.weft.core.model.TunnelEndpoint;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.net.MacAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutePlannerTest {
  private static final long NOW = 1_000_000_000L;
  private static final Map<Cidr, String> LAN = Map.of(cidr("192.168.1.0/24"), "eth0");
  private static final String VXLAN = "weft.vxlan";
  private final RoutePlanner planner = new RoutePlanner(CLUSTER, Duration.ofSeconds(120), TunnelMode.NEVER, VXLAN);
  private final RoutePlanner auto = new RoutePlanner(CLUSTER, Duration.ofSeconds(120), TunnelMode.AUTO, VXLAN);
  private final RoutePlanner always = new RoutePlanner(CLUSTER, Duration.ofSeconds(120), TunnelMode.ALWAYS, VXLAN);

  private final NodeRecord node1 = node("node-1", "192.168.1.11", "10.244.1.0/24");
  private final NodeRecord node2 = node("node-2", "192.168.1.12", "10.244.2.0/24");
  private final NodeRecord node3 = node("node-3", "192.168.1.13", "10.244.3.0/24");

  @Test
  void seedExampleOnNodeOne() {
    RoutePlan plan = planner.plan(node1, List.of(Peer.up(node3, NOW), Peer.up(node2, NOW)), LAN, NOW);

    assertEquals(List.of(
            Route.unreachable(cidr("10.244.0.0/16")),
            Route.via(cidr("10.244.2.0/24"), ip("192.168.1.12"), "eth0"),
            Route.via(cidr("10.244.3.0/24"), ip("192.168.1.13"), "eth0")),
        plan.routes());
    assertEquals(List.of(), plan.skipped());
    assertEquals("10.244.2.0/24 via 192.168.1.12 dev eth0 proto weft", plan.routes().get(1).toString());
  }

  @Test
  void ownRecordAmongPeersIsIgnored() {
    RoutePlan plan = planner.plan(node1, List.of(Peer.up(node1, NOW), Peer.up(node2, NOW)), LAN, NOW);
    assertEquals(2, plan.routes().size());
    assertEquals(List.of(), plan.skipped());
  }

  @Test
  void downPeerKeepsItsRouteForTheGraceOnly() {
    Peer down = Peer.up(node2, NOW).down(NOW);
    long justBefore = NOW + Duration.ofSeconds(120).toMillis() - 1;
    long atGrace = NOW + Duration.ofSeconds(120).toMillis();

    assertEquals(2, planner.plan(node1, List.of(down), LAN, justBefore).routes().size());
    RoutePlan expired = planner.plan(node1, List.of(down), LAN, atGrace);
    assertEquals(List.of(Route.unreachable(CLUSTER)), expired.routes());
    assertEquals(List.of(), expired.skipped(), "an expired peer is gone, not skipped");
  }

  @Test
  void peerOffTheLanIsSkippedWithTheExactReason() {
    NodeRecord far = node("far", "172.16.0.5", "10.244.9.0/24");
    RoutePlan plan = planner.plan(node1, List.of(Peer.up(far, NOW), Peer.up(node2, NOW)), LAN, NOW);

    assertEquals(2, plan.routes().size());
    assertEquals(List.of(new SkippedPeer("far", cidr("10.244.9.0/24"), ip("172.16.0.5"),
        "unreachable: not on a shared L2 network (--tunnel never)")), plan.skipped());
  }

  @Test
  void autoTunnelsThePeerBehindARouterAndRoutesTheOnLinkOneDirectly() {
    NodeRecord far = node("far", "192.168.2.13", "10.244.9.0/24");
    RoutePlan plan = auto.plan(node1, List.of(Peer.up(far, NOW), Peer.up(node2, NOW)), LAN, NOW);

    assertEquals(List.of(
            Route.unreachable(CLUSTER),
            Route.via(cidr("10.244.2.0/24"), ip("192.168.1.12"), "eth0"),
            Route.viaOnLink(cidr("10.244.9.0/24"), ip("10.244.9.0"), VXLAN)),
        plan.routes());
    assertEquals("10.244.9.0/24 via 10.244.9.0 dev weft.vxlan onlink proto weft", plan.routes().get(2).toString());
    assertEquals(Map.of("far", PeerPath.VXLAN, "node-2", PeerPath.DIRECT), plan.paths());
    assertEquals(List.of(new TunnelEndpoint("far", ip("192.168.2.13"), cidr("10.244.9.0/24"), ip("10.244.9.0"),
        MacAddress.parse("02:57:c0:a8:02:0d"))), plan.tunnels());
    assertEquals(List.of(), plan.skipped());
  }

  @Test
  void alwaysTunnelsEvenTheOnLinkPeer() {
    RoutePlan plan = always.plan(node1, List.of(Peer.up(node2, NOW)), LAN, NOW);

    assertEquals(List.of(Route.unreachable(CLUSTER), Route.viaOnLink(cidr("10.244.2.0/24"), ip("10.244.2.0"), VXLAN)),
        plan.routes());
    assertEquals(Map.of("node-2", PeerPath.VXLAN), plan.paths());
    assertTrue(plan.needsTunnel());
  }

  @Test
  void aTunnelNeedsAnIpv4NodeIp() {
    NodeRecord v6 = node("v6", "fd00::13", "10.244.9.0/24");
    RoutePlan plan = auto.plan(node1, List.of(Peer.up(v6, NOW)), LAN, NOW);

    assertEquals(List.of(Route.unreachable(CLUSTER)), plan.routes());
    assertEquals(RoutePlanner.TUNNEL_NEEDS_IPV4, plan.skipped().get(0).reason());
  }

  @Test
  void overlappingSubnetsAreSkippedOnBothSides() {
    NodeRecord thief = node("thief", "192.168.1.66", "10.244.1.0/24");
    NodeRecord twinA = node("twin-a", "192.168.1.21", "10.244.7.0/24");
    NodeRecord twinB = node("twin-b", "192.168.1.22", "10.244.7.0/24");
    RoutePlan plan = planner.plan(node1,
        List.of(Peer.up(thief, NOW), Peer.up(twinB, NOW), Peer.up(twinA, NOW), Peer.up(node2, NOW)), LAN, NOW);

    assertEquals(List.of(Route.unreachable(CLUSTER), Route.via(cidr("10.244.2.0/24"), ip("192.168.1.12"), "eth0")),
        plan.routes());
    assertEquals(List.of("thief", "twin-a", "twin-b"),
        plan.skipped().stream().map(SkippedPeer::nodeName).toList());
    assertEquals("conflict: subnet 10.244.1.0/24 overlaps this node's subnet 10.244.1.0/24",
        plan.skipped().get(0).reason());
    assertEquals("conflict: subnet 10.244.7.0/24 overlaps twin-b's subnet 10.244.7.0/24",
        plan.skipped().get(1).reason());
  }

  @Test
  void subnetOutsideTheClusterIsNeverRouted() {
    NodeRecord hijack = node("hijack", "192.168.1.66", "0.0.0.0/0");
    NodeRecord whole = node("whole", "192.168.1.67", "10.244.0.0/16");
    RoutePlan plan = planner.plan(node1, List.of(Peer.up(hijack, NOW), Peer.up(whole, NOW)), LAN, NOW);

    assertEquals(List.of(Route.unreachable(CLUSTER)), plan.routes());
    assertTrue(plan.skipped().stream().allMatch(s -> s.reason().startsWith("invalid: subnet")), plan.toString());
  }

  @Test
  void mostSpecificConnectedNetworkGivesTheDevice() {
    Map<Cidr, String> nets = Map.of(cidr("192.168.0.0/16"), "br0", cidr("192.168.1.0/24"), "eth0",
        cidr("192.168.2.0/24"), "eth1");
    RoutePlan plan = planner.plan(node1, List.of(Peer.up(node2, NOW),
        Peer.up(node("node-4", "192.168.7.4", "10.244.4.0/24"), NOW)), nets, NOW);

    assertEquals(List.of("eth0", "br0"), plan.routes().stream().skip(1).map(Route::device).toList());
  }

  @Test
  void refusesNegativeGrace() {
    assertThrows(IllegalArgumentException.class, () -> new RoutePlanner(CLUSTER, Duration.ofSeconds(-1), TunnelMode.AUTO, VXLAN));
  }
}
