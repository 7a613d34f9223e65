package io.weft.core.plan;

import io.weft.core.model.Peer;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The loser filter: a node that lost a subnet conflict is not routed, so the subnet's traffic goes to
 * the winner only. The conflicts come from {@link SubnetAllocator#resolve}, which every member evaluates
 * identically, so every member routes the same winner. (The route planner then still skips any peer
 * whose subnet overlaps another's; with the losers gone, no resolved overlap is left for it.)
 */
public final class RoutablePeers {
  private RoutablePeers() {}

  /** {@code peers} without the {@code losers}, in their order. */
  public static List<Peer> withoutLosers(Collection<Peer> peers, Set<String> losers) {
    return peers.stream().filter(p -> !losers.contains(p.name())).toList();
  }
}
