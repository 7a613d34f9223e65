package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.stack.Protocol;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;

class ViewSafeUFCTest {
  private final List<Message> passedDown = new CopyOnWriteArrayList<>();
  private final Address self = Util.createRandomAddress("self");
  private final Address peer = Util.createRandomAddress("peer");

  private ViewSafeUFC flowControl() throws Exception {
    ViewSafeUFC ufc = new ViewSafeUFC();
    // Messages stop just below UFC; the transport underneath is only there to be found, never started.
    Protocol below = new Protocol() {
      @Override
      public Object down(Message msg) {
        passedDown.add(msg);
        return null;
      }

      @Override
      public Object down(Event evt) {
        return null;
      }
    };
    below.setDownProtocol(new SHARED_LOOPBACK());
    ufc.setDownProtocol(below);
    ufc.init();
    return ufc;
  }

  @Test
  void aMemberKnownBeforeALeaveAndANewJoinGetsMessagesAtOnce() throws Exception {
    ViewSafeUFC ufc = flowControl();
    ufc.start();
    ufc.down(new Event(Event.VIEW_CHANGE, View.create(self, 1, self, peer)));
    ufc.stop(); // the mesh leaves (channel.disconnect) ...
    ufc.start(); // ... and joins again on the same channel, into a view that still holds the peer
    ufc.down(new Event(Event.VIEW_CHANGE, View.create(peer, 2, peer, self)));

    // Plain UFC 5.5.4 spins here forever on the credit its stop() marked done.
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> ufc.down(new BytesMessage(peer, new byte[100])));
    assertEquals(1, passedDown.size());
  }
}
