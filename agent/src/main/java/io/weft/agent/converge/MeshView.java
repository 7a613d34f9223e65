package io.weft.agent.converge;

/**
 * What the convergence loop needs from the mesh: the current view and a nudge when it changes. The
 * agent adapts the gossip mesh to it ({@code GossipMeshView}); tests fake it.
 */
public interface MeshView {

  /**
   * The latest view pushed by the mesh: a plain volatile read, thread-safe, never waits for the mesh's
   * thread (the loop calls it during every reconcile).
   */
  PlanningInput current();

  /**
   * Calls {@code onChange} after every change of the view (the new view already {@link #current()}), on
   * the mesh's thread; the callback only posts to the loop and returns.
   */
  void subscribe(Runnable onChange);
}
