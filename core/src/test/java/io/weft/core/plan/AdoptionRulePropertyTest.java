package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

class AdoptionRulePropertyTest {
  private static final Duration GRACE = Duration.ofSeconds(60);
  private static final InetAddress SELF = ip("192.168.1.11");

  /** Addresses from a small pool, this node's own among them, so expected and known overlap often. */
  @Provide
  Arbitrary<List<InetAddress>> peers() {
    return Arbitraries.integers().between(11, 16).map(i -> ip("192.168.1." + i)).list().ofMaxSize(6);
  }

  private static AdoptionRule.Decision decide(long elapsed, boolean settled, List<InetAddress> expected,
      List<InetAddress> known) {
    return AdoptionRule.decide(1_000, GRACE, 1_000 + elapsed, settled, expected, known, SELF);
  }

  @Property(tries = 1000)
  void routesAreHeldWithinTheGraceWhileAnExpectedPeerIsUnknown(@ForAll @LongRange(min = 0, max = 59_999) long elapsed,
      @ForAll boolean settled, @ForAll("peers") List<InetAddress> expected, @ForAll("peers") List<InetAddress> known) {
    Set<InetAddress> missing = new HashSet<>(expected);
    missing.removeAll(known);
    missing.remove(SELF);
    if (!missing.isEmpty()) {
      assertTrue(decide(elapsed, settled, expected, known).holding(), "a peer not heard from yet: " + missing);
    }
  }

  @Property(tries = 1000)
  void theGraceBoundsAdoptionWhateverTheMeshDoes(@ForAll @LongRange(min = 60_000, max = 10_000_000) long elapsed,
      @ForAll boolean settled, @ForAll("peers") List<InetAddress> expected, @ForAll("peers") List<InetAddress> known) {
    AdoptionRule.Decision d = decide(elapsed, settled, expected, known);
    assertFalse(d.holding());
    assertTrue(d.reason().contains("elapsed"), d.reason());
  }

  @Property(tries = 1000)
  void withinTheGraceAdoptionEndsExactlyWhenTheViewSettledWithEveryExpectedPeer(
      @ForAll @LongRange(min = 0, max = 59_999) long elapsed, @ForAll boolean settled,
      @ForAll("peers") List<InetAddress> expected, @ForAll("peers") List<InetAddress> known) {
    Set<InetAddress> everyone = new HashSet<>(known);
    everyone.add(SELF);
    boolean allKnown = everyone.containsAll(expected);
    assertEquals(!(settled && allKnown), decide(elapsed, settled, expected, known).holding());
  }

  @Property(tries = 1000)
  void awaitedIsTheExpectedPeersNotKnownInTheirOrderAndLearningAPeerNeverHoldsAgain(
      @ForAll @LongRange(min = 0, max = 120_000) long elapsed, @ForAll boolean settled,
      @ForAll("peers") List<InetAddress> expected, @ForAll("peers") List<InetAddress> known) {
    AdoptionRule.Decision d = decide(elapsed, settled, expected, known);
    List<InetAddress> want = new ArrayList<>();
    for (InetAddress a : expected) {
      if (!known.contains(a) && !a.equals(SELF) && !want.contains(a)) {
        want.add(a);
      }
    }
    assertEquals(want, d.awaited());
    if (!d.holding()) {
      List<InetAddress> more = new ArrayList<>(known);
      more.addAll(expected);
      assertFalse(decide(elapsed, settled, expected, more).holding(), "knowing more peers cannot hold adoption again");
    }
  }

  @Example
  void aNodeThatStartsAloneKeepsTheRoutesOfThePeersItRemembers() {
    List<InetAddress> remembered = List.of(ip("192.168.1.12"), ip("192.168.1.13"));
    AdoptionRule.Decision alone = decide(500, true, remembered, List.of());
    assertTrue(alone.holding());
    assertEquals("waiting for expected peers 192.168.1.12, 192.168.1.13", alone.reason());
    AdoptionRule.Decision oneBack = decide(2_000, true, remembered, List.of(ip("192.168.1.13")));
    assertEquals(List.of(ip("192.168.1.12")), oneBack.awaited());
    assertEquals("mesh view settled", decide(3_000, true, remembered, remembered).reason());
  }
}
