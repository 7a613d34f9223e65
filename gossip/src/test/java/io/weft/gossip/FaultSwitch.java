package io.weft.gossip;

import java.util.List;
import java.util.Set;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.protocols.PingData;
import org.jgroups.protocols.TP;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

/**
 * Test-only protocol directly above the transport (so discovery is cut too): drops every message of a
 * hung member, or the traffic from and to named members (both sides blocking each other make a
 * partition). Names rather than addresses, so a partition can be set up before anyone has joined (a
 * member's name is in its address, {@link NodeAddress}). {@link FaultyTransport} puts it in the stack.
 */
final class FaultSwitch extends Protocol {
  private volatile boolean hung;
  private volatile Set<String> blocked = Set.of();

  void hang(boolean hung) {
    this.hung = hung;
  }

  void block(Set<String> nodeNames) {
    this.blocked = Set.copyOf(nodeNames);
  }

  void heal() {
    blocked = Set.of();
    hung = false;
  }

  private boolean cut(Address other) {
    // No transport below for a moment while a benchmark inserts a protocol between us and it.
    TP transport = getTransport();
    if (other == null || transport == null || other.equals(transport.getAddress())) {
      return false;
    }
    if (hung) {
      return true;
    }
    Set<String> b = blocked;
    if (b.isEmpty()) {
      return false;
    }
    return NodeAddress.nodeName(other).filter(b::contains).isPresent();
  }

  /**
   * The simulated transport answers discovery from its in-JVM registry, not over messages: drop the
   * members we are cut off from there too, as a real cut would.
   */
  @Override
  public Object down(Event evt) {
    Object ret = down_prot.down(evt);
    if (evt.getType() == Event.GET_PING_DATA && ret instanceof List<?> all) {
      return all.stream().filter(d -> !(d instanceof PingData pd) || !cut(pd.getAddress())).toList();
    }
    return ret;
  }

  @Override
  public Object down(Message msg) {
    if (msg.getDest() == null ? hung : cut(msg.getDest())) {
      return null;
    }
    return down_prot.down(msg);
  }

  @Override
  public Object up(Message msg) {
    return cut(msg.getSrc()) ? null : up_prot.up(msg);
  }

  @Override
  public void up(MessageBatch batch) {
    if (cut(batch.sender())) {
      return;
    }
    up_prot.up(batch);
  }
}
