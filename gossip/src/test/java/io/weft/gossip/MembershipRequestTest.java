package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.PeerState;
import io.weft.core.net.Cidr;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.GMS.GmsHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GMS takes a JOIN or LEAVE request for the member its header names. A member that holds the secret sends the
 * coordinator a LEAVE request in another member's name ({@link MembershipRequestGuard}): the named member stays
 * in every view, the request is counted {@code not_sender} and the coordinator's status says who sent it.
 */
class MembershipRequestTest {
  private static final byte[] SECRET = "a membership request test secret of 32+ bytes".getBytes(StandardCharsets.US_ASCII);
  private final Members members = new Members();
  private RawMember raw;

  @AfterEach
  void tearDown() throws Exception {
    if (raw != null) {
      raw.close();
    }
    members.close();
  }

  @Test
  void aLeaveRequestInAnotherMembersNameIsRefusedAndTheMemberStays() throws Exception {
    JGroupsMesh coordinator = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
    coordinator.join(LocalNode.configured("node-1", members.ip(1), Members.mac(1), Cidr.parse("10.244.1.0/24"),
        "0.1.0-test")).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    JGroupsMesh victim = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    victim.join(LocalNode.configured("node-2", members.ip(2), Members.mac(2), Cidr.parse("10.244.2.0/24"),
        "0.1.0-test")).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    raw = RawMember.join(members, 9, SECRET, "raw", List.of(members.seed(1)));
    await().atMost(Members.PATIENCE).until(() -> coordinator.snapshot().viewSize() == 3
        && victim.snapshot().viewSize() == 3);

    long rejoinsBefore = victim.snapshot().counters().mergeDetection().rejoinsStarted();
    raw.sendHeader(raw.member("node-1"), ClassConfigurator.getProtocolId(GMS.class),
        new GmsHeader(GmsHeader.LEAVE_REQ, raw.member("node-2")));

    await().atMost(Members.PATIENCE).until(() -> refused(coordinator, "not_sender") == 1);
    MeshSnapshot.Refusal latest = coordinator.snapshot().counters().refusals().latest();
    assertEquals("raw", latest.from(), "the refusal names the sender");
    assertTrue(latest.why().contains("a leave request for node-2"), latest.why());
    // Long enough for GMS to have installed the view without node-2, had it taken the request.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() ->
        coordinator.snapshot().viewSize() == 3 && victim.snapshot().viewSize() == 3);
    assertEquals(PeerState.UP, coordinator.snapshot().peers().get("node-2").state());
    // Taken, the request removes node-2 from the view and node-2 rejoins within a second or so (checked
    // with the guard switched off): a flap the view size alone could miss.
    assertEquals(rejoinsBefore, victim.snapshot().counters().mergeDetection().rejoinsStarted(),
        "node-2 never found itself left out");
  }

  private static long refused(JGroupsMesh m, String reason) {
    return m.snapshot().counters().refusals().byReason().getOrDefault(reason, 0L);
  }
}
