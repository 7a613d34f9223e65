package io.weft.core.plan;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Whether a starting agent may prune the routes of its own it found in the kernel ("adopted") that no
 * peer claims yet.
 *
 * <p>A settled view alone is not enough: when every agent restarts at once (a DaemonSet rollout with
 * maxUnavailable 100%, a power event) the first one up finds nobody, starts a mesh of one, and that view
 * is complete at once; pruning then deleted the routes to every live peer for the seconds they took to
 * come back. So adoption also waits for the peers this node expects (its seeds, DNS answers and the
 * peers it remembers from its last run): each must be known here, by a record received through the mesh,
 * before a route nobody claims is taken for stale. A peer that never comes back holds adoption for
 * {@code --adopt-grace} at most: the routes kept meanwhile are stale ones only, desired routes are
 * installed regardless.
 */
public final class AdoptionRule {
  private AdoptionRule() {}

  /**
   * @param holding  adopted routes stay (true) or may be pruned (false)
   * @param reason   why, for logs and status
   * @param awaited  expected peers not known yet (node IPs), in the order they were expected
   */
  public record Decision(boolean holding, String reason, List<InetAddress> awaited) {
    public Decision {
      Objects.requireNonNull(reason, "reason");
      awaited = List.copyOf(awaited);
    }
  }

  /**
   * @param startedAtMillis when the agent began adopting (its convergence loop's start)
   * @param grace           {@code --adopt-grace}: the bound, whatever the mesh does
   * @param nowMillis       now, same clock
   * @param viewSettled     joined, every view member's record received, no open subnet conflict
   * @param expectedPeers   node IPs where peers are expected (seeds, DNS answers, remembered peers, members
   *                        seen); this node's own IP may be among them and is ignored
   * @param knownPeers      node IPs of the peers whose record this node holds, up or down
   * @param self            this node's IP
   */
  public static Decision decide(long startedAtMillis, Duration grace, long nowMillis, boolean viewSettled,
      Collection<InetAddress> expectedPeers, Collection<InetAddress> knownPeers, InetAddress self) {
    Set<InetAddress> awaited = new LinkedHashSet<>(expectedPeers);
    awaited.removeAll(knownPeers);
    awaited.remove(self);
    List<InetAddress> missing = List.copyOf(awaited);
    if (nowMillis - startedAtMillis >= grace.toMillis()) {
      return new Decision(false, "adoption grace of " + grace.toSeconds() + "s elapsed before the mesh view settled"
          + (missing.isEmpty() ? "" : " (never heard from " + names(missing) + ")"), missing);
    }
    if (!viewSettled) {
      return new Decision(true, "mesh view not settled", missing);
    }
    if (!missing.isEmpty()) {
      return new Decision(true, "waiting for expected peers " + names(missing), missing);
    }
    return new Decision(false, "mesh view settled", missing);
  }

  private static String names(List<InetAddress> ips) {
    return String.join(", ", ips.stream().map(InetAddress::getHostAddress).toList());
  }
}
