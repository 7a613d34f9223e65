package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import io.weft.core.model.SubnetSource;
import io.weft.core.plan.Plausibility;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node whose clock ran more than the skew ahead left a future incarnation in its lease file (its peers refused
 * the record it announced with it). After the clock is fixed, its restart is accepted at once: the lease's
 * incarnation is not reused (core's {@code StartIncarnation}), and what its peers still hold of it, an older
 * plausible record, is outbid. Real members over loopback TCP, the lease written as the skewed run left it.
 */
class ClockSkewRestartTest {
  private static final byte[] SECRET = "a clock skew restart test secret of 32+ bytes".getBytes(StandardCharsets.US_ASCII);
  private static final long SKEW = Plausibility.CLOCK_SKEW.toMillis();
  private final Members members = new Members();

  @AfterEach
  void tearDown() throws IOException {
    members.close();
  }

  @Test
  void aRestartAfterTheClockIsFixedIsAcceptedAndOutbidsTheRecordPeersHold() throws Exception {
    JGroupsMesh a = member(1);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    JGroupsMesh b = member(2);
    NodeRecord first = b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> incarnationOn(a) == first.incarnation());
    b.close();

    // Its next run had the clock an hour ahead: that run's incarnation is in the lease, and node-1 refused it.
    StateStore store = new StateStore(members.stateDir(2));
    StateStore.Lease lease = store.readLease().orElseThrow();
    long future = System.currentTimeMillis() + 3_600_000;
    store.writeLease(new StateStore.Lease(lease.node(), lease.subnet(), lease.source(), lease.claimedAtMillis(), future));

    // The clock is fixed; the agent restarts.
    JGroupsMesh restarted = member(2);
    NodeRecord second = restarted.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    long now = System.currentTimeMillis();
    assertTrue(second.incarnation() <= now + SKEW, "not the future incarnation: " + second.incarnation());
    assertTrue(second.incarnation() > first.incarnation(), "outbids its last accepted record");
    assertEquals(lease.subnet().orElseThrow(), second.podSubnet(), "keeps its subnet");
    await().atMost(Members.PATIENCE).until(() -> incarnationOn(a) == second.incarnation()
        && a.snapshot().peers().get("node-2").state() == PeerState.UP);
    assertEquals(0L, refused(a, "implausible"), "node-1 accepted it as it came");
    assertTrue(store.readLease().orElseThrow().incarnation() <= now + SKEW, "the lease no longer holds the future");
  }

  @Test
  void aRecordPeersAcceptedWhileTheClockWasAheadWithinTheSkewIsOutbidByOne() throws Exception {
    JGroupsMesh a = member(1);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    // First the clock ran 4 minutes ahead: inside the skew, so node-1 accepted that incarnation.
    StateStore store = new StateStore(members.stateDir(2));
    long ahead = System.currentTimeMillis() + SKEW - 60_000;
    store.writeLease(new StateStore.Lease("node-2", Optional.empty(), SubnetSource.ALLOCATED, 0, ahead));
    JGroupsMesh b = member(2);
    NodeRecord held = b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(ahead + 1, held.incarnation());
    await().atMost(Members.PATIENCE).until(() -> incarnationOn(a) == held.incarnation());
    b.close();
    // Then an hour ahead (refused), then fixed: the lease's incarnation is discarded and the start (now) is
    // below what node-1 holds, so node-2 outbids that by one when the mesh shows it.
    StateStore.Lease lease = store.readLease().orElseThrow();
    store.writeLease(new StateStore.Lease(lease.node(), lease.subnet(), lease.source(), lease.claimedAtMillis(),
        System.currentTimeMillis() + 3_600_000));

    JGroupsMesh restarted = member(2);
    restarted.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> incarnationOn(a) == held.incarnation() + 1
        && a.snapshot().peers().get("node-2").state() == PeerState.UP);
    assertEquals(held.incarnation() + 1, restarted.snapshot().self().incarnation());
    assertEquals(0L, refused(a, "implausible"), "node-1 accepted the outbidding record");
  }

  private JGroupsMesh member(int i) {
    return members.tcpMember(i, i == 1 ? List.of() : List.of(members.seed(1)), c -> c.withSecret(SECRET));
  }

  private static long incarnationOn(JGroupsMesh observer) {
    io.weft.core.model.Peer p = observer.snapshot().peers().get("node-2");
    return p == null ? -1 : p.record().incarnation();
  }

  private static long refused(JGroupsMesh m, String reason) {
    return m.snapshot().counters().refusals().byReason().getOrDefault(reason, 0L);
  }
}
