package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Many members in one JVM over JGroups SHARED_LOOPBACK. */
class SimMeshTest {
  private static final Logger log = LoggerFactory.getLogger(SimMeshTest.class);
  /** Closed after each test by JUnit, even when it fails: every member leaves, every state dir goes. */
  @AutoClose
  private final Members members = new Members();

  private JGroupsMesh sim(int i) {
    return members.start(members.sim(i, i == 0));
  }

  @Test
  void fiftyConcurrentJoinsEndWithFiftyDistinctSubnets() throws Exception {
    int n = 50;
    JGroupsMesh first = sim(0);
    first.join(members.node(0)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    List<JGroupsMesh> rest = new ArrayList<>();
    for (int i = 1; i < n; i++) {
      rest.add(sim(i));
    }
    long start = System.nanoTime();
    List<CompletableFuture<NodeRecord>> joins = new ArrayList<>();
    for (int i = 1; i < n; i++) {
      joins.add(rest.get(i - 1).join(members.node(i)));
    }
    List<NodeRecord> records = new ArrayList<>();
    records.add(first.snapshot().self());
    for (CompletableFuture<NodeRecord> f : joins) {
      records.add(f.get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }
    assertEquals(n, records.stream().map(NodeRecord::podSubnet).distinct().count(), "every subnet distinct");
    List<JGroupsMesh> all = new ArrayList<>(rest);
    all.add(first);
    await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(200)).until(() ->
        all.stream().allMatch(m -> m.snapshot().upPeers().size() == n - 1));
    log.info("MEASURED: {} concurrent joins converged in {} ms", n, (System.nanoTime() - start) / 1_000_000);
    for (JGroupsMesh m : all) {
      MeshSnapshot s = m.snapshot();
      assertTrue(s.conflicts().isEmpty(), s.conflicts().toString());
      assertTrue(s.rejected().isEmpty(), s.rejected().toString());
      assertTrue(s.converged());
    }
  }

  @Test
  void aConfiguredNewcomerOnALiveNodesSubnetIsRefusedAndReportedAndTheIncumbentKeepsItsRoutes() throws Exception {
    Cidr same = Cidr.parse("10.244.7.0/24");
    JGroupsMesh z = sim(0);
    JGroupsMesh x = sim(1);
    JGroupsMesh y = sim(2);
    z.join(members.node(0)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    // node-1 is granted the subnet it remembers: an allocated subnet, which the mesh then routes to it.
    NodeRecord incumbent = x.join(members.node(1).withRememberedSubnet(same, false))
        .get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(same, incumbent.podSubnet());
    assertEquals(SubnetSource.ALLOCATED, incumbent.subnetSource());
    await().atMost(Members.PATIENCE).until(() -> z.snapshot().peers().containsKey("node-1"));
    // node-2 starts with --pod-subnet of node-1's subnet. It would win the tie rule (SHA-256 of
    // "node-2\n10.244.7.0/24" starts b58c, node-1's ed94), so only the incumbent rule keeps node-1.
    y.join(LocalNode.configured("node-2", members.ip(2), Members.mac(2), same, "0.1.0"))
        .get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> List.of(x, y, z).stream()
        .allMatch(m -> m.snapshot().conflicts().size() == 1 && m.snapshot().viewSize() == 3));
    MeshSnapshot.SubnetConflict c = z.snapshot().conflicts().get(0);
    assertEquals("node-1", c.winner(), "the incumbent keeps it, against a configured newcomer");
    assertEquals(List.of("node-2"), c.losers());
    assertEquals("subnet_held", c.code());
    assertTrue(c.reason().contains("node-2's 10.244.7.0/24 overlaps node-1's 10.244.7.0/24")
        && c.reason().contains("node-2 is refused"), c.reason());
    assertEquals(c, x.snapshot().conflicts().get(0), "reported mesh-wide");
    assertEquals(c, y.snapshot().conflicts().get(0));
    assertEquals(1, y.snapshot().lostConflicts().size(), "the newcomer is told it was refused");
    assertTrue(x.snapshot().lostConflicts().isEmpty());
    // Everyone else still routes the subnet to the incumbent, never to the newcomer.
    assertTrue(z.snapshot().peers().containsKey("node-1"));
    assertFalse(z.snapshot().peers().containsKey("node-2"));
    assertFalse(x.snapshot().peers().containsKey("node-2"));
    assertEquals(same, y.snapshot().self().podSubnet(), "a configured subnet is not silently replaced");
  }

  @Test
  void duplicateMacsAndHostnamesAreReportedByEveryone() throws Exception {
    JGroupsMesh a = sim(0);
    JGroupsMesh b = sim(1);
    JGroupsMesh c = sim(2);
    a.join(members.node(0).withHostname("clone")).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(new LocalNode("node-1", "clone", members.ip(1), Members.mac(0), Optional.empty(), Optional.empty(),
        false, "0.1.0")).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    c.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> List.of(a, b, c).stream()
        .allMatch(m -> m.snapshot().duplicates().size() == 2));
    for (JGroupsMesh m : List.of(a, b, c)) {
      for (MeshSnapshot.DuplicateIdentity d : m.snapshot().duplicates()) {
        assertEquals(List.of("node-0", "node-1"), d.nodes());
      }
    }
  }

