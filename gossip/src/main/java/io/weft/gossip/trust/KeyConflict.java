package io.weft.gossip.trust;

/**
 * A node name presented with a key other than the one it is bound to, by a connection or in a signed
 * statement (a record, a subnet request): refused.
 *
 * @param node      the name
 * @param boundKey  the key the name is bound to here
 * @param presented the key the connection presented or the statement was signed with
 * @param from      the remote address of the last such connection, or the member that sent the statement
 * @param atMillis  when it was last seen
 */
public record KeyConflict(String node, NodeKey boundKey, NodeKey presented, String from, long atMillis) {

  /** The status problem: the node, both fingerprints, and the way out. */
  public String describe() {
    return "node key conflict: " + node + " (from " + from + ") presented key " + presented.fingerprint()
        + " but is bound here to " + boundKey.fingerprint() + "; its connections and what is signed with that key are"
        + " refused. If " + node
        + " was reinstalled (new state dir), run `meshctl forget " + node + "` and restart its agent";
  }
}
