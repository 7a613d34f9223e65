package io.weft.core.plan;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The incarnation an agent starts with, from the last one its lease file kept and its clock now. Pure.
 *
 * <p>Incarnations are wall-clock based: normally {@code max(now, last + 1)}, so a restart outbids every record
 * of the node the mesh still holds. But peers refuse an incarnation more than the clock skew ahead of their
 * clocks ({@link Plausibility}), so a lease written while this node's clock ran far ahead would keep the node
 * refused after the clock is fixed, until real time caught up with it. Such a lease incarnation (one more
 * than it would be refused at this node's own clock) is not reused: the agent starts at {@code now} and says
 * so ({@link #discarded}). Its peers never accepted the future one (they refused it), so what they hold of
 * this node is an older, plausible record, which {@code now} outbids; or one the skew still allowed at an
 * earlier start, which the node outbids by one when the mesh shows it (a record of itself newer than its own),
 * and that one more is plausible to a peer whose clock agrees with this node's.
 *
 * @param incarnation the incarnation to run with
 * @param discarded   the lease's incarnation when it was too far ahead to reuse; empty when it was reused or
 *                    there was none
 */
public record StartIncarnation(long incarnation, OptionalLong discarded) {
  public StartIncarnation {
    Objects.requireNonNull(discarded, "discarded");
  }

  /**
   * @param last      the lease file's incarnation, empty without a lease
   * @param nowMillis this node's clock
   * @param clockSkew how far ahead of a peer's clock an incarnation may be ({@link Plausibility#CLOCK_SKEW})
   */
  public static StartIncarnation choose(OptionalLong last, long nowMillis, Duration clockSkew) {
    long now = Math.max(0, nowMillis);
    if (last.isEmpty() || last.getAsLong() < 0) {
      return new StartIncarnation(now, OptionalLong.empty());
    }
    long l = last.getAsLong();
    long latest = Long.MAX_VALUE - now < clockSkew.toMillis() ? Long.MAX_VALUE : now + clockSkew.toMillis();
    if (l >= latest) {
      // l + 1 would be refused by a peer whose clock agrees with this node's.
      return new StartIncarnation(now, OptionalLong.of(l));
    }
    return new StartIncarnation(Math.max(now, l + 1), OptionalLong.empty());
  }

  /** The start's log line when the lease's incarnation was discarded, naming how far ahead the clock had been. */
  public String warning(String node, long nowMillis) {
    long ahead = discarded.orElseThrow() - nowMillis;
    return node + ": the lease's last incarnation " + discarded.getAsLong() + " is " + Duration.ofMillis(ahead)
        .toSeconds() + " s ahead of this node's clock, more than the mesh accepts: this node's clock was ahead"
        + " when it last ran (fixed since?). Starting at incarnation " + incarnation + " (now) instead, so peers"
        + " accept this node's record; keep clocks synchronised (NTP)";
  }
}
