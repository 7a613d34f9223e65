package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import io.weft.gossip.trust.NodeIdentity;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test fixtures for signed statements: one node key per node name (the same for every test of the JVM,
 * made from the name), and statements signed with it through the production signing paths.
 */
final class Signing {
  private static final Map<String, NodeIdentity> KEYS = new ConcurrentHashMap<>();

  private Signing() {}

  /** The node key of test node {@code name}. */
  static NodeIdentity key(String name) {
    return KEYS.computeIfAbsent(name, n -> {
      try {
        SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG");
        seeded.setSeed(("weft test node key " + n).getBytes(StandardCharsets.UTF_8));
        return NodeIdentity.generate(seeded);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** {@code record} announced and signed by its own node. */
  static Announcement announce(NodeRecord record, long claimedAtMillis, boolean pinned) {
    return Announcement.sign(key(record.name()), record, claimedAtMillis, pinned);
  }

  /** A subnet request signed by the node it names. */
  static SubnetRequest request(String name, Optional<Cidr> preferred, long claimedAt, boolean pinned) {
    return SubnetRequest.sign(key(name), name, preferred, claimedAt, pinned);
  }

  /** {@code author}'s forget of test node {@code node} (by its test key). */
  static Forgetting forget(String author, String node, long incarnation, long atMillis) {
    return Forgetting.sign(key(author), author, node, Optional.of(key(node).publicKey()), incarnation, atMillis);
  }
}
