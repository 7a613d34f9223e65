package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Three members over loopback TCP: join through a seed, hang, crash, partition and merge. */
class TcpMeshTest {
  private static final Logger log = LoggerFactory.getLogger(TcpMeshTest.class);
  /** Closed after each test by JUnit, even when it fails: every member leaves, every state dir goes. */
  @AutoClose
  private final Members members = new Members();

  private static boolean sees(JGroupsMesh m, String name, PeerState state) {
    var p = m.snapshot().peers().get(name);
    return p != null && p.state() == state;
  }

  /** The failure detectors' counts of both members, added up. */
  private static MeshSnapshot.FailureDetection suspicions(JGroupsMesh... all) {
    long raised = 0;
    long confirmed = 0;
    long refuted = 0;
    for (JGroupsMesh m : all) {
      MeshSnapshot.FailureDetection f = m.snapshot().counters().failureDetection();
      raised += f.suspicionsRaised();
      confirmed += f.suspicionsConfirmed();
      refuted += f.suspicionsRefuted();
    }
    return new MeshSnapshot.FailureDetection(raised, confirmed, refuted);
  }

  @Test
  void threeMembersJoinThroughASeedAndDetectAHungAndACrashedMember() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), cfg -> cfg);
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), cfg -> cfg);
    JGroupsMesh c = members.tcpMember(3, List.of(members.seed(1)), cfg -> cfg);
    NodeRecord ra = a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    NodeRecord rb = b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    NodeRecord rc = c.join(members.node(3)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(3, Set.of(ra.podSubnet(), rb.podSubnet(), rc.podSubnet()).size());

    await().atMost(Members.PATIENCE).until(() -> List.of(a, b, c).stream()
        .allMatch(m -> m.snapshot().converged() && m.snapshot().upPeers().size() == 2));
    for (JGroupsMesh m : List.of(a, b, c)) {
      MeshSnapshot s = m.snapshot();
      assertFalse(s.peers().values().stream().map(p -> p.record().podSubnet()).collect(Collectors.toSet())
          .contains(s.self().podSubnet()));
      assertTrue(s.conflicts().isEmpty(), s.conflicts().toString());
      assertTrue(s.rejected().isEmpty(), s.rejected().toString());
      assertTrue(s.bytesOut() > 0);
    }

    // A hung member (no FIN, no traffic) is found by FD_ALL3 + VERIFY_SUSPECT2.
    long hungAt = System.nanoTime();
    members.faults(c).hang(true);
    await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(50))
        .until(() -> sees(a, "node-3", PeerState.DOWN) && sees(b, "node-3", PeerState.DOWN));
    long hungMs = (System.nanoTime() - hungAt) / 1_000_000;
    log.info("MEASURED: hung member marked down by every other member after {} ms (goal <= 3000)", hungMs);
    assertTrue(a.snapshot().peers().get("node-3").downSinceMillis() > 0);
    // Its watchers counted it: suspected when silent, confirmed when it left the view.
    await().atMost(Members.PATIENCE).until(() -> suspicions(a, b).suspicionsConfirmed() >= 1);
    assertTrue(suspicions(a, b).suspicionsRaised() >= 1, suspicions(a, b).toString());

    // A crashed member (connections drop, no leave message).
    long crashAt = System.nanoTime();
    members.crash(b);
    await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(50))
        .until(() -> sees(a, "node-2", PeerState.DOWN));
    log.info("MEASURED: crashed member marked down after {} ms", (System.nanoTime() - crashAt) / 1_000_000);
    // Down, never silently dropped: the record stays for the agent's peer grace.
    assertTrue(a.snapshot().peers().keySet().containsAll(List.of("node-2", "node-3")));
  }

  @Test
  void partitionedMembersMergeAndReconcile() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), cfg -> cfg);
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), cfg -> cfg);
    JGroupsMesh c = members.tcpMember(3, List.of(members.seed(1)), cfg -> cfg);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    c.join(members.node(3)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> List.of(a, b, c).stream()
        .allMatch(m -> m.snapshot().upPeers().size() == 2));

    members.faults(a).isolateFrom(List.of("node-3"));
    members.faults(b).isolateFrom(List.of("node-3"));
    members.faults(c).isolateFrom(List.of("node-1", "node-2"));
    await().atMost(Members.PATIENCE).until(() -> sees(a, "node-3", PeerState.DOWN)
        && sees(c, "node-1", PeerState.DOWN) && sees(c, "node-2", PeerState.DOWN));
    // News in one half while split: node-2 publishes a new version.
    NodeRecord newer = b.snapshot().self();
    b.publish(newer);

    long healAt = System.nanoTime();
    members.faults(a).heal();
    members.faults(b).heal();
    members.faults(c).heal();
    await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(100))
        .until(() -> List.of(a, b, c).stream().allMatch(m -> m.snapshot().upPeers().size() == 2));
    log.info("MEASURED: partition merged after {} ms (goal ~10000)", (System.nanoTime() - healAt) / 1_000_000);
    // The lone node-3 joins again rather than merging (a JOIN is cheaper than a merge): one side counted it.
    long healedBy = List.of(a, b, c).stream().map(m -> m.snapshot().counters().mergeDetection())
        .mapToLong(d -> d.mergesStarted() + d.rejoinsStarted()).sum();
    assertTrue(healedBy >= 1, "no merge or rejoin counted");
    await().atMost(Members.PATIENCE).until(() ->
        c.snapshot().peers().get("node-2").record().version() == b.snapshot().self().version());
  }
}
