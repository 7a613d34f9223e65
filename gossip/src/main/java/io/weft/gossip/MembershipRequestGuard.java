package io.weft.gossip;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.protocols.pbcast.GMS.GmsHeader;

/**
 * A member may ask to join or to leave only for itself. GMS takes a JOIN or LEAVE request for whichever
 * member its header names, not for the member that sent it, so without this a member holding the secret could
 * have the coordinator remove any other member from the view (a forged LEAVE) or add one that never asked. Sits
 * directly below GMS; a request whose named member is not its sender is dropped and counted ({@code not_sender}).
 * Stateless apart from the counters; JGroups calls it from many threads.
 */
final class MembershipRequestGuard extends UpFilter {
  static final short PROTOCOL_ID = 1788;

  private final short gmsId;
  private final MessageRefusals refusals;

  /** @param gmsId GMS's protocol id (its header's) */
  MembershipRequestGuard(short gmsId, MessageRefusals refusals) {
    this.gmsId = gmsId;
    this.refusals = refusals;
  }

  /** The refusals, {@code not_sender} only. */
  MeshSnapshot.Refusals refusals() {
    return refusals.counts();
  }

  @Override
  boolean admit(Message msg) {
    GmsHeader h = msg.getHeader(gmsId);
    if (h == null) {
      return true;
    }
    byte type = h.getType();
    if (type != GmsHeader.JOIN_REQ && type != GmsHeader.JOIN_REQ_WITH_STATE_TRANSFER && type != GmsHeader.LEAVE_REQ) {
      return true;
    }
    Address src = msg.getSrc();
    Address named = h.getMember();
    if (src != null && src.equals(named)) {
      return true;
    }
    refusals.refused(MessageRefusals.Reason.NOT_SENDER, src, (type == GmsHeader.LEAVE_REQ ? "a leave" : "a join")
        + " request for " + (named == null ? "nobody" : NodeAddress.nodeName(named).orElse(String.valueOf(named)))
        + ": a member may only ask for itself", System.currentTimeMillis());
    return false;
  }
}
