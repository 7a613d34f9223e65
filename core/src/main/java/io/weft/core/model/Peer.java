package io.weft.core.model;

import java.util.Objects;

/**
 * A peer as this node knows it: its latest record and its membership.
 *
 * @param record          the newest valid record received from that node
 * @param state           up (in the view) or down
 * @param lastSeenMillis  when the node was last seen in the view or last announced, epoch millis
 * @param downSinceMillis when it went down (0 while up), epoch millis
 */
public record Peer(NodeRecord record, PeerState state, long lastSeenMillis, long downSinceMillis) {
  public Peer {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(state, "state");
  }

  public String name() {
    return record.name();
  }

  public static Peer up(NodeRecord record, long nowMillis) {
    return new Peer(record, PeerState.UP, nowMillis, 0);
  }

  public Peer down(long nowMillis) {
    return state == PeerState.DOWN ? this : new Peer(record, PeerState.DOWN, lastSeenMillis, nowMillis);
  }
}
