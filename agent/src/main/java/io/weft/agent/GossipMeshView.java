package io.weft.agent;

import io.weft.agent.converge.PlanningInput;
import io.weft.agent.converge.MeshView;
import io.weft.core.model.Peer;
import io.weft.gossip.Mesh;
import io.weft.gossip.MeshSnapshot;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The gossip mesh as the convergence loop sees it. Nodes that lost a subnet conflict are left out (the
 * winner keeps the subnet and is routed); the view is settled when the mesh says it converged, and the
 * peers expected are the mesh's seeds, DNS answers and remembered peers.
 */
public final class GossipMeshView implements MeshView {
  private final Mesh mesh;

  public GossipMeshView(Mesh mesh) {
    this.mesh = mesh;
  }

  @Override
  public PlanningInput current() {
    return of(mesh.snapshot());
  }

  static PlanningInput of(MeshSnapshot s) {
    Set<String> losers = new HashSet<>();
    s.conflicts().forEach(c -> losers.addAll(c.losers()));
    List<Peer> peers = s.peers().values().stream().filter(p -> !losers.contains(p.name())).toList();
    return new PlanningInput(s.self(), peers, s.converged(), s.expectedPeers());
  }

  @Override
  public void subscribe(Runnable onChange) {
    mesh.subscribe(snapshot -> onChange.run());
  }
}
