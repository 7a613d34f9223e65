package io.weft.gossip;

import java.util.Iterator;
import org.jgroups.Message;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

/**
 * A protocol that lets a message travel up the stack only if {@link #admit} says so, one by one and out of
 * batches alike; what it drops goes no further. For Weft's guards below FRAG4 and GMS.
 */
abstract class UpFilter extends Protocol {
  /** Whether {@code msg} goes on up; a refusal is the subclass's to count. Called from many threads. */
  abstract boolean admit(Message msg);

  @Override
  public Object up(Message msg) {
    return admit(msg) ? up_prot.up(msg) : null;
  }

  @Override
  public void up(MessageBatch batch) {
    for (Iterator<Message> it = batch.iterator(); it.hasNext(); ) {
      if (!admit(it.next())) {
        it.remove();
      }
    }
    if (!batch.isEmpty()) {
      up_prot.up(batch);
    }
  }
}
