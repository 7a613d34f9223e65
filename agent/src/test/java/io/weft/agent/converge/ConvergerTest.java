package io.weft.agent.converge;

import static io.weft.agent.converge.FakeMesh.record;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.egress.EgressPlan;
import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerPath;
import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import io.weft.core.plan.RoutePlanner;
import io.weft.core.plan.RouteStatus;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.Vxlan;
import io.weft.dataplane.memory.InMemoryDataplane;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConvergerTest {
  static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");
  static final NodeRecord SELF = record("node-a", "192.168.1.11", "10.244.1.0/24");
  static final NodeRecord B = record("node-b", "192.168.1.12", "10.244.2.0/24");
  static final NodeRecord C = record("node-c", "192.168.1.13", "10.244.3.0/24");
  static final Route UNREACHABLE = Route.unreachable(CLUSTER);
  static final Route TO_B = Route.via(B.podSubnet(), B.nodeIp(), "eth0");
  static final Route TO_C = Route.via(C.podSubnet(), C.nodeIp(), "eth0");

  InMemoryDataplane kernel;
  FakeMesh mesh;
  Converger loop;
  final List<ReconcileReport> reports = new CopyOnWriteArrayList<>();
  final AtomicLong now = new AtomicLong(System.currentTimeMillis());

  @BeforeEach
  void setUp() {
    kernel = new InMemoryDataplane();
    kernel.addLink("eth0", null, 1500);
    kernel.addresses().add("eth0", IpAddresses.parse("192.168.1.11"), 24);
    mesh = new FakeMesh();
  }

  @AfterEach
  void tearDown() {
    if (loop != null) {
      loop.close();
    }
  }

  ConvergeSettings settings() {
    return new ConvergeSettings(CLUSTER, "v-net-0", Duration.ofMinutes(2), Duration.ofHours(1), Duration.ofHours(1),
        Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(200),
        TunnelSettings.of(TunnelMode.NEVER, 87, 4789), new EgressSettings(true, List.of()));
  }

  void start(ConvergeSettings settings, ReconcileObserver extra) {
    loop = new Converger(mesh, kernel, settings, System::currentTimeMillis, r -> {
      reports.add(r);
      extra.reconciled(r);
    }, (self, podMtu) -> { });
    loop.start();
  }

  void start() {
    start(settings(), r -> { });
  }

  List<Route> weftRoutes() {
    return kernel.routesSnapshot().stream().filter(Route::isWeft).sorted(java.util.Comparator.comparing(Route::destination)).toList();
  }

  void awaitRoutes(Route... expected) {
    await().atMost(Duration.ofSeconds(10)).until(() -> weftRoutes().equals(List.of(expected)));
  }

  /** Starts the loop with peer B and waits until the kernel holds its route and the unreachable route. */
  void startConvergedWithB() {
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    await().until(() -> loop.latest().converged());
  }

  @Test
  void aJoiningPeerGetsARouteAndTheClusterGetsAnUnreachableRoute() {
    startConvergedWithB();
    assertEquals(2, loop.latest().count(RouteStatus.State.INSTALLED));
  }

  @Test
  void nothingIsDoneBeforeTheMeshAgreesThisNodesSubnet() {
    start();
    loop.requestReconcile("test");
    await().until(() -> loop.latest().number() >= 1);
    assertNull(loop.latest().self());
    assertTrue(weftRoutes().isEmpty());
    assertFalse(loop.latest().converged());
  }

  @Test
  void aRouteDeletedByHandIsRestoredAndCountedAsDriftRepair() {
    startConvergedWithB();

    kernel.removeExternally(TO_B.key());

    awaitRoutes(UNREACHABLE, TO_B);
    await().until(() -> reports.stream().mapToInt(ReconcileReport::driftRepairs).sum() == 1);
    ReconcileReport repair = reports.stream().filter(r -> r.driftRepairs() == 1).findFirst().orElseThrow();
    assertTrue(repair.trigger().contains("route deleted"), repair.trigger());
  }

  @Test
  void aReconcileReadsTheRouteTableOnceWhetherItChangesRoutesOrNot() {
    startConvergedWithB();
    long before = loop.latest().number();
    int listings = kernel.routeListings();

    kernel.removeExternally(TO_B.key()); // a reconcile that adds
    awaitRoutes(UNREACHABLE, TO_B);
    kernel.routes().replace(Route.via(B.podSubnet(), IpAddresses.parse("192.168.1.99"), "eth0")); // one that replaces
    awaitRoutes(UNREACHABLE, TO_B);
    loop.requestReconcile("test"); // one that changes nothing
    await().until(() -> loop.latest().number() >= before + 3 && loop.latest().converged());

    // One listing per reconcile (awaited, not asserted, so a reconcile still between its read and its report
    // cannot fail the test): the status follows from the kernel's answers, not from a second read.
    await().atMost(Duration.ofSeconds(5))
        .until(() -> kernel.routeListings() - listings == loop.latest().number() - before);
  }

  @Test
  void aRouteOfOursChangedByHandIsPutBack() {
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    Route hijacked = Route.via(B.podSubnet(), IpAddresses.parse("192.168.1.99"), "eth0");
    kernel.routes().replace(hijacked);
    awaitRoutes(UNREACHABLE, TO_B);
  }

  @Test
  void aForeignRouteForAPeersPrefixIsAConflictAndLeftAlone() {
    Route foreign = new Route(B.podSubnet(), Route.Type.UNICAST, IpAddresses.parse("192.168.1.99"), "eth0", 4,
        Route.TABLE_MAIN);
    kernel.addForeignRoute(foreign);
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    await().until(() -> loop.latest().conflicts().size() == 1);
    assertEquals(foreign, loop.latest().conflicts().get(0).foreign());
    assertTrue(kernel.routesSnapshot().contains(foreign));
    assertEquals(List.of(UNREACHABLE), weftRoutes());
    assertTrue(kernel.appliedOps().stream().noneMatch(op -> op.route().key().equals(foreign.key())));
  }

  @Test
  void aPeerNotOnASharedNetworkIsSkippedWithTheReason() {
    NodeRecord far = record("node-far", "172.16.9.9", "10.244.9.0/24");
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(far, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    await().until(() -> loop.latest().skipped().size() == 1);
    assertEquals(RoutePlanner.NOT_ON_SHARED_L2, loop.latest().skipped().get(0).reason());
    assertEquals("node-far", loop.latest().skipped().get(0).nodeName());
  }

  ConvergeSettings withTunnel(TunnelMode mode) {
    ConvergeSettings s = settings();
    return new ConvergeSettings(s.clusterCidr(), s.bridge(), s.peerGrace(), s.adoptGrace(), s.resyncInterval(),
        s.coalesce(), s.retryMin(), s.retryMax(), TunnelSettings.of(mode, 87, 4789), s.egress());
  }

  @Test
  void aPeerBehindARouterIsTunnelledAndFlipsToDirectWhenItBecomesOnLink() {
    NodeRecord far = record("node-far", "192.168.2.13", "10.244.9.0/24");
    Route tunnelled = Route.viaOnLink(far.podSubnet(), IpAddresses.parse("10.244.9.0"), TunnelSettings.DEVICE);
    start(withTunnel(TunnelMode.AUTO), r -> { });
    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(far, now.get()));
    awaitRoutes(UNREACHABLE, TO_B, tunnelled);

    Vxlan device = kernel.links().vxlan(TunnelSettings.DEVICE).orElseThrow();
    assertEquals(new Vxlan(TunnelSettings.DEVICE, 87, 4789, (Inet4Address) SELF.nodeIp(), false, 1450,
        MacAddress.parse("02:57:c0:a8:01:0b")), device);
    assertTrue(kernel.links().byName(TunnelSettings.DEVICE).orElseThrow().up());
    assertEquals(List.of("10.244.1.0/32"), kernel.addresses().list(TunnelSettings.DEVICE).stream()
        .map(a -> a.address().getHostAddress() + "/" + a.prefixLength()).toList());
    assertEquals(List.of(new Neighbour(TunnelSettings.DEVICE, IpAddresses.parse("10.244.9.0"),
        MacAddress.parse("02:57:c0:a8:02:0d"), true, 87)), kernel.neighbours().list(TunnelSettings.DEVICE));
    assertEquals(List.of(new FdbEntry(TunnelSettings.DEVICE, MacAddress.parse("02:57:c0:a8:02:0d"),
        far.nodeIp(), true)), kernel.neighbours().fdb(TunnelSettings.DEVICE));
    await().until(() -> loop.latest().paths().equals(Map.of("node-b", PeerPath.DIRECT, "node-far", PeerPath.VXLAN)));
    assertEquals(1450, loop.latest().podMtu());

    kernel.addLink("eth1", null, 1500);
    kernel.addresses().add("eth1", IpAddresses.parse("192.168.2.211"), 24);
    loop.requestReconcile("address added");
    awaitRoutes(UNREACHABLE, TO_B, Route.via(far.podSubnet(), far.nodeIp(), "eth1"));
    await().until(() -> kernel.neighbours().fdb(TunnelSettings.DEVICE).isEmpty());
    assertTrue(kernel.neighbours().list(TunnelSettings.DEVICE).isEmpty());
    assertTrue(kernel.links().byName(TunnelSettings.DEVICE).isPresent(), "the device stays for the next flip");
  }

  @Test
  void tunnelStateDeletedByHandIsRepaired() {
    NodeRecord far = record("node-far", "192.168.2.13", "10.244.9.0/24");
    Route tunnelled = Route.viaOnLink(far.podSubnet(), IpAddresses.parse("10.244.9.0"), TunnelSettings.DEVICE);
    start(withTunnel(TunnelMode.AUTO), r -> { });
    mesh.set(SELF, true, Peer.up(far, now.get()));
    awaitRoutes(UNREACHABLE, tunnelled);

    kernel.neighbours().deleteFdb(TunnelSettings.DEVICE, MacAddress.parse("02:57:c0:a8:02:0d"), far.nodeIp());
    kernel.neighbours().delete(TunnelSettings.DEVICE, IpAddresses.parse("10.244.9.0"));
    kernel.links().setMac(TunnelSettings.DEVICE, MacAddress.parse("02:00:00:00:00:01"));
    await().until(() -> kernel.neighbours().fdb(TunnelSettings.DEVICE).size() == 1
        && kernel.neighbours().list(TunnelSettings.DEVICE).size() == 1
        && kernel.links().vxlan(TunnelSettings.DEVICE).orElseThrow().mac().equals(MacAddress.parse("02:57:c0:a8:01:0b")));

    kernel.links().delete(TunnelSettings.DEVICE);
    awaitRoutes(UNREACHABLE, tunnelled);
    assertEquals(1, kernel.neighbours().fdb(TunnelSettings.DEVICE).size());
  }

  @Test
  void alwaysTunnelsTheOnLinkPeerAndNeverRemovesTheDevice() {
    Route tunnelledB = Route.viaOnLink(B.podSubnet(), IpAddresses.parse("10.244.2.0"), TunnelSettings.DEVICE);
    start(withTunnel(TunnelMode.ALWAYS), r -> { });
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, tunnelledB);
    loop.close();

    start(withTunnel(TunnelMode.NEVER), r -> { });
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    await().until(() -> kernel.links().byName(TunnelSettings.DEVICE).isEmpty());
  }

  @Test
  void theDeviceExistsWithoutTunnelPeersAndADownLinkConnectsNothing() {
    start(withTunnel(TunnelMode.AUTO), r -> { });
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    await().until(() -> kernel.links().vxlan(TunnelSettings.DEVICE).isPresent());

    NodeRecord far = record("node-far", "192.168.2.13", "10.244.9.0/24");
    kernel.addLink("eth1", null, 1500);
    kernel.addresses().add("eth1", IpAddresses.parse("192.168.2.211"), 24);
    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(far, now.get()));
    awaitRoutes(UNREACHABLE, TO_B, Route.via(far.podSubnet(), far.nodeIp(), "eth1"));
    kernel.links().setDown("eth1");
    awaitRoutes(UNREACHABLE, TO_B,
        Route.viaOnLink(far.podSubnet(), IpAddresses.parse("10.244.9.0"), TunnelSettings.DEVICE));
  }

  @Test
  void aLinkOfAnotherKindWithTheDevicesNameIsReportedNotTouched() {
    kernel.addLink(TunnelSettings.DEVICE, "veth", 1500);
    NodeRecord far = record("node-far", "192.168.2.13", "10.244.9.0/24");
    start(withTunnel(TunnelMode.AUTO), r -> { });
    mesh.set(SELF, true, Peer.up(far, now.get()));
    await().until(() -> loop.latest().errors().stream().anyMatch(e -> e.contains("that Weft did not create")));
    assertEquals("veth", kernel.links().byName(TunnelSettings.DEVICE).orElseThrow().kind());
    assertFalse(loop.latest().converged());
    assertEquals(List.of(UNREACHABLE), weftRoutes(), "no pod traffic into a device that is not Weft's");
    assertTrue(loop.latest().skipped().get(0).reason().contains("is not usable"), loop.latest().skipped().toString());
  }

  @Test
  void theEgressRulesFollowTheSubnetAndAreRepairedWhenDeletedByHand() {
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    await().until(() -> kernel.filterPlan().isPresent());
    assertEquals(new EgressPlan(SELF.podSubnet(), CLUSTER, List.of(), true), kernel.filterPlan().orElseThrow());
    await().until(() -> loop.latest().egress().inPlace());

    kernel.removeFilterRulesExternally();
    await().atMost(Duration.ofSeconds(1)).until(() -> kernel.filterPlan().isPresent());
    await().until(() -> reports.stream().anyMatch(r -> r.egress().repairs() == 1
        && r.trigger().contains("packet filter changed")));
  }

  @Test
  void aMeshChangeLeavesAnUnchangedPacketFilterUnreadAndAChangeNoticeHasItReadAgain() {
    startConvergedWithB();
    await().until(() -> loop.latest().egress().inPlace());
    int reads = kernel.filterPasses();
    long passes = loop.latest().number();

    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(C, now.get()));
    awaitRoutes(UNREACHABLE, TO_B, TO_C);
    await().until(() -> loop.latest().number() > passes && loop.latest().converged());
    assertEquals(reads, kernel.filterPasses(), "a new peer changes nothing in this node's packet filter");
    assertTrue(loop.latest().egress().inPlace(), "still reported as found");

    kernel.removeFilterRulesExternally();
    await().until(() -> kernel.filterPlan().isPresent());
    assertTrue(kernel.filterPasses() > reads);
  }

  @Test
  void aDownPeerKeepsItsRouteForThePeerGraceThenLosesIt() {
    ConvergeSettings s = settings();
    // A grace long enough that the reconcile of the mesh change runs inside it even on a loaded runner.
    start(new ConvergeSettings(s.clusterCidr(), s.bridge(), Duration.ofMillis(1500), s.adoptGrace(), s.resyncInterval(),
        s.coalesce(), s.retryMin(), s.retryMax(), s.tunnel(), s.egress()), r -> { });
    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(C, now.get()));
    awaitRoutes(UNREACHABLE, TO_B, TO_C);
    long downAt = System.currentTimeMillis();
    mesh.set(SELF, true, Peer.up(B, now.get()).down(downAt), Peer.up(C, now.get()));
    await().until(() -> reports.stream().anyMatch(r -> r.startedAtMillis() >= downAt && r.trigger().contains("mesh")));
    // No event follows the grace: the loop wakes itself for the deadline.
    awaitRoutes(UNREACHABLE, TO_C);
    assertTrue(reports.stream().anyMatch(r -> r.trigger().equals("peer grace of node-b ended")),
        reports.stream().map(ReconcileReport::trigger).toList().toString());
    assertTrue(reports.stream().filter(r -> r.startedAtMillis() < downAt + 1500 && r.startedAtMillis() >= downAt)
        .allMatch(r -> r.desired().contains(TO_B)), "within the grace the route is still desired");
  }

  @Test
  void aChangeTheKernelKeepsRefusingDoesNotDelayTheRepairOfOthers() {
    ConvergeSettings s = settings();
    start(new ConvergeSettings(s.clusterCidr(), s.bridge(), s.peerGrace(), s.adoptGrace(), s.resyncInterval(),
        s.coalesce(), Duration.ofSeconds(30), Duration.ofSeconds(30), s.tunnel(), s.egress()), r -> { });
    kernel.failWhen(op -> op.route().equals(TO_C), NetlinkException.ENETUNREACH, "refused for good");
    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(C, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    await().until(() -> loop.latest().consecutiveFailures() > 0);

    kernel.removeExternally(TO_B.key());
    // The retry of TO_C is 30 s away; the deleted TO_B comes back at once all the same.
    await().atMost(Duration.ofSeconds(1)).until(() -> weftRoutes().contains(TO_B));
  }

  @Test
  void aFailedApplyIsRetriedWithBackoffAndVisibleInTheReport() {
    kernel.failTimes(op -> op.kind() == RouteOp.Kind.ADD && op.route().equals(TO_B), 2, NetlinkException.ENETUNREACH);
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    List<ReconcileReport> failed = reports.stream().filter(r -> !r.errors().isEmpty()).toList();
    assertEquals(2, failed.size());
    assertEquals(1, failed.get(0).consecutiveFailures());
    assertEquals(2, failed.get(1).consecutiveFailures());
    assertTrue(failed.get(0).nextRetryAtMillis() > failed.get(0).startedAtMillis());
    assertTrue(failed.get(0).errors().get(0).contains("10.244.2.0/24"), failed.get(0).errors().get(0));
    // Backoff grows: the second wait is longer than the first.
    long firstWait = failed.get(0).nextRetryAtMillis() - failed.get(0).startedAtMillis();
    long secondWait = failed.get(1).nextRetryAtMillis() - failed.get(1).startedAtMillis();
    assertTrue(secondWait > firstWait, firstWait + " then " + secondWait);
    await().until(() -> loop.latest().consecutiveFailures() == 0 && loop.latest().converged());
  }

  @Test
  void aStormOfInputsIsCoalescedIntoOneReconcile() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    start(settings(), r -> {
      if (r.self() != null && blocked.getCount() > 0) {
        blocked.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    mesh.set(SELF, true, Peer.up(B, now.get()));
    assertTrue(blocked.await(10, TimeUnit.SECONDS));
    long before = loop.latest().number();
    for (int i = 0; i < 200; i++) {
      mesh.touch();
      kernel.signalResync("storm " + i);
    }
    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(C, now.get()));
    release.countDown();
    awaitRoutes(UNREACHABLE, TO_B, TO_C);
    await().until(() -> loop.latest().converged());
    assertEquals(before + 1, loop.latest().number(), "401 inputs while busy became one reconcile");
  }

  @Test
  void passesBeforeTheJoinDoNotHoldBackTheJoinsOwnPass() {
    ConvergeSettings s = settings();
    start(new ConvergeSettings(s.clusterCidr(), s.bridge(), s.peerGrace(), s.adoptGrace(), s.resyncInterval(),
        Duration.ofSeconds(30), s.retryMin(), s.retryMax(), s.tunnel(), s.egress()), r -> { });
    // Mesh changes before this node has a record (views, Sync records) each run a pass that writes nothing.
    mesh.touch();
    await().until(() -> loop.latest().number() >= 1);
    mesh.touch();
    await().until(() -> loop.latest().number() >= 2);
    mesh.set(SELF, true, Peer.up(B, now.get()));
    // Not 30 s later (the coalesce window after a pass that wrote routes): at once.
    await().atMost(Duration.ofSeconds(5)).until(() -> weftRoutes().equals(List.of(UNREACHABLE, TO_B)));
  }

  @Test
  void ourOwnChangesDoNotTriggerMoreReconciles() {
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()), Peer.up(C, now.get()));
    awaitRoutes(UNREACHABLE, TO_B, TO_C);
    await().until(() -> loop.latest().converged());
    long n = loop.latest().number();
    loop.requestReconcile("probe");
    await().until(() -> loop.latest().trigger().equals("probe"));
    assertEquals(n + 1, loop.latest().number(), "the echo of our adds caused no reconcile of its own");
  }

  @Test
  void atStartUnclaimedRoutesOfOursAreKeptUntilTheMeshViewSettles() {
    Route leftover = Route.via(Cidr.parse("10.244.7.0/24"), IpAddresses.parse("192.168.1.17"), "eth0");
    kernel.routes().add(leftover);
    kernel.routes().add(TO_B);
    start();
    mesh.set(SELF, false);
    await().until(() -> loop.latest().self() != null && weftRoutes().contains(UNREACHABLE));
    ReconcileReport r = loop.latest();
    assertTrue(r.adoption().active());
    assertTrue(r.adoption().kept().containsAll(List.of(leftover, TO_B)), r.adoption().kept().toString());
    assertTrue(weftRoutes().contains(leftover) && weftRoutes().contains(TO_B), "never flushed at start");
    assertFalse(r.converged());

    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    // the kernel changes before the report is published: wait for the report, not only the routes
    await().until(() -> !loop.latest().adoption().active());
    assertEquals("mesh view settled", loop.latest().adoption().endReason());
    assertTrue(kernel.appliedOps().stream().noneMatch(op -> op.route().equals(TO_B) && op.kind() != RouteOp.Kind.ADD),
        "the adopted route to a live peer was never touched");
  }

  @Test
  void aNodeThatRestartsAloneKeepsTheRoutesOfTheRememberedPeersUntilTheyAreBack() {
    // Every agent restarted at once: this one finds nobody, starts a mesh of one (settled at once).
    kernel.routes().add(TO_B);
    kernel.routes().add(TO_C);
    start();
    List<java.net.InetAddress> remembered = List.of(B.nodeIp(), C.nodeIp());
    mesh.expect(SELF, true, remembered);
    await().until(() -> loop.latest().self() != null && weftRoutes().contains(UNREACHABLE));
    assertTrue(loop.latest().adoption().active(), "a view of one is not settled while remembered peers are unknown");
    assertTrue(weftRoutes().containsAll(List.of(TO_B, TO_C)));

    mesh.expect(SELF, true, remembered, Peer.up(B, now.get()));
    await().until(() -> loop.latest().desired().contains(TO_B));
    assertTrue(loop.latest().adoption().active(), "still waiting for node-c");
    assertTrue(weftRoutes().contains(TO_C), "the route to the peer not back yet is kept");

    mesh.expect(SELF, true, remembered, Peer.up(B, now.get()), Peer.up(C, now.get()));
    await().until(() -> !loop.latest().adoption().active());
    assertEquals("mesh view settled", loop.latest().adoption().endReason());
    assertTrue(kernel.appliedOps().stream().noneMatch(op -> op.kind() == RouteOp.Kind.DELETE),
        "no route was deleted at any point: " + kernel.appliedOps());
  }

  @Test
  void theAdoptionGraceIsBoundedWhenTheMeshNeverSettles() {
    Route leftover = Route.via(Cidr.parse("10.244.7.0/24"), IpAddresses.parse("192.168.1.17"), "eth0");
    kernel.routes().add(leftover);
    ConvergeSettings s = settings();
    start(new ConvergeSettings(s.clusterCidr(), s.bridge(), s.peerGrace(), Duration.ofMillis(300), s.resyncInterval(),
        s.coalesce(), s.retryMin(), s.retryMax(), s.tunnel(), s.egress()), r -> { });
    mesh.set(SELF, false);
    awaitRoutes(UNREACHABLE);
    await().until(() -> !loop.latest().adoption().active());
    assertTrue(loop.latest().adoption().endReason().contains("elapsed"), loop.latest().adoption().endReason());
  }

  @Test
  void aPeerThatMovesToAnotherNodeIpHasItsRouteReplaced() {
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    NodeRecord moved = new NodeRecord(B.name(), B.hostname(), IpAddresses.parse("192.168.1.22"), B.mac(), B.podSubnet(),
        B.subnetSource(), 2, 1, "test", 0);
    mesh.set(SELF, true, Peer.up(moved, now.get()));
    Route toMoved = Route.via(B.podSubnet(), moved.nodeIp(), "eth0");
    awaitRoutes(UNREACHABLE, toMoved);
    assertTrue(kernel.appliedOps().contains(RouteOp.replace(toMoved)));
  }

  @Test
  void stoppingTheLoopKeepsTheRoutes() {
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    loop.close();
    assertEquals(List.of(UNREACHABLE, TO_B), weftRoutes());
  }

  @Test
  void convergenceLagIsRecordedForNewRoutes() {
    start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    awaitRoutes(UNREACHABLE, TO_B);
    await().until(() -> reports.stream().mapToInt(r -> r.lagsMillis().size()).sum() == 2);
  }

  @Test
  void aFailingNodeStepIsReportedAndRetried() {
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    loop = new Converger(mesh, kernel, settings(), System::currentTimeMillis, reports::add, (self, podMtu) -> {
      if (calls.incrementAndGet() <= 2) {
        throw new IllegalStateException("could not add 10.244.1.1/24 to v-net-0: device busy");
      }
    });
    loop.start();
    mesh.set(SELF, true, Peer.up(B, now.get()));
    await().until(() -> calls.get() >= 3 && loop.latest().converged());
    assertTrue(reports.stream().anyMatch(r -> r.errors().contains("could not add 10.244.1.1/24 to v-net-0: device busy")));
    assertEquals(List.of(UNREACHABLE, TO_B), weftRoutes(), "routes are still programmed while the node step fails");
  }

  @Test
  void backoffDoublesUpToItsCap() {
    Backoff b = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30));
    assertEquals(Duration.ZERO, b.delay(0));
    assertEquals(Duration.ofMillis(250), b.delay(1));
    assertEquals(Duration.ofMillis(500), b.delay(2));
    assertEquals(Duration.ofSeconds(30), b.delay(50));
  }
}