  @Test
  void recordsTheValidatorRefusesStayOutOfTheViewWithTheReason() throws Exception {
    JGroupsMesh a = sim(0);
    JGroupsMesh bad = sim(1);
    a.join(members.node(0)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    bad.join(LocalNode.allocated("node-1", IpAddresses.parse("10.244.9.9"), Members.mac(1), "0.1.0"))
        .get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().rejected().size() == 1);
    MeshSnapshot.RejectedRecord r = a.snapshot().rejected().get(0);
    assertEquals("node-1", r.nodeName());
    assertEquals("bad_node_ip", r.code());
    assertTrue(r.reason().contains("10.244.9.9"), r.reason());
    assertFalse(a.snapshot().peers().containsKey("node-1"));
  }

  @Test
  void aLeavingNodeGoesDownThenForgetRemovesItEverywhere() throws Exception {
    JGroupsMesh a = sim(0);
    JGroupsMesh b = sim(1);
    JGroupsMesh c = sim(2);
    a.join(members.node(0)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    c.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().upPeers().size() == 2);
    c.leave();
    await().atMost(Members.PATIENCE).until(() -> {
      var p = a.snapshot().peers().get("node-2");
      return p != null && p.state() == PeerState.DOWN && p.downSinceMillis() > 0;
    });
    await().atMost(Members.PATIENCE).until(() -> { // down, not dropped
      var p = b.snapshot().peers().get("node-2");
      return p != null && p.state() == PeerState.DOWN;
    });
    a.forget("node-2");
    await().atMost(Members.PATIENCE).until(() -> !a.snapshot().peers().containsKey("node-2")
        && !b.snapshot().peers().containsKey("node-2"));
  }

  @Test
  void aDownNodesRecordIsRemovedWhenItsLeaseRunsOut() throws Exception {
    JGroupsMesh a = members.start(members.sim(0, true).withLeaseTime(Duration.ofSeconds(1))
        .withTiming(MeshConfig.Timing.defaults().withHousekeeping(Duration.ofMillis(200), Duration.ofMinutes(5))));
    JGroupsMesh b = sim(1);
    a.join(members.node(0)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().upPeers().size() == 1);
    b.leave();
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().peers().isEmpty());
  }

  @Test
  void publishedChangesReachEveryMember() throws Exception {
    List<JGroupsMesh> all = IntStream.range(0, 4).mapToObj(this::sim).toList();
    for (int i = 0; i < all.size(); i++) {
      all.get(i).join(members.node(i)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
    NodeRecord self = all.get(3).snapshot().self();
    all.get(3).publish(new NodeRecord(self.name(), self.hostname(), self.nodeIp(), self.mac(), self.podSubnet(),
        self.subnetSource(), self.incarnation(), self.version(), "0.2.0", 0));
    await().atMost(Members.PATIENCE).until(() -> all.subList(0, 3).stream().allMatch(m -> {
      var p = m.snapshot().peers().get("node-3");
      return p != null && p.record().agentVersion().equals("0.2.0") && p.record().version() == 2;
    }));
  }
}
