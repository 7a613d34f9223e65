package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Unreachable seeds, remembered peers, and restarts that keep the subnet. */
class SeedRetryTest {
  /** Closed after each test by JUnit, even when it fails: every member leaves, every state dir goes. */
  @AutoClose
  private final Members members = new Members();

  private static MeshConfig fastRetry(MeshConfig c) {
    return c.withTiming(c.timing().withRetry(Duration.ofMillis(200), Duration.ofSeconds(1)));
  }

  @Test
  void aNodeWhoseSeedsAreDownKeepsTryingAndSaysSo() throws Exception {
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), SeedRetryTest::fastRetry);
    CompletableFuture<NodeRecord> joined = b.join(members.node(2));
    await().atMost(Members.PATIENCE).until(() -> b.snapshot().seeds().state()
        == MeshSnapshot.SeedStatus.State.RETRYING && b.snapshot().seeds().attempts() >= 2);
    assertTrue(b.snapshot().seeds().message().contains(members.ip(1).getHostAddress()));
    assertEquals(0, b.snapshot().viewSize(), "no lonely singleton mesh while seeds are down");

    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    joined.get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> b.snapshot().converged() && a.snapshot().converged()
        && b.snapshot().upPeers().size() == 1);
  }

  @Test
  void seedsThatListEachOtherAndStartTogetherFormOneMesh() throws Exception {
    // As a DaemonSet gives it: every node the same --peer list, each seed in it too.
    List<InetSocketAddress> seeds = List.of(members.seed(2), members.seed(1));
    JGroupsMesh a = members.tcpMember(1, seeds, SeedRetryTest::fastRetry);
    JGroupsMesh b = members.tcpMember(2, seeds, SeedRetryTest::fastRetry);
    CompletableFuture<NodeRecord> ja = a.join(members.node(1));
    CompletableFuture<NodeRecord> jb = b.join(members.node(2));
    ja.get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    jb.get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().converged() && b.snapshot().converged()
        && a.snapshot().upPeers().size() == 1 && b.snapshot().upPeers().size() == 1);
  }

  @Test
  void seedsAreOrderedByAddressThenPort() {
    InetSocketAddress low = new InetSocketAddress(members.ip(1), 7000);
    InetSocketAddress high = new InetSocketAddress(members.ip(2), 6000);
    assertTrue(SeedJoiner.compareAddresses(low, high) < 0);
    assertTrue(SeedJoiner.compareAddresses(high, low) > 0);
    assertTrue(SeedJoiner.compareAddresses(low, new InetSocketAddress(members.ip(1), 7001)) < 0);
  }

  @Test
  void aRestartWhileEverySeedIsDownRejoinsThroughRememberedPeersAndKeepsItsSubnet() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c);
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), c -> c);
    JGroupsMesh c = members.tcpMember(3, List.of(members.seed(1)), SeedRetryTest::fastRetry);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    NodeRecord before = c.join(members.node(3)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> c.snapshot().upPeers().size() == 2);
    // JGroups may learn node-2's address only after the view that brought it: it must still be
    // remembered (it once was not, and the restart below then waited for the dead seed forever).
    String node2 = members.ip(2).getHostAddress() + ":" + members.port;
    await().atMost(Members.PATIENCE).until(() -> remembered(3).contains(node2));

    members.crash(c);
    a.close();
    await().atMost(Members.PATIENCE).until(() -> b.snapshot().peers().get("node-3").state() == PeerState.DOWN);

    JGroupsMesh c2 = members.tcpMember(3, List.of(members.seed(1)), SeedRetryTest::fastRetry);
    NodeRecord after = c2.join(members.node(3)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(before.podSubnet(), after.podSubnet(), "a restart keeps the subnet from the state dir");
    assertTrue(after.incarnation() > before.incarnation());
    await().atMost(Members.PATIENCE).until(() -> {
      var p = b.snapshot().peers().get("node-3");
      return p != null && p.state() == PeerState.UP && p.record().incarnation() == after.incarnation();
    });
    await().atMost(Members.PATIENCE).until(() -> c2.snapshot().peers().containsKey("node-2"));
  }

  @Test
  void aForgottenNodeIsNoLongerRememberedNorExpected() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c);
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), c -> c);
    JGroupsMesh c = members.tcpMember(3, List.of(members.seed(1)), c2 -> c2);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    c.join(members.node(3)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    String node3 = members.ip(3).getHostAddress() + ":" + members.port;
    await().atMost(Members.PATIENCE).until(() -> remembered(1).contains(node3) && remembered(2).contains(node3)
        && b.snapshot().expectedPeers().contains(members.ip(3)));

    members.crash(c);
    await().atMost(Members.PATIENCE).until(() -> b.snapshot().peers().get("node-3").state() == PeerState.DOWN);
    a.forget("node-3");
    // Decommissioned: no member rejoins through it, probes it, or waits for it at its next start.
    await().atMost(Members.PATIENCE).until(() -> !remembered(1).contains(node3) && !remembered(2).contains(node3)
        && !a.snapshot().expectedPeers().contains(members.ip(3)) && !b.snapshot().expectedPeers().contains(members.ip(3)));
    assertTrue(remembered(2).contains(members.ip(1).getHostAddress() + ":" + members.port), "the others stay remembered");
  }

  @Test
  void aNodeThatJoinsWhileAForgottenNodeIsStillInTheViewNeitherRemembersNorExpectsIt() throws Exception {
    // Failure detection slow enough that the hung, forgotten node is still a view member when node-4 joins.
    UnaryOperator<MeshConfig> slowDetection = c -> c.withTiming(c.timing()
        .withFailureDetection(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMillis(500)));
    JGroupsMesh a = members.tcpMember(1, List.of(), slowDetection);
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), slowDetection);
    JGroupsMesh c = members.tcpMember(3, List.of(members.seed(1)), slowDetection);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    c.join(members.node(3)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().peers().containsKey("node-3"));
    members.faults(c).hang(true);
    a.forget("node-3");
    await().atMost(Members.PATIENCE).until(() -> !b.snapshot().peers().containsKey("node-3"));

    JGroupsMesh d = members.tcpMember(4, List.of(members.seed(1)), slowDetection);
    d.join(members.node(4)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    String node1 = members.ip(1).getHostAddress() + ":" + members.port;
    await().atMost(Members.PATIENCE).until(() -> remembered(4).contains(node1) && d.snapshot().viewSize() == 4);
    assertFalse(remembered(4).contains(members.ip(3).getHostAddress() + ":" + members.port), remembered(4));
    assertFalse(d.snapshot().expectedPeers().contains(members.ip(3)), d.snapshot().expectedPeers().toString());
  }

  private String remembered(int i) throws java.io.IOException {
    Path file = members.stateDir(i).resolve(StateStore.PEERS_FILE);
    return Files.exists(file) ? Files.readString(file) : "";
  }

  @Test
  void aDnsNameIsResolvedToSeedsOnEveryAttempt() throws Exception {
    java.net.InetAddress localhost = java.net.InetAddress.getByName("127.0.0.1");
    JGroupsMesh a = members.start(Members.loopback(members.cluster, localhost, members.port,
        members.stateDir(1), List.of()));
    a.join(LocalNode.allocated("node-1", localhost, Members.mac(1), "0.1.0")).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    JGroupsMesh b = members.tcpMember(2, List.of(), c -> c.withDnsQuery("localhost"));
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> b.snapshot().upPeers().size() == 1
        && b.snapshot().seeds().candidates().contains("127.0.0.1:" + members.port));
  }
}
