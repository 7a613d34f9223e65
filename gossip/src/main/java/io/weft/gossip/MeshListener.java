package io.weft.gossip;

/**
 * Told about every change of the mesh (membership, records, problems, seed status).
 *
 * <p>Called on the mesh's single event thread, in order; it must return quickly and never block
 * (hand the snapshot to your own executor if the work is slow). Exceptions are logged and ignored.
 */
@FunctionalInterface
public interface MeshListener {
  void onChange(MeshSnapshot snapshot);
}
