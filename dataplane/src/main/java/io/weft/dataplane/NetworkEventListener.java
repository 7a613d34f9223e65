package io.weft.dataplane;

/**
 * Receives kernel changes. Callbacks run on the subscription's events thread, one at a time, in kernel
 * order; they must not block (hand the event to the owning thread's queue).
 */
public interface NetworkEventListener {

  /** A route was added, changed or deleted (any protocol: the listener decides what it cares about). */
  void onRouteChanged(RouteEvent event);

  void onLinkChanged(LinkEvent event);

  /**
   * Some nf_tables table, chain or rule changed (iptables-nft, nft, firewalld...: the change itself is
   * not decoded; the listener re-reads what it owns). Legacy iptables sends no such notice.
   */
  default void onPacketFilterChanged() {}

  /** A neighbour or FDB entry changed on some device (most are the kernel's own ARP churn). */
  default void onNeighbourChanged(NeighbourEvent event) {}

  /**
   * Events were lost (the kernel reported ENOBUFS) or the stream broke: the listener's view may be stale
   * and it should re-read the kernel state.
   */
  void onResyncNeeded(String reason);
}
