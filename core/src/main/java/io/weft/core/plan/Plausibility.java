package io.weft.core.plan;

import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a sender may assert about counters, clocks and sizes before the mesh believes it. Pure: every node
 * evaluates the same rule on the same message (up to its own clock), so the mesh still converges.
 *
 * <ul>
 *   <li>An incarnation is wall-clock based (an agent starts at {@code max(now, last + 1)}), so one more
 *       than {@link #CLOCK_SKEW} ahead of this node's clock is refused; so is a negative one. A version
 *       counts changes within one incarnation: above {@link #MAX_VERSION} (one change a millisecond for
 *       8,900 years) it is refused. Whatever is accepted can be outbid by one without overflowing, so a
 *       forged record can never lock its owner out.</li>
 *   <li>Timestamps (announced at, claimed at) lie in {@code [0, now + skew]}, else refused.</li>
 *   <li>Expiries are clamped: a tombstone lasts at most {@code tombstoneTime} from its arrival, a subnet
 *       reservation at most {@code reservationTime}; a relay passes on the clamped value, so no hop can
 *       extend one.</li>
 *   <li>State is capped: {@link #cap} records, tombstones and reservations (each), and no list in one
 *       message is longer.</li>
 * </ul>
 *
 * <p>Statements about other nodes (relays, tombstones, grants) are not signed yet; these checks are the
 * ones a signature check will sit beside.
 *
 * @param clockSkew       how far ahead of this node's clock a peer's clock may be
 * @param tombstoneTime   the longest a forget hides a node's records
 * @param reservationTime the longest a granted subnet stays reserved before its node announces it
 */
public record Plausibility(Duration clockSkew, Duration tombstoneTime, Duration reservationTime) {
  /** Clocks of a cluster's nodes are NTP-synchronised; five minutes covers a badly drifting one. */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
  /** The largest version accepted: 2^48. */
  public static final long MAX_VERSION = 1L << 48;
  /** The cap never exceeds this many entries, whatever the cluster CIDR (KeyBindingStore's cap too). */
  public static final int MAX_CAP = 4096;

  public Plausibility {
    Objects.requireNonNull(clockSkew, "clockSkew");
    Objects.requireNonNull(tombstoneTime, "tombstoneTime");
    Objects.requireNonNull(reservationTime, "reservationTime");
  }

  /**
   * How many records (and, each, tombstones, reservations and subnet holdings) a member keeps: twice the
   * number of pod subnets the cluster CIDR holds (every subnet owned, and as many nodes again waiting or
   * refused, or holding a subnet in a tie after a merge), at most {@link #MAX_CAP}.
   */
  public static int cap(Cidr clusterCidr, int subnetPrefixLength) {
    long subnets = clusterCidr.subnetCount(subnetPrefixLength);
    return (int) Math.min(MAX_CAP, 2 * subnets);
  }

  /** Why a record's counters or timestamps are implausible at {@code nowMillis}, or empty when they are not. */
  public Optional<String> record(NodeRecord r, long claimedAtMillis, long nowMillis) {
    return incarnation(r.incarnation(), nowMillis).map(p -> "incarnation " + p)
        .or(() -> r.version() < 0 || r.version() > MAX_VERSION
            ? Optional.of("version " + r.version() + " is outside 0.." + MAX_VERSION) : Optional.empty())
        .or(() -> timestamp(r.announcedAtMillis(), nowMillis).map(p -> "announced-at time " + p))
        .or(() -> timestamp(claimedAtMillis, nowMillis).map(p -> "claimed-at time " + p))
        .map(p -> "record of " + r.name() + ": " + p);
  }

  /** Why an incarnation (a record's, or the one a tombstone hides) is implausible, or empty. */
  public Optional<String> incarnation(long incarnation, long nowMillis) {
    if (incarnation < 0) {
      return Optional.of(incarnation + " is negative");
    }
    return aheadOf(incarnation, nowMillis);
  }

  /** Why a wall-clock time a sender asserts is implausible, or empty. */
  public Optional<String> timestamp(long millis, long nowMillis) {
    if (millis < 0) {
      return Optional.of(millis + " is negative");
    }
    return aheadOf(millis, nowMillis);
  }

  /** A tombstone's expiry as this node keeps it: at most {@code tombstoneTime} from now. */
  public long tombstoneUntil(long untilMillis, long nowMillis) {
    return Math.min(untilMillis, saturatedAdd(nowMillis, tombstoneTime.toMillis()));
  }

  /** A reservation's expiry as this node keeps it: at most {@code reservationTime} from now. */
  public long reservationUntil(long untilMillis, long nowMillis) {
    return Math.min(untilMillis, saturatedAdd(nowMillis, reservationTime.toMillis()));
  }

  /** Why a granted subnet cannot be one: outside the cluster CIDR or not of the pod subnet size. */
  public static Optional<String> grant(Cidr subnet, Cidr clusterCidr, int subnetPrefixLength) {
    if (!clusterCidr.contains(subnet)) {
      return Optional.of("subnet " + subnet + " is outside the cluster CIDR " + clusterCidr);
    }
    if (subnet.prefixLength() != subnetPrefixLength) {
      return Optional.of("subnet " + subnet + " is not a /" + subnetPrefixLength);
    }
    return Optional.empty();
  }

  private Optional<String> aheadOf(long millis, long nowMillis) {
    long latest = saturatedAdd(nowMillis, clockSkew.toMillis());
    if (millis > latest) {
      return Optional.of(millis + " is more than " + clockSkew.toMinutes() + " min ahead of this node's clock ("
          + nowMillis + "): a forged value, or a clock to fix (NTP)");
    }
    return Optional.empty();
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
