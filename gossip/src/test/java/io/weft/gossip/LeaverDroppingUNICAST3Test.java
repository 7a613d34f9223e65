package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.stack.Protocol;
import org.jgroups.util.Util;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaverDroppingUNICAST3Test {
  private final Address self = Util.createRandomAddress("self");
  private final Address leaver = Util.createRandomAddress("leaver");
  private final Address stayer = Util.createRandomAddress("stayer");
  private final SHARED_LOOPBACK transport = new SHARED_LOOPBACK();
  private UNICAST3 unicast;

  /** Messages stop just below UNICAST3 (never acknowledged); the transport only lends its timer. */
  private UNICAST3 started(UNICAST3 u) throws Exception {
    Protocol below = new Protocol() {
      @Override
      public Object down(Message msg) {
        return null;
      }

      @Override
      public Object down(Event evt) {
        return null;
      }
    };
    below.setDownProtocol(transport);
    transport.init();
    u.setDownProtocol(below);
    u.init();
    u.setAddress(self);
    u.start();
    unicast = u;
    return u;
  }

  @AfterEach
  void stop() {
    if (unicast != null) {
      unicast.stop();
    }
    transport.destroy();
  }

  /** Sends one unacknowledged message to each peer in a view of all three, then installs {@code next}. */
  private void leaveWithUnacknowledgedMessages(UNICAST3 u, View next) {
    u.down(new Event(Event.VIEW_CHANGE, View.create(self, 1, self, leaver, stayer)));
    u.down(new BytesMessage(leaver, new byte[10]));
    u.down(new BytesMessage(stayer, new byte[10]));
    u.down(new Event(Event.VIEW_CHANGE, next));
  }

  @Test
  void aMemberThatLeftTheViewHasNoConnectionLeftToResendOn() throws Exception {
    UNICAST3 u = started(new LeaverDroppingUNICAST3());
    leaveWithUnacknowledgedMessages(u, View.create(self, 2, self, stayer));

    assertEquals(1, u.getNumSendConnections(), "only the stayer's");
    assertEquals(1, u.getNumUnackedMessages(), "the stayer's message is still resent until acknowledged");
  }

  @Test
  void plainUnicast3KeepsResendingToTheLeaver() throws Exception {
    // Why the subclass exists: JGroups 5.5.4 keeps the leaver's window (closing) for conn_close_timeout.
    UNICAST3 u = started(new UNICAST3());
    leaveWithUnacknowledgedMessages(u, View.create(self, 2, self, stayer));

    assertEquals(2, u.getNumSendConnections());
    assertEquals(2, u.getNumUnackedMessages());
  }

  @Test
  void aMemberThatNeverWasInTheViewKeepsItsConnection() throws Exception {
    // A joiner's JOIN_RSP and a merge's requests go to members outside the view.
    Address joiner = Util.createRandomAddress("joiner");
    UNICAST3 u = started(new LeaverDroppingUNICAST3());
    u.down(new Event(Event.VIEW_CHANGE, View.create(self, 1, self, stayer)));
    u.down(new BytesMessage(joiner, new byte[10]));
    u.down(new Event(Event.VIEW_CHANGE, View.create(self, 2, self)));

    assertEquals(1, u.getNumSendConnections());
  }
}
