package io.weft.gossip;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.jgroups.Address;
import org.jgroups.stack.AddressGenerator;
import org.jgroups.util.ExtendedUUID;

/**
 * A member's JGroups address that carries its node name. Each member makes its own address (its
 * channel's address generator) and every message, view and probe carries that address whole, so the
 * sender of a message is named by the message itself: never by JGroups' NameCache, which is global to
 * the JVM (every mesh of a test JVM shares it) and filled from whatever discovery answers and merge
 * probes say about third parties. The address arrives over the member's own connection, which the mesh
 * secret authenticates; its records must still name the same node (checked on every Announce).
 */
final class NodeAddress {
  /**
   * The key of the node name in the address: one letter, because the address travels in every message
   * (each byte of it costs about 4 B/s per member in a quiet mesh, where heartbeats are most of the traffic).
   */
  private static final String NODE_NAME = "w";

  private NodeAddress() {}

  /** Makes the channel's addresses: a random UUID with {@code nodeName} in it. */
  static AddressGenerator generator(String nodeName) {
    byte[] name = nodeName.getBytes(StandardCharsets.UTF_8);
    return () -> ExtendedUUID.randomUUID().put(NODE_NAME, name);
  }

  /** The node name the address carries; empty for an address made elsewhere (not a Weft member's). */
  static Optional<String> nodeName(Address address) {
    if (address instanceof ExtendedUUID u) {
      byte[] name = u.get(NODE_NAME);
      if (name != null) {
        return Optional.of(new String(name, StandardCharsets.UTF_8));
      }
    }
    return Optional.empty();
  }
}
