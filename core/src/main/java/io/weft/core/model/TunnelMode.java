package io.weft.core.model;

import java.util.Locale;

/** When a peer is reached through the VXLAN tunnel ({@code --tunnel}). */
public enum TunnelMode {
  /** A direct route where the peer's node IP is on-link, the tunnel everywhere else (the default). */
  AUTO,
  /** The tunnel to every peer: for networks that drop packets with foreign addresses (cloud source/destination checks). */
  ALWAYS,
  /** Direct routes only; a peer that is not on-link is reported unreachable. */
  NEVER;

  /** Bytes VXLAN over IPv4 adds to a packet: outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14. */
  public static final int VXLAN_OVERHEAD = 50;

  /**
   * The MTU every pod of this node gets: a path may flip between direct and tunnel while pods live, and a
   * pod's MTU is fixed when it starts, so it fits the tunnel whenever a tunnel is possible. Nothing then
   * depends on ICMP "fragmentation needed" reaching the pod (no black holes behind filtering firewalls).
   */
  public int podMtu(int uplinkMtu) {
    return this == NEVER ? uplinkMtu : uplinkMtu - VXLAN_OVERHEAD;
  }

  /** Parses {@code auto}, {@code always} or {@code never} (any case). */
  public static TunnelMode parse(String text) {
    for (TunnelMode m : values()) {
      if (m.name().equalsIgnoreCase(text.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException("tunnel mode must be auto, always or never, got '" + text + "'");
  }

  /** The flag's spelling: {@code auto}, {@code always}, {@code never}. */
  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
