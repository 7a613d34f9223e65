package io.weft.gossip;

import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

/**
 * Counts what the member hands to and gets from the transport, for the simulated transport (which has
 * no sockets to count at). A multicast is counted once per other member, as TCP sends it.
 */
final class TrafficMeter extends Protocol {
  final AtomicLong bytesIn = new AtomicLong();
  final AtomicLong bytesOut = new AtomicLong();
  /** Bytes handed down with a multicast counted once (what IP multicast would put on the wire). */
  final AtomicLong logicalOut = new AtomicLong();
  private volatile int others;

  @Override
  public Object down(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      View v = evt.getArg();
      others = Math.max(0, v.size() - 1);
    }
    return down_prot.down(evt);
  }

  @Override
  public Object down(Message msg) {
    long size = msg.size();
    logicalOut.addAndGet(size);
    bytesOut.addAndGet(msg.getDest() == null ? size * others : size);
    return down_prot.down(msg);
  }

  @Override
  public Object up(Message msg) {
    bytesIn.addAndGet(msg.size());
    return up_prot.up(msg);
  }

  @Override
  public void up(MessageBatch batch) {
    long total = 0;
    for (Message m : batch) {
      total += m.size();
    }
    bytesIn.addAndGet(total);
    up_prot.up(batch);
  }
}
