package io.weft.agent.converge;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;

/**
 * The mesh as the loop plans from it.
 *
 * @param self    this node's record; null until the mesh has agreed its subnet
 * @param peers   every peer known, up and down, minus nodes that lost a subnet conflict (they must not
 *                be routed)
 * @param settled the view is complete: joined, every member's record received, no open conflict.
 *                With every expected peer known, it ends the adoption grace early.
 * @param expectedPeers node IPs where peers are expected (seeds, DNS answers, remembered peers, members
 *                seen): the adoption grace holds until each of them is among {@code peers}
 */
public record PlanningInput(NodeRecord self, Collection<Peer> peers, boolean settled, Collection<InetAddress> expectedPeers) {
  public PlanningInput {
    peers = List.copyOf(peers);
    expectedPeers = List.copyOf(expectedPeers);
  }

  public static PlanningInput notJoined() {
    return new PlanningInput(null, List.of(), false, List.of());
  }
}
