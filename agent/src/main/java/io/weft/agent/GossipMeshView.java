package io.weft.agent;

import io.weft.agent.converge.MeshView;
import io.weft.agent.converge.PlanningInput;
import io.weft.core.plan.RoutablePeers;
import io.weft.gossip.Mesh;
import io.weft.gossip.MeshSnapshot;
import java.util.HashSet;
import java.util.Set;

/**
 * The gossip mesh as the convergence loop sees it, push only: each snapshot the mesh pushes is turned
 * into a {@link PlanningInput} on the mesh's thread and kept; {@link #current()} reads the latest kept,
 * so the loop never waits for the mesh thread. Nodes that lost a subnet conflict are left out (core's
 * {@link RoutablePeers}: the winner keeps the subnet and is routed); the view is settled when the mesh
 * says it converged, and the peers expected are the mesh's seeds, DNS answers and remembered peers.
 */
public final class GossipMeshView implements MeshView {
  private final Mesh mesh;
  /** Written by the mesh's listener (its event thread), read by the loop. */
  private volatile PlanningInput latest = PlanningInput.notJoined();

  public GossipMeshView(Mesh mesh) {
    this.mesh = mesh;
  }

  /** The input from the last snapshot pushed; not joined before the first one. A volatile read. */
  @Override
  public PlanningInput current() {
    return latest;
  }

  static PlanningInput of(MeshSnapshot s) {
    Set<String> losers = new HashSet<>();
    s.conflicts().forEach(c -> losers.addAll(c.losers()));
    return new PlanningInput(s.self(), RoutablePeers.withoutLosers(s.peers().values(), losers), s.converged(),
        s.expectedPeers());
  }

  /** The mesh pushes its current snapshot at once, then every change; each is kept before the nudge. */
  @Override
  public void subscribe(Runnable onChange) {
    mesh.subscribe(snapshot -> {
      latest = of(snapshot);
      onChange.run();
    });
  }
}
