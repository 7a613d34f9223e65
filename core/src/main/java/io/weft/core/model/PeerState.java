package io.weft.core.model;

/** Membership of a peer as the mesh sees it; route lifetime is decided separately (peer grace). */
public enum PeerState {
  /** In the current mesh view. */
  UP,
  /** Left or failed: its routes are kept for the peer grace, its subnet reserved for the lease time. */
  DOWN
}
