package io.weft.agent.metrics;

import static io.weft.agent.converge.FakeMesh.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.converge.ReconcileReport;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerPath;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.plan.RouteDiff;
import io.weft.core.plan.RoutePlanner;
import io.weft.core.plan.SkippedPeer;
import io.weft.dataplane.PacketFilter.BackendState;
import io.weft.gossip.MeshSnapshot;
import io.weft.gossip.MeshSnapshot.RejectedRecord;
import io.weft.gossip.MeshSnapshot.SeedStatus;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
  static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");
  static final NodeRecord SELF = record("node-a", "192.168.1.11", "10.244.1.0/24");
  static final NodeRecord B = record("node-b", "192.168.1.12", "10.244.2.0/24");
  static final NodeRecord FAR = record("node-far", "172.16.9.9", "10.244.9.0/24");

  static MeshSnapshot mesh(List<RejectedRecord> rejected) {
    return new MeshSnapshot(SELF, Map.of("node-b", Peer.up(B, 1), "node-far", Peer.up(FAR, 1)), rejected, List.of(), List.of(),
        new SeedStatus(SeedStatus.State.JOINED, List.of(), 1, 0, "joined"), List.of(), 3, "node-a",
        new MeshSnapshot.Counters(1234, 5678, 1, 2, 0, 0), 1);
  }

  static ReconcileReport report() {
    List<Route> desired = List.of(Route.unreachable(CLUSTER), Route.via(B.podSubnet(), B.nodeIp(), "eth0"));
    return new ReconcileReport(1, 1, 2_000_000, "start", SELF, desired,
        List.of(new SkippedPeer("node-far", FAR.podSubnet(), FAR.nodeIp(), RoutePlanner.NOT_ON_SHARED_L2)),
        RouteDiff.status(desired, desired), List.of(), 2, 0, 0, List.of(), 1, List.of(40L, 60L),
        new ReconcileReport.Adoption(false, 1, 1, "mesh view settled", List.of()), 0, 0,
        Map.of("node-b", PeerPath.DIRECT), 1450, new ReconcileReport.Egress(true, true,
            List.of(new BackendState("nft", true, "DROP", true, true, List.of())), 1, List.of()));
  }

  static String text(AgentMetrics m) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.write(out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theExpositionHasEveryMetric() throws Exception {
    AtomicReference<MeshSnapshot> mesh = new AtomicReference<>(mesh(List.of()));
    AgentMetrics m = new AgentMetrics(mesh::get, AgentMetricsTest::report);
    m.reconciled(report());
    RejectedRecord bad = new RejectedRecord("evil", "x", "subnet-outside-cluster", "subnet 10.9.0.0/24 outside", 100);
    mesh.set(mesh(List.of(bad)));
    m.meshChanged(mesh.get());
    m.meshChanged(mesh.get());
    String text = text(m);
    for (String line : List.of(
        "weft_peers{state=\"up\"} 2",
        "weft_peers{state=\"down\"} 0",
        "weft_peers_by_path{path=\"direct\"} 1",
        "weft_egress_rules_in_place 1.0",
        "weft_egress_rule_repairs_total 1.0",
        "weft_peers_by_path{path=\"vxlan\"} 0",
        "weft_routes{state=\"installed\"} 2",
        "weft_routes{state=\"missing\"} 0",
        "weft_routes{state=\"foreign\"} 0",
        "weft_routes{state=\"stale\"} 0",
        "weft_skipped_peers{reason=\"unreachable\"} 1",
        "weft_reconcile_runs_total{result=\"ok\"} 1",
        "weft_reconcile_duration_seconds_count 1",
        "weft_drift_repairs_total 1",
        "weft_convergence_lag_seconds_count 2",
        "weft_route_changes_total{op=\"add\"} 2",
        "weft_rejected_records_total{reason=\"subnet-outside-cluster\"} 1",
        "weft_gossip_bytes_total{direction=\"in\"} 1234",
        "weft_gossip_bytes_total{direction=\"out\"} 5678",
        "weft_converged 1",
        "weft_mesh_members 3")) {
      assertTrue(text.contains(line), line + " missing from:\n" + text);
    }
  }

  @Test
  void theMeshProtocolsCountsAreExposed() throws Exception {
    MeshSnapshot base = mesh(List.of());
    MeshSnapshot.Counters c = base.counters();
    MeshSnapshot withProtocols = base.withCounters(new MeshSnapshot.Counters(c.bytesIn(), c.bytesOut(), c.messagesIn(),
        c.messagesOut(), c.malformedDropped(), c.refusedConnections(), new MeshSnapshot.FailureDetection(5, 2, 3),
        new MeshSnapshot.MergeDetection(40, 1, 2, 1), new MeshSnapshot.Refusals(java.util.Map.of("not_coordinator", 7L,
            "over_cap", 3L), new MeshSnapshot.Refusal("over_cap", "rogue", "a Sync of 9999 records", 1))));
    String text = text(new AgentMetrics(() -> withProtocols, AgentMetricsTest::report));
    for (String line : List.of(
        "weft_mesh_suspicions_total{outcome=\"raised\"} 5",
        "weft_mesh_suspicions_total{outcome=\"confirmed\"} 2",
        "weft_mesh_suspicions_total{outcome=\"refuted\"} 3",
        "weft_mesh_merge_probes_total 40",
        "weft_mesh_merges_started_total 1",
        "weft_mesh_rejoins_started_total 2",
        "weft_mesh_pauses_detected_total 1",
        "weft_mesh_refused_messages_total{reason=\"not_coordinator\"} 7",
        "weft_mesh_refused_messages_total{reason=\"over_cap\"} 3",
        "weft_mesh_refused_messages_total{reason=\"implausible\"} 0",
        "weft_mesh_refused_messages_total{reason=\"bad_grant\"} 0")) {
      assertTrue(text.contains(line), line + " missing from:\n" + text);
    }
  }

  @Test
  void theServerAnswersMetricsHealthAndReadiness() throws Exception {
    AgentMetrics m = new AgentMetrics(() -> mesh(List.of()), AgentMetricsTest::report);
    AtomicReference<Optional<String>> ready = new AtomicReference<>(Optional.of("not joined"));
    try (MetricsServer server = new MetricsServer(new InetSocketAddress("127.0.0.1", 0), m, Optional::empty, ready::get)) {
      server.start();
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      assertTrue(metrics.body().contains("# TYPE weft_reconcile_runs_total counter"), metrics.body());
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpResponse<String> notReady = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, notReady.statusCode());
      assertEquals("not joined\n", notReady.body());
      ready.set(Optional.empty());
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }
}
