package io.weft.gossip.trust;

/**
 * A node name presented with a key other than the one it is bound to: the connection was refused.
 *
 * @param node      the name
 * @param boundKey  the key the name is bound to here
 * @param presented the key the connection presented
 * @param from      the remote address of the last such connection
 * @param atMillis  when it was last seen
 */
public record KeyConflict(String node, NodeKey boundKey, NodeKey presented, String from, long atMillis) {

  /** The status problem: the node, both fingerprints, and the way out. */
  public String describe() {
    return "node key conflict: " + node + " (from " + from + ") presented key " + presented.fingerprint()
        + " but is bound here to " + boundKey.fingerprint() + "; its connections are refused. If " + node
        + " was reinstalled (new state dir), run `meshctl forget " + node + "` and restart its agent";
  }
}
