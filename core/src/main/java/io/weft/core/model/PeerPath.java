package io.weft.core.model;

import java.util.Locale;

/** How this node's routes reach a peer's pod subnet. */
public enum PeerPath {
  /** {@code <subnet> via <peer node IP> dev <uplink>}: the peer is on-link. */
  DIRECT,
  /** {@code <subnet> via <peer VTEP> dev weft.vxlan onlink}: encapsulated to the peer's node IP. */
  VXLAN;

  /** As shown by meshctl and in JSON: {@code direct}, {@code vxlan}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
