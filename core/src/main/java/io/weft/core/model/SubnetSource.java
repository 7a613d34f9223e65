package io.weft.core.model;

/** Where a node's pod subnet came from; decides who moves when two nodes claim the same /24. */
public enum SubnetSource {
  /** Given with {@code --pod-subnet}: the node never moves, it reports a conflict instead. */
  CONFIGURED,
  /** Chosen by the mesh's allocator and kept in the state dir. */
  ALLOCATED
}
