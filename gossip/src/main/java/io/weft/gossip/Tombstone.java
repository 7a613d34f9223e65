package io.weft.gossip;

import java.util.Objects;
import java.util.Optional;

/**
 * A node removed for good: its records of {@code incarnation} and older are ignored until
 * {@code untilMillis}. Either an operator's forget, whose signed statement ({@code forgetting}) every
 * Sync carries on, or derived here (a lease that expired: every member computes that one itself from the
 * node's record and the time it has been down, so it needs no signature and is never relayed).
 */
record Tombstone(String name, long incarnation, long untilMillis, Optional<Forgetting> forgetting) {
  Tombstone {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(forgetting, "forgetting");
  }

  /** A tombstone this member derived itself (an expired lease). */
  static Tombstone derived(String name, long incarnation, long untilMillis) {
    return new Tombstone(name, incarnation, untilMillis, Optional.empty());
  }
}
