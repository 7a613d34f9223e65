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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two meshes that never saw each other (a partition from the start) each grant the same subnet; when a
 * bridge node joins through both, they merge and the collision is settled by the same rule everywhere.
 */
class PartitionCollisionTest {
  private Members members;

  @BeforeEach
  void setUp() throws Exception {
    members = new Members();
  }

  @AfterEach
  void tearDown() throws Exception {
    members.close();
  }

  @Test
  void aCollisionMadeInBothHalvesIsResolvedDeterministicallyAndTheLoserIsTold() throws Exception {
    Cidr remembered = Cidr.parse("10.244.42.0/24");
    List<String> half1 = List.of("node-1", "node-2");
    List<String> half2 = List.of("node-3", "node-4");
    List<java.net.InetSocketAddress> both = List.of(members.seed(1), members.seed(3));
    JGroupsMesh a = members.tcpMember(1, List.of(), cfg -> cfg);
    JGroupsMesh e = members.tcpMember(2, both, cfg -> cfg);
    JGroupsMesh c = members.tcpMember(3, List.of(), cfg -> cfg);
    JGroupsMesh f = members.tcpMember(4, both, cfg -> cfg);
    List<JGroupsMesh> all = List.of(a, e, c, f);
    // The partition exists before anyone joins: each half forms on its own.
    a.isolateFrom(half2);
    e.isolateFrom(half2);
    c.isolateFrom(half1);
    f.isolateFrom(half1);
    a.join(members.node(1)).get(20, TimeUnit.SECONDS);
    c.join(members.node(3)).get(20, TimeUnit.SECONDS);
    NodeRecord re = e.join(members.node(2).withRememberedSubnet(remembered, false)).get(20, TimeUnit.SECONDS);
    Thread.sleep(20); // the two claims must differ in time for the rule to decide by it
    NodeRecord rf = f.join(members.node(4).withRememberedSubnet(remembered, false)).get(20, TimeUnit.SECONDS);
    assertEquals(remembered, re.podSubnet());
    assertEquals(remembered, rf.podSubnet(), "each half granted the remembered subnet");
    assertEquals(2, a.snapshot().viewSize());
    assertEquals(2, c.snapshot().viewSize());

    all.forEach(JGroupsMesh::heal);
    try {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
          all.stream().allMatch(m -> m.snapshot().viewSize() == 4 && m.snapshot().conflicts().size() == 1));
    } catch (org.awaitility.core.ConditionTimeoutException ex) {
      all.forEach(m -> org.slf4j.LoggerFactory.getLogger(getClass()).error("STATE {}", m.snapshot()));
      throw ex;
    }

    MeshSnapshot.SubnetConflict conflict = a.snapshot().conflicts().get(0);
    assertEquals("node-2", conflict.winner(), "the earlier claim wins");
    assertEquals(List.of("node-4"), conflict.losers());
    for (JGroupsMesh m : all) {
      assertEquals(conflict, m.snapshot().conflicts().get(0), "same verdict everywhere");
    }
    assertEquals(1, f.snapshot().lostConflicts().size(), "the loser reports it");
    assertTrue(e.snapshot().lostConflicts().isEmpty());
    assertEquals(remembered, f.snapshot().self().podSubnet(), "the loser is not silently renumbered");
    assertTrue(c.snapshot().peers().containsKey("node-2"));
    assertFalse(c.snapshot().peers().containsKey("node-4"), "nobody routes the contested subnet to the loser");
  }
}
