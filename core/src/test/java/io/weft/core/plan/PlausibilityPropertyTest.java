package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import java.time.Duration;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class PlausibilityPropertyTest {
  private static final Duration TOMBSTONE_TIME = Duration.ofMinutes(10);
  private static final Duration RESERVATION_TIME = Duration.ofSeconds(60);
  private final Plausibility rules = new Plausibility(Plausibility.CLOCK_SKEW, TOMBSTONE_TIME, RESERVATION_TIME);

  /** Now: anywhere from 1970 to 2200, the clock range an agent could plausibly have. */
  @Provide
  Arbitrary<Long> now() {
    return Arbitraries.longs().between(0, 7_258_118_400_000L);
  }

  /** Any counter, with the edges an attacker would pick weighted in. */
  @Provide
  Arbitrary<Long> anyCounter() {
    return Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, -1L, 0L,
        Long.MAX_VALUE - 1, Plausibility.MAX_VERSION, Plausibility.MAX_VERSION + 1));
  }

  @Property
  void anAcceptedIncarnationCanBeOutbidWithoutOverflowAndIsNotFarAhead(@ForAll("anyCounter") long incarnation,
      @ForAll("now") long now) {
    if (rules.incarnation(incarnation, now).isEmpty()) {
      assertTrue(incarnation >= 0 && incarnation <= now + Plausibility.CLOCK_SKEW.toMillis());
      assertTrue(incarnation + 1 > incarnation, "outbidding it does not overflow");
      // The owner's answer (one more) is plausible to a peer whose clock has moved on by a millisecond.
      assertTrue(rules.incarnation(incarnation + 1, now + 1).isEmpty());
    } else {
      assertTrue(incarnation < 0 || incarnation > now + Plausibility.CLOCK_SKEW.toMillis());
    }
  }

  @Property
  void maxCountersAreAlwaysRefused(@ForAll("now") long now) {
    NodeRecord maxIncarnation = record(Long.MAX_VALUE, 1, now);
    NodeRecord maxVersion = record(now, Long.MAX_VALUE, now);
    assertTrue(rules.record(maxIncarnation, now, now).isPresent());
    assertTrue(rules.record(maxVersion, now, now).isPresent());
    assertTrue(rules.incarnation(Long.MAX_VALUE, now).isPresent());
  }

  @Property
  void aRecordOfThisMomentIsPlausible(@ForAll("now") long now, @ForAll @IntRange(min = 0, max = 1000) int version) {
    assertTrue(rules.record(record(now, version, now), now, now).isEmpty());
  }

  @Property
  void aRecordIsRefusedWhenAnyOfItsTimesIsImplausible(@ForAll("now") long now, @ForAll("anyCounter") long announced,
      @ForAll("anyCounter") long claimed) {
    boolean refused = rules.record(record(now, 1, announced), claimed, now).isPresent();
    assertEquals(rules.timestamp(announced, now).isPresent() || rules.timestamp(claimed, now).isPresent(), refused);
  }

  @Property
  void clampedExpiriesNeverGrowAndStayWithinTheirTime(@ForAll("anyCounter") long until, @ForAll("now") long now) {
    long tombstone = rules.tombstoneUntil(until, now);
    assertTrue(tombstone <= until && tombstone <= now + TOMBSTONE_TIME.toMillis());
    assertEquals(tombstone, rules.tombstoneUntil(tombstone, now), "a relay passes the clamped value on unchanged");
    long reservation = rules.reservationUntil(until, now);
    assertTrue(reservation <= until && reservation <= now + RESERVATION_TIME.toMillis());
    // A relay later in time can only shorten it further, never extend it.
    assertTrue(rules.reservationUntil(reservation, now + 1000) <= reservation);
  }

  @Property
  void theCapIsTwiceTheSubnetsAtMostMaxCap(@ForAll @IntRange(min = 8, max = 24) int clusterPrefix) {
    int cap = Plausibility.cap(Fixtures.cidr("10.0.0.0/" + clusterPrefix), 24);
    assertEquals(Math.min(Plausibility.MAX_CAP, 2L << (24 - clusterPrefix)), cap);
  }

  @Example
  void theDefaultClusterKeepsFiveHundredTwelve() {
    assertEquals(512, Plausibility.cap(Fixtures.CLUSTER, 24));
  }

  @Example
  void aGrantMustBeAPodSubnetOfTheCluster() {
    assertTrue(Plausibility.grant(Fixtures.cidr("10.244.7.0/24"), Fixtures.CLUSTER, 24).isEmpty());
    assertTrue(Plausibility.grant(Fixtures.cidr("10.1.0.0/24"), Fixtures.CLUSTER, 24).orElseThrow().contains("outside"));
    assertTrue(Plausibility.grant(Fixtures.cidr("10.244.0.0/16"), Fixtures.CLUSTER, 24).orElseThrow()
        .contains("not a /24"));
  }

  private static NodeRecord record(long incarnation, long version, long announcedAt) {
    NodeRecord r = Fixtures.node("node-a", "192.168.1.10", "10.244.1.0/24");
    return new NodeRecord(r.name(), r.hostname(), r.nodeIp(), r.mac(), r.podSubnet(), SubnetSource.ALLOCATED,
        incarnation, version, r.agentVersion(), announcedAt);
  }
}
