package io.weft.gossip;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.protocols.UFC;
import org.jgroups.util.Credit;

/**
 * JGroups' unicast flow control, safe across a leave and a new join on the same channel (the mesh
 * joins again when it finds itself excluded or alone). UFC 5.5.4's {@code stop()} marks every
 * member's credit "done" but keeps it in its table, and the next view only adds credits for members
 * not in the table. A done credit answers "no credits" at once, forever, so after the join every
 * message to a member known from before made the sending thread spin at full CPU without ever sending
 * (seen in the lab: the mesh's event thread, after a coordinator was excluded and joined again). Here
 * {@code stop()} also empties the table, and a blocked sender looks its member's credit up again on
 * every round, so a credit replaced by a view change is never waited on either.
 */
final class ViewSafeUFC extends UFC {
  static final short PROTOCOL_ID = 1786;

  @Override
  public void stop() {
    super.stop();
    sent.clear();
  }

  @Override
  protected Object handleDownMessage(Message msg, int length) {
    Address dest = msg.getDest();
    if (dest == null) {
      return down_prot.down(msg);
    }
    Credit credit;
    // Looked up again on every round: a credit replaced by a view change is never waited on.
    while (running && (credit = sent.get(dest)) != null) {
      if (credit.decrementIfEnoughCredits(msg, length, max_block_time) || !running) {
        break;
      }
      if (credit.needToSendCreditRequest(max_block_time)) {
        sendCreditRequest(dest, Math.max(0, max_credits - credit.get()));
      }
    }
    return down_prot.down(msg);
  }
}
