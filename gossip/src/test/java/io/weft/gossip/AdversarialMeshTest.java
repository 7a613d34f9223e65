package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Holding;
import io.weft.core.plan.Plausibility;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A member that holds the right secret and its own node key, joined through the real handshake, sends
 * what an honest node never would: relays, subnet holdings and grants while it is not the coordinator, MAX
 * counters and tombstones, grants and holdings outside the cluster, a record flood. Honest nodes keep their subnets and records, and
 * every refusal is counted ({@code weft_mesh_refused_messages_total}) with the latest in the snapshot.
 */
class AdversarialMeshTest {
  private static final byte[] SECRET = "an adversarial mesh test secret of 32+ bytes".getBytes(StandardCharsets.US_ASCII);
  /** 10.244.0.0/16 in /24s: 256 subnets, so each member keeps at most 512 records. */
  private static final int CAP = Plausibility.cap(MeshConfig.DEFAULT_CLUSTER_CIDR, 24);
  private final Members members = new Members();
  private final List<RogueMember> rogues = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    rogues.forEach(RogueMember::close);
    members.close();
  }

  @Test
  void aMemberThatIsNotTheCoordinatorCannotRelayGrantOrOverflowCounters() throws Exception {
    JGroupsMesh a = honest(1, List.of());
    JGroupsMesh b = honest(2, List.of(members.seed(1)));
    RogueMember rogue = rogue(List.of(members.seed(1)));
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().viewSize() == 3 && b.snapshot().viewSize() == 3
        && a.snapshot().peers().containsKey("node-2"));
    NodeRecord before = a.snapshot().peers().get("node-2").record();

    // A Sync from a member that is not the coordinator: node-2 at MAX incarnation on another subnet.
    rogue.multicast(new Wire.Sync(List.of(new Wire.SyncEntry(rogue.sign(stolen(before, Long.MAX_VALUE), 0, true),
        false, 0)), List.of(rogue.forget("rogue", "node-1", Long.MAX_VALUE, Long.MAX_VALUE)), List.of(),
        List.of(new Holding("rogue", Cidr.parse("10.244.2.0/24")))));
    // Subnet holdings from it: node-2's subnet as the rogue's.
    rogue.multicast(new Wire.Agreed(List.of(new Holding("rogue", Cidr.parse("10.244.2.0/24")))));
    // A grant from it.
    rogue.multicast(new Wire.AllocGrant(new Wire.Reservation("node-7", Cidr.parse("10.244.2.0/24"), 0,
        Long.MAX_VALUE)));
    // A forget of node-2 that would hide it forever: MAX incarnation and expiry.
    rogue.multicast(new Wire.Forget(rogue.forget("rogue", "node-2", Long.MAX_VALUE, Long.MAX_VALUE)));
    // Its own record at MAX incarnation (an Announce may only be about its sender).
    rogue.multicast(new Wire.Announce(rogue.sign(record("rogue", members.ip(9), "10.244.9.0/24",
        Long.MAX_VALUE, 1), 0, true)));

    for (JGroupsMesh honest : List.of(a, b)) {
      await().atMost(Members.PATIENCE).until(() -> refused(honest, "not_coordinator") == 3
          && refused(honest, "implausible") == 2);
      MeshSnapshot.Refusal latest = honest.snapshot().counters().refusals().latest();
      assertNotNull(latest);
      assertEquals("rogue", latest.from(), "the refusal names the sender");
    }
    NodeRecord after = a.snapshot().peers().get("node-2").record();
    assertEquals(before, after, "node-2's record is the one node-2 announced");
    assertEquals(PeerState.UP, a.snapshot().peers().get("node-2").state());
    assertEquals(Cidr.parse("10.244.1.0/24"), b.snapshot().peers().get("node-1").record().podSubnet());
    assertTrue(a.snapshot().peers().get("rogue") == null, "the MAX record never got in");

    // node-2 still speaks for itself: a restart's next incarnation wins as usual.
    b.publish(before);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().peers().get("node-2").record().version()
        > before.version());
  }

  @Test
  void aRogueCoordinatorCannotGrantOutsideTheClusterForgeCountersOrFloodMemory() throws Exception {
    RogueMember rogue = rogue(List.of());
    JGroupsMesh a = honest(1, List.of(members.seed(9)));
    JGroupsMesh b = honest(2, List.of(members.seed(9)));
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().viewSize() == 3 && a.snapshot().peers().containsKey("node-2")
        && b.snapshot().peers().containsKey("node-1"));
    assertEquals("rogue", a.snapshot().coordinator(), "the rogue coordinates: its Syncs and grants are relays");
    NodeRecord before = a.snapshot().peers().get("node-2").record();
    long now = System.currentTimeMillis();

    rogue.multicast(new Wire.AllocGrant(new Wire.Reservation("node-7", Cidr.parse("10.1.0.0/24"), now, now + 1000)));
    rogue.multicast(new Wire.AllocGrant(new Wire.Reservation("node-8", Cidr.parse("10.244.0.0/16"), now, now + 1000)));
    // node-2's record, moved and at MAX, signed with the rogue's key: refused for the key before its counters.
    rogue.multicast(new Wire.Sync(List.of(new Wire.SyncEntry(rogue.sign(stolen(before, Long.MAX_VALUE), 0, true),
        false, 0)), List.of(rogue.forget("rogue", "node-1", Long.MAX_VALUE, Long.MAX_VALUE)), List.of(), List.of()));
    // Holdings outside the cluster, even from the coordinator, are no subnets it may agree.
    rogue.multicast(new Wire.Agreed(List.of(new Holding("node-7", Cidr.parse("10.1.0.0/24")))));
    await().atMost(Members.PATIENCE).until(() -> refused(a, "bad_grant") == 2 && refused(a, "implausible") == 2
        && refused(a, "key_conflict") == 1 && refused(b, "bad_grant") == 2 && refused(b, "implausible") == 2
        && refused(b, "key_conflict") == 1);
    assertEquals(before, a.snapshot().peers().get("node-2").record());
    assertEquals(Cidr.parse("10.244.1.0/24"), b.snapshot().peers().get("node-1").record().podSubnet());

    // The flood: 20,000 records with names of 253 characters in Syncs of 500, then one Sync over the cap.
    Runtime rt = Runtime.getRuntime();
    long heapBefore = usedHeap(rt);
    rogue.flood(0, 20_000, 500, now);
    rogue.flood(100_000, CAP + 1, CAP + 1, now);
    // 39 Syncs found the records full (the first fills 500 of the 511 places left, the second the rest), and
    // the one over the cap is refused before it is read.
    for (JGroupsMesh honest : List.of(a, b)) {
      await().atMost(Members.PATIENCE).until(() -> refused(honest, "over_cap") == 40);
      MeshSnapshot s = honest.snapshot();
      assertEquals(CAP, s.peers().size() + s.rejected().size(), "exactly the cap is held, no more");
    }
    assertEquals(before, a.snapshot().peers().get("node-2").record(), "node-2 keeps its record and subnet");
    assertEquals(Cidr.parse("10.244.1.0/24"), b.snapshot().peers().get("node-1").record().podSubnet());
    assertEquals(Cidr.parse("10.244.1.0/24"), a.snapshot().self().podSubnet());
    long heapAfter = usedHeap(rt);
    System.out.printf("flood: %d records sent in 41 Syncs; held %d of them on each honest node (cap %d); refused"
        + " over_cap %d; heap used by the whole test JVM (3 members) after a full GC: %d KB before, %d KB after%n",
        20_000 + CAP + 1, CAP - 1, CAP, refused(a, "over_cap"), heapBefore / 1024, heapAfter / 1024);
  }

  private JGroupsMesh honest(int i, List<InetSocketAddress> seeds) throws Exception {
    return members.configuredMember(i, seeds, SECRET);
  }

  private RogueMember rogue(List<InetSocketAddress> seeds) throws Exception {
    RogueMember r = RogueMember.join(members, 9, SECRET, "rogue", seeds);
    rogues.add(r);
    return r;
  }

  private static long refused(JGroupsMesh m, String reason) {
    return Members.refused(m, reason);
  }

  /** node-2's record moved to the rogue's subnet at the given incarnation. */
  private static NodeRecord stolen(NodeRecord r, long incarnation) {
    return new NodeRecord(r.name(), r.hostname(), r.nodeIp(), r.mac(), Cidr.parse("10.244.9.0/24"), SubnetSource.CONFIGURED,
        incarnation, 1, r.agentVersion(), System.currentTimeMillis());
  }

  private static NodeRecord record(String name, InetAddress ip, String subnet, long incarnation, long version) {
    return new NodeRecord(name, name, ip, Members.mac(9), Cidr.parse(subnet), SubnetSource.ALLOCATED, incarnation,
        version, "0.1.0-rogue", System.currentTimeMillis());
  }

  private static long usedHeap(Runtime rt) {
    System.gc();
    return rt.totalMemory() - rt.freeMemory();
  }
}
