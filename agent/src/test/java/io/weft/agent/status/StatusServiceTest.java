package io.weft.agent.status;

import static io.weft.agent.converge.FakeMesh.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.api.ApiRequest;
import io.weft.agent.api.ApiResponse;
import io.weft.agent.converge.EgressSettings;
import io.weft.agent.converge.ReconcileReport;
import io.weft.agent.converge.TunnelSettings;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerPath;
import io.weft.core.model.Route;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.plan.RouteDiff;
import io.weft.core.plan.RoutePlanner;
import io.weft.core.plan.SkippedPeer;
import io.weft.dataplane.PacketFilter.BackendState;
import io.weft.gossip.MeshSnapshot;
import io.weft.gossip.MeshSnapshot.SeedStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class StatusServiceTest {
  public static final long NOW = 1_700_000_000_000L;
  public static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");
  public static final NodeRecord SELF = record("node-a", "192.168.1.11", "10.244.1.0/24");
  public static final NodeRecord B = record("node-b", "192.168.1.12", "10.244.2.0/24");
  public static final NodeRecord C = record("node-c", "192.168.1.13", "10.244.3.0/24");
  public static final NodeRecord FAR = record("node-far", "172.16.9.9", "10.244.9.0/24");
  public static final Route TO_B = Route.via(B.podSubnet(), B.nodeIp(), "eth0");
  public static final Route TO_C = Route.via(C.podSubnet(), C.nodeIp(), "eth0");

  public static MeshSnapshot snapshot(Map<String, Peer> peers, int viewSize) {
    return new MeshSnapshot(SELF, peers, List.of(), List.of(), List.of(),
        new SeedStatus(SeedStatus.State.JOINED, List.of("192.168.1.12:6783"), 1, 0, "joined"), List.of(), viewSize, "node-a",
        new MeshSnapshot.Counters(1000, 2000, 10, 20, 0, 0), NOW);
  }

  public static ReconcileReport report(List<Route> desired, List<Route> kernel, List<SkippedPeer> skipped) {
    return new ReconcileReport(4, NOW - 2000, 1_500_000, "mesh changed", SELF, desired, skipped,
        RouteDiff.status(desired, kernel), RouteDiff.between(desired, kernel).conflicts(), 1, 0, 0, List.of(), 0,
        List.of(12L), new ReconcileReport.Adoption(false, NOW, NOW - 1000, "mesh view settled", List.of()), 0, 0,
        Map.of("node-b", PeerPath.DIRECT, "node-c", PeerPath.VXLAN), 1450, new ReconcileReport.Egress(true, true,
            List.of(new BackendState("nft", true, "DROP", true, true, List.of())), 0, List.of()));
  }

  StatusService service(MeshSnapshot m, ReconcileReport r) {
    return new StatusService(() -> m, () -> r, List::of, List.of(), CLUSTER, Duration.ofMinutes(2),
        TunnelSettings.of(TunnelMode.AUTO, 87, 4789), new EgressSettings(true, List.of()),
        () -> NOW);
  }

  @Test
  void aConvergedNodeIsHealthyWithEveryPeerInstalled() throws Exception {
    List<Route> desired = List.of(Route.unreachable(CLUSTER), TO_B, TO_C);
    StatusService s = service(snapshot(Map.of("node-b", Peer.up(B, NOW), "node-c", Peer.up(C, NOW)), 3),
        report(desired, desired, List.of()));
    StatusViews.StatusView v = s.status();
    assertTrue(v.converged());
    assertTrue(v.healthy(), v.problems().toString());
    assertEquals(List.of("installed", "installed"), v.peers().stream().map(StatusViews.PeerView::route).toList());

    JsonNode json = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(v));
    assertEquals("node-a", json.path("node").path("name").asText());
    assertEquals("192.168.1.11", json.path("node").path("nodeIp").asText());
    assertEquals("10.244.1.0/24", json.path("node").path("podSubnet").asText());
    assertTrue(json.path("converged").asBoolean());
    JsonNode peer = json.path("peers").get(0);
    assertEquals("node-b", peer.path("name").asText());
    assertEquals("192.168.1.12", peer.path("nodeIp").asText());
    assertEquals("10.244.2.0/24", peer.path("podSubnet").asText());
    assertEquals("up", peer.path("state").asText());
    assertEquals("installed", peer.path("route").asText());
  }

  @Test
  void aSubnetConflictIsAProblemOnEveryNodeAndTheRefusedNodeIsToldItIsTheOne() {
    List<Route> desired = List.of(Route.unreachable(CLUSTER), TO_B);
    MeshSnapshot.SubnetConflict held = new MeshSnapshot.SubnetConflict(B.podSubnet(), "node-b", List.of("node-a"),
        "subnet_held", "node-a's 10.244.2.0/24 overlaps node-b's 10.244.2.0/24; … node-a is refused: …");
    List<String> problems = service(withConflict(held), report(desired, desired, List.of())).status().problems();
    assertTrue(problems.contains("this node is refused its pod subnet 10.244.2.0/24: " + held.reason()),
        problems.toString());

    MeshSnapshot.SubnetConflict elsewhere = new MeshSnapshot.SubnetConflict(B.podSubnet(), "node-b",
        List.of("node-c"), "subnet_held", "node-c's 10.244.2.0/24 overlaps node-b's 10.244.2.0/24; …");
    problems = service(withConflict(elsewhere), report(desired, desired, List.of())).status().problems();
    assertTrue(problems.contains("subnet conflict: " + elsewhere.reason()), problems.toString());
  }

  private static MeshSnapshot withConflict(MeshSnapshot.SubnetConflict conflict) {
    MeshSnapshot s = snapshot(Map.of("node-b", Peer.up(B, NOW)), 2);
    return new MeshSnapshot(s.self(), s.peers(), s.rejected(), List.of(conflict), s.duplicates(), s.seeds(),
        s.expectedPeers(), s.viewSize(), s.coordinator(), s.counters(), s.takenAtMillis());
  }

  @Test
  void unreachableDownAndForeignPeersAreProblems() {
    Route foreign = new Route(C.podSubnet(), Route.Type.UNICAST, IpAddresses.parse("192.168.1.99"), "eth0", 4, 254);
    List<Route> desired = List.of(Route.unreachable(CLUSTER), TO_B, TO_C);
    List<Route> kernel = List.of(Route.unreachable(CLUSTER), TO_B, foreign);
    SkippedPeer skipped = new SkippedPeer("node-far", FAR.podSubnet(), FAR.nodeIp(), RoutePlanner.NOT_ON_SHARED_L2);
    StatusService s = service(snapshot(Map.of("node-b", Peer.up(B, NOW).down(NOW - 10_000), "node-c", Peer.up(C, NOW),
        "node-far", Peer.up(FAR, NOW)), 3), report(desired, kernel, List.of(skipped)));
    StatusViews.StatusView v = s.status();
    assertFalse(v.healthy());
    List<String> problems = v.problems();
    assertTrue(problems.stream().anyMatch(p -> p.equals("peer node-far: " + RoutePlanner.NOT_ON_SHARED_L2)), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("peer node-b is down; its route is kept until")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("route conflict: 10.244.3.0/24 is held by the foreign route")), problems.toString());
    StatusViews.PeerView b = v.peers().get(0);
    assertEquals("down", b.state());
    assertEquals("installed", b.route());
    assertEquals(NOW - 10_000 + 120_000, b.routeKeptUntilMillis());
    assertEquals("direct", b.path());
    assertEquals("foreign", v.peers().get(1).route());
    assertEquals("vxlan", v.peers().get(1).path());
    assertEquals("none", v.peers().get(2).route());

    List<String> states = new ArrayList<>();
    s.routes().routes().forEach(r -> states.add(r.destination() + " " + r.state()));
    assertEquals(List.of("10.244.0.0/16 installed", "10.244.2.0/24 installed", "10.244.3.0/24 foreign"), states);
  }

  @Test
  void theForgetEndpointValidatesItsInput() throws Exception {
    List<String> forgotten = new ArrayList<>();
    StatusApi api = new StatusApi(service(snapshot(Map.of("node-b", Peer.up(B, NOW)), 2), ReconcileReport.initial()),
        n -> n.equals("node-b") && forgotten.add(n), "node-a");
    var forget = api.handlers().get("POST /v1/forget");
    assertEquals(200, forget.handle(new ApiRequest("POST", "/v1/forget", Map.of("node", "node-b"), null)).status());
    assertEquals(List.of("node-b"), forgotten);
    ApiResponse missing = forget.handle(new ApiRequest("POST", "/v1/forget", Map.of(), null));
    assertEquals(400, missing.status());
    assertEquals(400, forget.handle(new ApiRequest("POST", "/v1/forget", Map.of("node", "node-a"), null)).status());
    ApiResponse unknown = forget.handle(new ApiRequest("POST", "/v1/forget", Map.of("node", "node-z"), null));
    assertEquals(404, unknown.status());
    assertTrue(new String(unknown.body(), StandardCharsets.UTF_8).contains("no peer named node-z"));
    assertEquals(List.of("GET /v1/status", "GET /v1/peers", "GET /v1/routes", "POST /v1/forget"), List.copyOf(api.handlers().keySet()));
  }
}
