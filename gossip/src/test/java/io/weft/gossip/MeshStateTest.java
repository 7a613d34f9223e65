package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import io.weft.core.plan.Holding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MeshStateTest {
  private static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");

  private static MeshState state() {
    MeshState s = new MeshState("self", CLUSTER, 24, false, Duration.ofSeconds(10), Duration.ofSeconds(60));
    s.setSelf(announce("self", 1, 1, "10.244.1.0/24", "192.168.1.1", 1));
    return s;
  }

  private static Announcement announce(String name, long inc, long ver, String subnet, String ip, int mac) {
    return Signing.announce(new NodeRecord(name, name, IpAddresses.parse(ip), Members.mac(mac),
        Cidr.parse(subnet), SubnetSource.ALLOCATED, inc, ver, "0.1.0", 0), 100, true);
  }

  /** This node's operator forgets {@code name}, as RecordExchange does. */
  private static MeshState.Tombstoned forget(MeshState s, String name, long now) {
    return s.forgetHere(Signing.forget("self", name, s.forgetIncarnation(name), now), now);
  }

  /** Another node's forget of {@code name} at incarnation {@code inc}. */
  private static Forgetting forgetBy(String name, long inc) {
    return Signing.forget("other", name, inc, 0);
  }

  @Test
  void newerNewsWinsAndOldNewsNeverOverwritesIt() {
    MeshState s = state();
    assertEquals(MeshState.Offer.CHANGED, s.offer(announce("b", 1, 2, "10.244.2.0/24", "192.168.1.2", 2), 0));
    assertEquals(MeshState.Offer.STALE, s.offer(announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0));
    assertEquals(MeshState.Offer.STALE, s.offer(announce("b", 1, 2, "10.244.2.0/24", "192.168.1.2", 2), 0));
    assertEquals(MeshState.Offer.CHANGED, s.offer(announce("b", 2, 1, "10.244.2.0/24", "192.168.1.2", 2), 0),
        "a restarted node (higher incarnation) wins even with a lower version");
    assertEquals(2, s.known("b").orElseThrow().announcement().record().incarnation());
  }

  @Test
  void membershipComesFromTheViewAndDownIsNotDropped() {
    MeshState s = state();
    s.offer(announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0);
    assertEquals(PeerState.DOWN, s.known("b").orElseThrow().state(), "not in any view yet");
    assertEquals(List.of("b"), s.view(Set.of("b"), 10));
    assertEquals(PeerState.UP, s.known("b").orElseThrow().state());
    s.view(Set.of(), 20);
    MeshState.Known k = s.known("b").orElseThrow();
    assertEquals(PeerState.DOWN, k.state());
    assertEquals(20, k.downSinceMillis());
    assertTrue(s.derive(30, false).peers().containsKey("b"), "a down peer stays visible for the agent's grace");
  }

  @Test
  void aTombstoneKeepsLateNewsOutButLetsARestartedNodeBackIn() {
    MeshState s = state();
    s.offer(announce("b", 1, 5, "10.244.2.0/24", "192.168.1.2", 2), 0);
    assertEquals(1, s.forgetIncarnation("b"));
    forget(s, "b", 0);
    assertTrue(s.known("b").isEmpty());
    assertEquals(MeshState.Offer.TOMBSTONED, s.offer(announce("b", 1, 9, "10.244.2.0/24", "192.168.1.2", 2), 10));
    assertEquals(MeshState.Offer.CHANGED, s.offer(announce("b", 2, 1, "10.244.2.0/24", "192.168.1.2", 2), 10));
  }

  @Test
  void aLeaseRunsOutOnlyForNodesDownLongerThanTheLeaseTime() {
    MeshState s = state();
    s.offer(announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0);
    s.offer(announce("c", 1, 1, "10.244.3.0/24", "192.168.1.3", 3), 0);
    s.view(Set.of("b", "c"), 0);
    s.view(Set.of("c"), 1_000);
    assertEquals(List.of(), s.housekeeping(5_000));
    assertEquals(List.of("b"), s.housekeeping(11_000));
    assertTrue(s.known("c").isPresent());
    assertEquals(MeshState.Offer.TOMBSTONED, s.offer(announce("b", 1, 2, "10.244.2.0/24", "192.168.1.2", 2), 12_000),
        "an expired lease is tombstoned so a late message cannot bring it back");
  }

  @Test
  void aStaleRecordOfThisNodeIsReportedSoItCanBeOutbid() {
    MeshState s = state();
    assertEquals(MeshState.Offer.SELF_STALE, s.offer(announce("self", 1, 1, "10.244.1.0/24", "192.168.1.1", 1), 0));
    assertEquals(MeshState.Offer.SELF_NEWER, s.offer(announce("self", 3, 1, "10.244.9.0/24", "192.168.1.1", 1), 0));
  }

  @Test
  void allocationAvoidsEveryClaimAndGrantAndKeepsAFreePreferredSubnet() {
    MeshState s = state();
    s.offer(announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0);
    s.reserve(new Wire.Reservation("c", Cidr.parse("10.244.3.0/24"), 5, 60_000), 0);
    Cidr preferred = Cidr.parse("10.244.50.0/24");
    Wire.Reservation kept = s.allocate(Signing.request("d", Optional.of(preferred), 7, false), 0,
        Duration.ofSeconds(60));
    assertEquals(preferred, kept.subnet());
    assertEquals(7, kept.claimedAtMillis(), "a kept subnet keeps its original claim time");
    Wire.Reservation taken = s.allocate(Signing.request("e", Optional.of(Cidr.parse("10.244.2.0/24")), 7,
        false), 0, Duration.ofSeconds(60));
    assertFalse(Set.of("10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24").contains(taken.subnet().toString()));
  }

  @Test
  void aNodeThatRemembersNoSubnetGetsBackTheOneTheMeshRecordsForIt() {
    MeshState s = state();
    s.offer(announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0);
    Wire.Reservation back = s.allocate(Signing.request("b", Optional.empty(), 500, false), 1000,
        Duration.ofSeconds(60));
    assertEquals(Cidr.parse("10.244.2.0/24"), back.subnet(), "its lease file was lost, the mesh still knows");
    assertEquals(100, back.claimedAtMillis(), "with the age of its claim");
  }

  @Test
  void duplicatesAndRejectionsAreDerivedWithReasons() {
    MeshState s = state();
    s.offer(announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 1), 0); // same MAC as self
    s.offer(announce("c", 1, 1, "10.244.3.0/24", "127.0.0.3", 3), 0); // loopback refused in production
    MeshState.Derived d = s.derive(0, false);
    assertEquals(1, d.duplicates().size());
    assertEquals(List.of("b", "self"), d.duplicates().get(0).nodes());
    assertEquals(1, d.rejected().size());
    assertEquals("bad_node_ip", d.rejected().get(0).code());
    assertFalse(d.peers().containsKey("c"));
    assertEquals(new MacAddress("02:00:00:00:00:01"), d.peers().get("b").record().mac());
  }

  @Test
  void theIncumbentKeepsItsSubnetAgainstAConfiguredNewcomerAndOnlyTheCoordinatorAgreesHoldings() {
    MeshState member = state();
    Announcement incumbent = announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 2);
    member.offer(incumbent, 0);
    assertTrue(member.derive(0, false).holdings().isEmpty(), "a member agrees nothing itself");
    member.agreedByCoordinator(List.of(new Holding("b", Cidr.parse("10.244.2.0/24"))));
    // A newcomer claims b's subnet as CONFIGURED with the oldest claim time there is.
    member.offer(Signing.announce(new NodeRecord("rogue", "rogue", IpAddresses.parse("192.168.1.9"), Members.mac(9),
        Cidr.parse("10.244.2.0/24"), SubnetSource.CONFIGURED, 1, 1, "0.1.0", 0), 0, true), 0);
    MeshState.Derived d = member.derive(0, false);
    assertTrue(d.peers().containsKey("b"), "the incumbent is still routed");
    assertFalse(d.peers().containsKey("rogue"));
    assertEquals(1, d.conflicts().size());
    assertEquals("b", d.conflicts().get(0).winner());
    assertEquals(List.of("rogue"), d.conflicts().get(0).losers());
    assertEquals("subnet_held", d.conflicts().get(0).code());
    assertTrue(d.conflicts().get(0).reason().contains("rogue is refused"), d.conflicts().get(0).reason());

    member.agreedByCoordinator(List.of(new Holding("rogue", Cidr.parse("10.244.2.0/24"))));
    assertEquals(Set.of(new Holding("b", Cidr.parse("10.244.2.0/24"))), member.holdings(),
        "no coordinator's word takes an incumbent's subnet");

    // b restarts remembering its subnet: it is not a newcomer, whatever the refused claim says.
    Wire.Reservation back = member.allocate(Signing.request("b", Optional.of(Cidr.parse("10.244.2.0/24")), 100,
        false), 0, Duration.ofSeconds(60));
    assertEquals(Cidr.parse("10.244.2.0/24"), back.subnet());

    // Forgotten for good: its holding goes with its record, and the refused claim is free to win.
    forget(member, "b", 0);
    MeshState.Derived after = member.derive(0, true);
    assertTrue(after.conflicts().isEmpty(), after.conflicts().toString());
    assertTrue(after.holdings().contains(new Holding("rogue", Cidr.parse("10.244.2.0/24"))));
    assertFalse(after.holdings().contains(new Holding("b", Cidr.parse("10.244.2.0/24"))));

    MeshState coordinator = state();
    coordinator.offer(incumbent, 0);
    assertEquals(Set.of(new Holding("self", Cidr.parse("10.244.1.0/24")), new Holding("b", Cidr.parse("10.244.2.0/24"))),
        coordinator.derive(0, true).holdings(), "the coordinator agrees its winners");
  }

  @Test
  void theCoordinatorsHoldingOfAViewMemberWhoseRecordComesLaterStillMakesItTheIncumbent() {
    MeshState member = state();
    Holding held = new Holding("b", Cidr.parse("10.244.2.0/24"));
    member.view(Set.of("b"), 0);
    // The coordinator's holdings overtake b's own Announce (another connection).
    member.agreedByCoordinator(List.of(held));
    assertEquals(Set.of(held), member.derive(0, false).holdings(), "b is in the view: its record is on its way");
    member.offer(announce("b", 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0);
    member.offer(Signing.announce(new NodeRecord("rogue", "rogue", IpAddresses.parse("192.168.1.9"), Members.mac(9),
        Cidr.parse("10.244.2.0/24"), SubnetSource.CONFIGURED, 1, 1, "0.1.0", 0), 0, true), 0);
    MeshState.Derived d = member.derive(0, false);
    assertEquals(1, d.conflicts().size(), d.conflicts().toString());
    assertEquals("b", d.conflicts().get(0).winner());
    assertEquals("subnet_held", d.conflicts().get(0).code(), "the incumbent, not a tie");

    // A holding of a node neither known nor in the view is a claim gone.
    MeshState other = state();
    other.agreedByCoordinator(List.of(held));
    assertTrue(other.derive(0, false).holdings().isEmpty());
  }

  @Test
  void recordsTombstonesReservationsAndHoldingsStopAtTheCapButNewsOfHeldNodesStillComesIn() {
    // A /20 holds 16 pod subnets: the cap is 32 of each.
    MeshState s = new MeshState("self", Cidr.parse("10.244.0.0/20"), 24, false, Duration.ofSeconds(10),
        Duration.ofSeconds(60));
    s.setSelf(announce("self", 1, 1, "10.244.1.0/24", "192.168.1.1", 1));
    assertEquals(32, s.cap());
    for (int i = 0; i < 32; i++) {
      assertEquals(MeshState.Offer.CHANGED, s.offer(announce("n" + i, 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0));
      assertEquals(MeshState.Tombstoned.NOTHING_REMOVED, s.applyForget(forgetBy("t" + i, 1), 0));
      assertEquals(MeshState.Reserved.STORED, s.reserve(new Wire.Reservation("r" + i, Cidr.parse("10.244.3.0/24"), 1,
          1000), 0));
    }
    assertEquals(MeshState.Offer.FULL, s.offer(announce("one-more", 1, 1, "10.244.2.0/24", "192.168.1.2", 2), 0));
    assertEquals(MeshState.Tombstoned.FULL, s.applyForget(forgetBy("one-more", 1), 0));
    assertEquals(MeshState.Reserved.FULL, s.reserve(new Wire.Reservation("one-more", Cidr.parse("10.244.3.0/24"), 1,
        1000), 0));
    assertEquals(MeshState.Offer.CHANGED, s.offer(announce("n0", 2, 1, "10.244.2.0/24", "192.168.1.2", 2), 0),
        "a node already held is updated whatever the cap");
    assertEquals(MeshState.Tombstoned.NOTHING_REMOVED, s.applyForget(forgetBy("t0", 5), 0),
        "a tombstone already held is updated");
    assertEquals(MeshState.Tombstoned.REMOVED, s.applyForget(forgetBy("n1", 1), 0),
        "a tombstone that removes a record held always has room (at most one per record)");
    assertEquals(31, s.derive(0, false).peers().size() + s.derive(0, false).rejected().size());
    forget(s, "n2", 0);
    assertTrue(s.known("n2").isEmpty(), "an operator's forget is never refused for the cap");

    List<Holding> holdings = new ArrayList<>();
    for (int i = 0; i < 33; i++) {
      holdings.add(new Holding("h" + i, Cidr.parse("10.244." + (i % 16) + ".0/24")));
    }
    MeshState.HoldingsTaken taken = s.learnHoldings(holdings);
    assertTrue(taken.added());
    assertEquals(1, taken.full(), "holdings stop at the cap too");
    assertEquals(32, s.holdings().size());
    assertEquals(new MeshState.HoldingsTaken(false, 0), s.learnHoldings(List.of(holdings.get(0))),
        "a holding already held is no news, whatever the cap");
  }
}
