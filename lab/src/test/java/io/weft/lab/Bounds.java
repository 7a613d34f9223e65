package io.weft.lab;

import java.time.Duration;

/**
 * Generous upper bounds for the end-to-end assertions (a loaded 2-core CI runner must not turn
 * them red); the measured times are logged so a slowdown shows in the logs, not as flakiness.
 */
final class Bounds {
  private Bounds() {}

  /** A peer that left or crashed is shown down elsewhere. */
  static final Duration FAILURE_DETECTION = Duration.ofSeconds(30);
  /** A new node routes and is routed by everyone. */
  static final Duration JOIN = Duration.ofSeconds(45);
  /**
   * A deleted or changed route is back: the issue's own bound, not a generous one. The repair is one
   * netlink event and one write on an idle agent (27-61 ms measured here, polls included), so a miss is a
   * lost event or a slow loop, not a busy runner.
   */
  static final Duration DRIFT_REPAIR = Duration.ofSeconds(1);
  /** A healed partition is one mesh again with every route right. */
  static final Duration MERGE = Duration.ofSeconds(90);
  /** Traffic settles after a change (pods reachable). */
  static final Duration TRAFFIC = Duration.ofSeconds(30);
  /** How long nothing may happen when nothing should (rogue node). */
  static final Duration QUIET = Duration.ofSeconds(8);
}
