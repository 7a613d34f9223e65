package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two parts of the mesh cut off from each other (before anyone joins, discovery included) each grant the
 * same subnet; when the cut heals the collision is settled by the same rule everywhere. A part of one node
 * joins the other part again (MergeProbe: a member alone joins rather than merges), so its claim is a
 * newcomer's and the other part's incumbent keeps the subnet. Two parts of several nodes merge, both hold
 * the subnet, and the tie rule (the smaller SHA-256 of name and subnet) decides, not who claimed first.
 * Simulated transport: its discovery is symmetric, so the parts find each other in one round.
 */
class PartitionCollisionTest {
  private static final Logger log = LoggerFactory.getLogger(PartitionCollisionTest.class);
  private static final Cidr REMEMBERED = Cidr.parse("10.244.42.0/24");

  /** Closed after each test by JUnit, even when it fails: every member leaves, every state dir goes. */
  @AutoClose
  private final Members members = new Members();

  @Test
  void aNodeAloneInItsPartIsANewcomerToTheMeshItRejoinsAndTheIncumbentKeepsTheSubnet() throws Exception {
    Parts parts = collide(false);
    parts.settledFor("node-2", "node-3", "subnet_held");
    parts.assertTheLoserIsToldAndNotRouted(parts.f(), parts.e());
  }

  @Test
  void twoPartsThatBothHoldTheSubnetAreSettledByTheTieRuleNotTheEarlierClaim() throws Exception {
    // SHA-256 of "node-3\n10.244.42.0/24" starts a26e, node-2's fe1c: node-3 keeps it, though node-2
    // claimed it first.
    Parts parts = collide(true);
    parts.settledFor("node-3", "node-2", "subnet_conflict");
    parts.assertTheLoserIsToldAndNotRouted(parts.e(), parts.f());
  }

  /** The members once healed: node-1 (a) and node-2 (e) in one part, node-3 (f) and maybe node-4 in the other. */
  private record Parts(JGroupsMesh a, JGroupsMesh e, JGroupsMesh f, List<JGroupsMesh> all) {
    /** Waits until every member shows the one conflict, the same everywhere, then checks it. */
    void settledFor(String winner, String loser, String code) {
      long healAt = System.nanoTime();
      try {
        await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(200)).until(() ->
            all.stream().allMatch(m -> m.snapshot().viewSize() == all.size() && m.snapshot().conflicts().size() == 1
                && m.snapshot().conflicts().get(0).winner().equals(winner)
                && m.snapshot().conflicts().equals(a.snapshot().conflicts())));
      } catch (org.awaitility.core.ConditionTimeoutException ex) {
        all.forEach(m -> log.error("STATE {}", m.snapshot()));
        throw ex;
      }
      log.info("MEASURED: healed partition of {} nodes merged and collision settled everywhere after {} ms",
          all.size(), (System.nanoTime() - healAt) / 1_000_000);
      MeshSnapshot.SubnetConflict conflict = a.snapshot().conflicts().get(0);
      assertEquals(List.of(loser), conflict.losers());
      assertEquals(code, conflict.code());
    }

    void assertTheLoserIsToldAndNotRouted(JGroupsMesh loser, JGroupsMesh keeper) {
      assertEquals(1, loser.snapshot().lostConflicts().size(), "the loser reports it");
      assertTrue(keeper.snapshot().lostConflicts().isEmpty());
      assertEquals(REMEMBERED, loser.snapshot().self().podSubnet(), "the loser is not silently renumbered");
      assertTrue(a.snapshot().peers().containsKey(keeper.snapshot().self().name()));
      assertFalse(a.snapshot().peers().containsKey(loser.snapshot().self().name()),
          "nobody routes the contested subnet to the loser");
    }
  }

  /** Builds both parts, each granting the remembered subnet, and heals the cut. */
  private Parts collide(boolean secondPartOfTwo) throws Exception {
    List<String> firstPart = List.of("node-1", "node-2");
    List<String> secondPart = secondPartOfTwo ? List.of("node-3", "node-4") : List.of("node-3");
    JGroupsMesh a = members.start(members.sim(1, true));
    JGroupsMesh e = members.start(members.sim(2, false));
    members.faults(a).isolateFrom(secondPart);
    members.faults(e).isolateFrom(secondPart);
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    NodeRecord re = e.join(members.node(2).withRememberedSubnet(REMEMBERED, false))
        .get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(REMEMBERED, re.podSubnet());
    JGroupsMesh f = members.start(members.sim(3, true));
    members.faults(f).isolateFrom(firstPart);
    NodeRecord rf = f.join(members.node(3).withRememberedSubnet(REMEMBERED, false))
        .get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(REMEMBERED, rf.podSubnet(), "each part granted the remembered subnet");
    List<JGroupsMesh> all = new ArrayList<>(List.of(a, e, f));
    if (secondPartOfTwo) {
      JGroupsMesh g = members.start(members.sim(4, false));
      members.faults(g).isolateFrom(firstPart);
      g.join(members.node(4)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      all.add(g);
      await().atMost(Members.PATIENCE).until(() -> f.snapshot().viewSize() == 2);
    }
    assertEquals(2, a.snapshot().viewSize());

    all.forEach(m -> members.faults(m).heal());
    return new Parts(a, e, f, List.copyOf(all));
  }
}
