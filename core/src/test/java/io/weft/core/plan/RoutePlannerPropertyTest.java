package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.cidr;
import static io.weft.core.plan.Fixtures.ip;
import static io.weft.core.plan.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerPath;
import io.weft.core.model.PeerState;
import io.weft.core.model.Route;
import io.weft.core.model.TunnelEndpoint;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class RoutePlannerPropertyTest {
  private static final long NOW = 10_000_000L;
  private static final Duration GRACE = Duration.ofSeconds(120);
  private static final Map<Cidr, String> ALL_NETWORKS = Map.of(
      cidr("192.168.1.0/24"), "eth0", cidr("192.168.2.0/24"), "eth1", cidr("192.168.0.0/16"), "br0");
  private static final String VXLAN = "weft.vxlan";
  private final RoutePlanner planner = new RoutePlanner(CLUSTER, GRACE, TunnelMode.NEVER, VXLAN);

  /** A peer without its name: names are given by position so they are unique. */
  record PeerSpec(int subnetIndex, String ipPrefix, int host, PeerState state, long downForMillis) {
    Peer toPeer(String name) {
      NodeRecord r = node(name, ip(ipPrefix + host), Fixtures.podSubnet(subnetIndex));
      return state == PeerState.UP ? Peer.up(r, NOW) : Peer.up(r, 0).down(NOW - downForMillis);
    }
  }

  @Provide
  Arbitrary<List<PeerSpec>> peerSpecs() {
    // Few subnets and few addresses, so overlaps and shared IPs happen often.
    return Combinators.combine(
            Arbitraries.integers().between(0, 15),
            Arbitraries.of("192.168.1.", "192.168.2.", "192.168.9.", "172.16.0.", "10.244.3."),
            Arbitraries.integers().between(1, 254),
            Arbitraries.of(PeerState.values()),
            Arbitraries.longs().between(0, 2 * GRACE.toMillis()))
        .as(PeerSpec::new)
        .list().ofMaxSize(12);
  }

  @Provide
  Arbitrary<Map<Cidr, String>> connected() {
    List<Cidr> all = ALL_NETWORKS.keySet().stream().sorted().toList();
    return Arbitraries.integers().between(0, (1 << all.size()) - 1).map(mask -> {
      Map<Cidr, String> m = new LinkedHashMap<>();
      for (int i = 0; i < all.size(); i++) {
        if ((mask & (1 << i)) != 0) {
          m.put(all.get(i), ALL_NETWORKS.get(all.get(i)));
        }
      }
      return m;
    });
  }

  private static List<Peer> peers(List<PeerSpec> specs) {
    List<Peer> peers = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      peers.add(specs.get(i).toPeer("node-" + i));
    }
    return peers;
  }

  private static NodeRecord self(int subnetIndex) {
    return node("self", ip("192.168.1.250"), Fixtures.podSubnet(subnetIndex));
  }

  @Property(tries = 1000)
  void neverRoutesOwnSubnet(@ForAll("peerSpecs") List<PeerSpec> specs, @ForAll("connected") Map<Cidr, String> nets,
      @ForAll @IntRange(min = 0, max = 15) int selfIndex) {
    NodeRecord self = self(selfIndex);
    RoutePlan plan = planner.plan(self, peers(specs), nets, NOW);

    for (Route r : plan.routes()) {
      if (r.type() == Route.Type.UNICAST) {
        assertFalse(r.destination().overlaps(self.podSubnet()), () -> "route to own subnet: " + r);
      }
    }
    assertEquals(1, plan.routes().stream().filter(r -> r.type() == Route.Type.UNREACHABLE).count());
    assertTrue(plan.routes().contains(Route.unreachable(CLUSTER)));
  }

  @Property(tries = 1000)
  void everyLivePeerGetsExactlyOnePathOrOneReason(@ForAll("peerSpecs") List<PeerSpec> specs,
      @ForAll("connected") Map<Cidr, String> nets, @ForAll @IntRange(min = 0, max = 15) int selfIndex,
      @ForAll TunnelMode mode) {
    NodeRecord self = self(selfIndex);
    List<Peer> peers = peers(specs);
    RoutePlan plan = new RoutePlanner(CLUSTER, GRACE, mode, VXLAN).plan(self, peers, nets, NOW);

    int expectedRoutes = 0;
    for (Peer p : peers) {
      NodeRecord r = p.record();
      boolean live = p.state() == PeerState.UP || NOW - p.downSinceMillis() < GRACE.toMillis();
      boolean overlaps = r.podSubnet().overlaps(self.podSubnet()) || peers.stream().anyMatch(o -> o != p
          && (o.state() == PeerState.UP || NOW - o.downSinceMillis() < GRACE.toMillis())
          && o.record().podSubnet().overlaps(r.podSubnet()));
      boolean onLink = nets.keySet().stream().anyMatch(n -> n.contains(r.nodeIp()));
      boolean sane = !r.nodeIp().equals(self.nodeIp()) && !CLUSTER.contains(r.nodeIp());
      long direct = plan.routes().stream()
          .filter(x -> x.destination().equals(r.podSubnet()) && r.nodeIp().equals(x.gateway()) && !x.onLink())
          .count();
      long tunnelled = plan.routes().stream()
          .filter(x -> x.destination().equals(r.podSubnet()) && x.onLink() && VXLAN.equals(x.device())
              && TunnelEndpoint.vtepIp(r.podSubnet()).equals(x.gateway()))
          .count();
      long skipped = plan.skipped().stream().filter(s -> s.nodeName().equals(r.name())).count();
      PeerPath path = plan.paths().get(r.name());

      if (!live) {
        // An identical live twin may hold the same route, so only the skip list and paths speak for this one.
        assertEquals(0, skipped, () -> "expired peer still planned: " + p);
        assertEquals(null, path);
        continue;
      }
      PeerPath expected = !overlaps && sane
          ? mode == TunnelMode.ALWAYS || (mode == TunnelMode.AUTO && !onLink) ? PeerPath.VXLAN
          : onLink ? PeerPath.DIRECT : null
          : null;
      assertEquals(expected, path, () -> "path of " + p + " in " + mode + ": " + plan);
      if (expected == null) {
        assertEquals(0, direct + tunnelled, () -> "peer " + p + " routed despite a problem: " + plan);
        assertEquals(1, skipped);
      } else {
        expectedRoutes++;
        assertEquals(0, skipped);
        assertEquals(1, expected == PeerPath.DIRECT ? direct : tunnelled, () -> "route of " + p + ": " + plan);
        assertEquals(expected == PeerPath.VXLAN,
            plan.tunnels().stream().anyMatch(t -> t.nodeName().equals(r.name())));
      }
      if (!overlaps && !onLink && sane && mode == TunnelMode.NEVER) {
        assertEquals(RoutePlanner.NOT_ON_SHARED_L2, plan.skipped().stream()
            .filter(s -> s.nodeName().equals(r.name())).findFirst().orElseThrow().reason());
      }
    }
    assertEquals(expectedRoutes + 1, plan.routes().size(), () -> "peer routes plus unreachable: " + plan);
    assertEquals(plan.paths().size(), expectedRoutes);
    List<Cidr> destinations = plan.routes().stream().map(Route::destination).toList();
    assertEquals(destinations.stream().sorted().toList(), destinations, "routes sorted by destination");
    assertEquals(destinations.stream().distinct().count(), destinations.size(), "one route per destination");
    assertEquals(plan.tunnels().stream().map(TunnelEndpoint::nodeIp).distinct().count(),
        plan.tunnels().stream().map(TunnelEndpoint::vtepMac).distinct().count(), "one VTEP MAC per node IP");
  }

  @Property(tries = 1000)
  void withoutTheTunnelEveryPeerStillHasExactlyOnePathOrOneReasonAndNoRouteUsesTheDevice(
      @ForAll("peerSpecs") List<PeerSpec> specs, @ForAll("connected") Map<Cidr, String> nets,
      @ForAll @IntRange(min = 0, max = 15) int selfIndex, @ForAll TunnelMode mode) {
    RoutePlan plan = new RoutePlanner(CLUSTER, GRACE, mode, VXLAN).plan(self(selfIndex), peers(specs), nets, NOW);
    RoutePlan degraded = plan.withoutTunnel("unreachable: the tunnel device is not usable");

    assertTrue(degraded.routes().stream().noneMatch(r -> VXLAN.equals(r.device())), degraded.toString());
    assertTrue(degraded.tunnels().isEmpty() && !degraded.needsTunnel());
    assertEquals(plan.paths().size() + plan.skipped().size(), degraded.paths().size() + degraded.skipped().size(),
        "every peer keeps exactly one path or one reason");
    assertEquals(plan.routes().size() - plan.tunnels().size(), degraded.routes().size());
    assertEquals(degraded.skipped().stream().map(SkippedPeer::nodeName).sorted().toList(),
        degraded.skipped().stream().map(SkippedPeer::nodeName).toList(), "skipped peers sorted by name");
  }

  @Property(tries = 1000)
  void planDoesNotDependOnInputOrder(@ForAll("peerSpecs") List<PeerSpec> specs,
      @ForAll("connected") Map<Cidr, String> nets, @ForAll @IntRange(min = 0, max = 15) int selfIndex,
      @ForAll Random random, @ForAll TunnelMode mode) {
    RoutePlanner planner = new RoutePlanner(CLUSTER, GRACE, mode, VXLAN);
    NodeRecord self = self(selfIndex);
    List<Peer> peers = peers(specs);
    RoutePlan plan = planner.plan(self, peers, nets, NOW);

    List<Peer> shuffledPeers = new ArrayList<>(peers);
    Collections.shuffle(shuffledPeers, random);
    List<Cidr> keys = new ArrayList<>(nets.keySet());
    Collections.shuffle(keys, random);
    Map<Cidr, String> shuffledNets = new LinkedHashMap<>();
    keys.forEach(k -> shuffledNets.put(k, nets.get(k)));

    assertEquals(plan, planner.plan(self, shuffledPeers, shuffledNets, NOW));
  }
}
