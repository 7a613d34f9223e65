package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import java.util.concurrent.CompletableFuture;

/**
 * This node's membership of the Weft mesh: who is there, and what each node says about itself.
 *
 * <p>All methods are thread-safe; the state behind them is owned by one mesh event thread, which
 * pushes immutable snapshots. Only {@link #leave()} waits for that thread (until the mesh has stopped).
 */
public interface Mesh extends AutoCloseable {

  /**
   * Joins the mesh (or starts a new one when no seed is configured), receives every node's record,
   * agrees this node's subnet (configured, else kept from the state dir, else remembered, else
   * allocated by the mesh), persists it, and publishes this node's record.
   *
   * <p>While every seed is unreachable the mesh keeps retrying with backoff (see
   * {@link MeshSnapshot#seeds()}) and the future stays incomplete. It completes exceptionally
   * when the mesh is closed first or the local configuration is unusable (for example a busy port).
   *
   * @return completes with the record as published
   */
  CompletableFuture<NodeRecord> join(LocalNode local);

  /**
   * Publishes a new version of this node's record. Name, incarnation and subnet are the mesh's:
   * the record is re-stamped with this node's incarnation and the next version.
   */
  void publish(NodeRecord self);

  /**
   * The last immutable snapshot the mesh pushed (a change is pushed within 50 ms), with traffic counters
   * read now. A volatile read: it never waits for the mesh's thread.
   */
  MeshSnapshot snapshot();

  /** Adds a listener; it is called at once with the current snapshot, then on every change. */
  void subscribe(MeshListener listener);

  /**
   * Removes a node for good, mesh-wide: its record is tombstoned (so a late message cannot bring it
   * back) and its subnet released. A node that later starts again with a new incarnation may rejoin.
   */
  void forget(String nodeName);

  /** Leaves the mesh cleanly (peers see this node go down at once). Idempotent. */
  void leave();

  /** Same as {@link #leave()}. */
  @Override
  void close();
}
