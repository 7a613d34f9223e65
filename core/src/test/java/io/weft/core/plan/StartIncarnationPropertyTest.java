package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class StartIncarnationPropertyTest {
  private static final Duration SKEW = Plausibility.CLOCK_SKEW;
  private static final long SKEW_MS = SKEW.toMillis();
  private final Plausibility rules = new Plausibility(SKEW, Duration.ofMinutes(10), Duration.ofSeconds(60));

  @Provide
  Arbitrary<Long> now() {
    return Arbitraries.longs().between(0, 7_258_118_400_000L);
  }

  /** A lease's last incarnation: anywhere, with the skew's edges around a clock near the test's now weighted in. */
  @Provide
  Arbitrary<Long> last() {
    return Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(0, 7_258_118_400_000L + 2 * SKEW_MS),
        Arbitraries.of(Long.MAX_VALUE, Long.MAX_VALUE - 1, -1L, 0L));
  }

  @Property
  void theStartIncarnationIsAlwaysOnePeersWithTheSameClockAccept(@ForAll("last") long last, @ForAll("now") long now) {
    StartIncarnation s = StartIncarnation.choose(OptionalLong.of(last), now, SKEW);
    assertTrue(rules.incarnation(s.incarnation(), now).isEmpty(), s + " at " + now);
    assertTrue(s.incarnation() >= now, "never before the clock");
  }

  @Property
  void aPlausibleLeaseIsOutbidAndOnlyAFarAheadOneIsDiscarded(@ForAll("last") long last, @ForAll("now") long now) {
    StartIncarnation s = StartIncarnation.choose(OptionalLong.of(last), now, SKEW);
    boolean refusable = last >= 0 && rules.incarnation(last + 1, now).isPresent();
    assertEquals(refusable, s.discarded().isPresent(), s.toString());
    if (last >= 0 && !refusable) {
      assertTrue(s.incarnation() > last, "a restart outbids every record of the last run: " + s);
      assertEquals(Math.max(now, last + 1), s.incarnation());
    }
    if (refusable) {
      assertEquals(now, s.incarnation());
      assertEquals(last, s.discarded().getAsLong());
    }
  }

  /**
   * What a peer can hold of this node after the clock is fixed: the future incarnation it refused is not among
   * it; a record accepted earlier (at the peer's time {@code then}, plausible then) is either outbid by the start
   * or, when the mesh shows it to the node, by one more, and that one more is plausible to the peer now.
   */
  @Property
  void aRestartAfterAFixedClockWinsOverWhatAPeerCouldHold(@ForAll("now") long now,
      @ForAll("last") long futureLease, @ForAll("sinceThen") long sinceThen, @ForAll("withinSkew") long ahead) {
    long then = Math.max(0, now - sinceThen);
    long held = then + ahead; // a peer accepted it at its clock "then": at most the skew ahead
    StartIncarnation s = StartIncarnation.choose(OptionalLong.of(Math.max(futureLease, held)), now, SKEW);
    long announced = s.incarnation() > held ? s.incarnation() : held + 1; // SubnetAgreement.reincarnate
    assertTrue(announced > held, "the restart wins over the held record");
    assertTrue(rules.incarnation(announced, now + 1).isEmpty(),
        "a peer whose clock agrees (a millisecond on) accepts " + announced + " (held " + held + ", now " + now + ")");
  }

  @Provide
  Arbitrary<Long> sinceThen() {
    return Arbitraries.longs().between(0, 3 * SKEW_MS);
  }

  @Provide
  Arbitrary<Long> withinSkew() {
    return Arbitraries.longs().between(0, SKEW_MS);
  }

  @Example
  void noLeaseStartsNowAndALeaseAnHourAheadIsDiscardedWithAWarning() {
    long now = 1_800_000_000_000L;
    assertEquals(new StartIncarnation(now, OptionalLong.empty()), StartIncarnation.choose(OptionalLong.empty(), now, SKEW));
    StartIncarnation s = StartIncarnation.choose(OptionalLong.of(now + 3_600_000), now, SKEW);
    assertEquals(now, s.incarnation());
    String warning = s.warning("node-2", now);
    assertTrue(warning.contains("3600 s ahead") && warning.contains("clock was ahead") && warning.contains("NTP"),
        warning);
    // Just inside the skew the lease is reused (one more), as before.
    assertEquals(now + SKEW_MS, StartIncarnation.choose(OptionalLong.of(now + SKEW_MS - 1), now, SKEW).incarnation());
    assertTrue(StartIncarnation.choose(OptionalLong.of(now + SKEW_MS), now, SKEW).discarded().isPresent());
  }
}
