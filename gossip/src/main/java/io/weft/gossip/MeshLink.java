package io.weft.gossip;

import org.jgroups.Address;

/**
 * What the parts of the mesh send through and ask about the current view: the channel as the event loop
 * sees it. Event loop only.
 */
interface MeshLink {

  /** Sends to one member; a message that cannot be sent is logged and dropped (the protocols retry). */
  void send(Address member, Wire.Msg msg);

  /** Sends to every member of the view. */
  void multicast(Wire.Msg msg);

  /** The current view's coordinator; null while not in a view. */
  Address coordinator();

  /** Whether this member coordinates the current view. */
  boolean isCoordinator();

  /**
   * Whether {@code member} may relay what it knows of other nodes (a Sync) and say what its part of the mesh
   * agreed (the subnet holdings, in a Sync or on their own): the current view's coordinator, or, for a few
   * seconds after a merge, the coordinator of one of the parts it merged (each shares all it knows), while
   * still a member.
   */
  boolean mayRelay(Address member);

  /** Whether {@code member} is in the current view (a message from outside it is another part's, before a merge). */
  boolean isMember(Address member);
}
