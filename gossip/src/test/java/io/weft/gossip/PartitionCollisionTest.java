package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Two halves cut off from each other (before anyone joins, discovery included) each grant the same
 * subnet; when the cut heals they merge and the collision is settled by the same rule everywhere: both
 * halves hold the subnet, so the tie rule (the smaller SHA-256 of name and subnet) decides, not who
 * claimed first.
 * Simulated transport: its discovery is symmetric, so MERGE3 merges the halves in one round (over TCP
 * with seeds on one side only, JGroups sometimes needs several rounds, see the notes).
 */
class PartitionCollisionTest {
  /** Closed after each test by JUnit, even when it fails: every member leaves, every state dir goes. */
  @AutoClose
  private final Members members = new Members();

  /** SHA-256 of "node-3\n10.244.42.0/24" starts a26e, node-2's fe1c: node-3 keeps the subnet. */
  private static final String TIE_WINNER = "node-3";

  @Test
  void aCollisionMadeInBothHalvesIsResolvedDeterministicallyAndTheLoserIsTold() throws Exception {
    Cidr remembered = Cidr.parse("10.244.42.0/24");
    // node-1 and node-2 form one half; node-3 starts a mesh of its own while cut off from them.
    JGroupsMesh a = members.start(members.sim(1, true));
    JGroupsMesh e = members.start(members.sim(2, false));
    members.faults(a).isolateFrom(List.of("node-3"));
    members.faults(e).isolateFrom(List.of("node-3"));
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    NodeRecord re = e.join(members.node(2).withRememberedSubnet(remembered, false)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(remembered, re.podSubnet());
    JGroupsMesh f = members.start(members.sim(3, true));
    members.faults(f).isolateFrom(List.of("node-1", "node-2"));
    NodeRecord rf = f.join(members.node(3).withRememberedSubnet(remembered, false)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(remembered, rf.podSubnet(), "each half granted the remembered subnet");
    assertEquals(2, a.snapshot().viewSize());
    List<JGroupsMesh> all = List.of(a, e, f);

    all.forEach(m -> members.faults(m).heal());
    List<JGroupsMesh> healed = all;
    long healAt = System.nanoTime();
    try {
      await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(200)).until(() ->
          healed.stream().allMatch(m -> m.snapshot().viewSize() == 3 && m.snapshot().conflicts().size() == 1
              && m.snapshot().conflicts().get(0).winner().equals(TIE_WINNER)));
    } catch (org.awaitility.core.ConditionTimeoutException ex) {
      healed.forEach(m -> org.slf4j.LoggerFactory.getLogger(getClass()).error("STATE {}", m.snapshot()));
      throw ex;
    }

    org.slf4j.LoggerFactory.getLogger(getClass()).info("MEASURED: healed partition merged and collision settled"
        + " everywhere after {} ms", (System.nanoTime() - healAt) / 1_000_000);
    MeshSnapshot.SubnetConflict conflict = a.snapshot().conflicts().get(0);
    assertEquals(TIE_WINNER, conflict.winner());
    assertEquals(List.of("node-2"), conflict.losers(), "node-2 claimed first, and that decides nothing");
    assertEquals("subnet_conflict", conflict.code());
    for (JGroupsMesh m : healed) {
      assertEquals(conflict, m.snapshot().conflicts().get(0), "same verdict everywhere");
    }
    assertEquals(1, e.snapshot().lostConflicts().size(), "the loser reports it");
    assertTrue(f.snapshot().lostConflicts().isEmpty());
    assertEquals(remembered, e.snapshot().self().podSubnet(), "the loser is not silently renumbered");
    assertTrue(a.snapshot().peers().containsKey("node-3"));
    assertFalse(a.snapshot().peers().containsKey("node-2"), "nobody routes the contested subnet to the loser");
  }
}
