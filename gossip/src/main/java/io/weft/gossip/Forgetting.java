package io.weft.gossip;

import io.weft.core.plan.NodeRules;
import io.weft.gossip.trust.NodeIdentity;
import io.weft.gossip.trust.NodeKey;
import io.weft.gossip.trust.Statement;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * An operator's {@code meshctl forget}: node {@code author} (where it ran) removes node {@code node} for
 * good, hiding its records of {@code incarnation} and older, and unbinds {@code nodeKey}, the key the
 * author knew the node by (none: whatever key it is bound to), so every member unbinds the same key in
 * whatever order it hears the forget and the records, and a reinstalled node's new binding is never undone
 * by a late relay of the old forget. A signed statement of the author
 * ({@link Statement.Kind#FORGET}), sent on unchanged in every Sync that carries the tombstone, so every
 * node verifies and logs who forgot whom. The tombstone lasts the tombstone time from {@code atMillis},
 * the author's clock, never from a relay's: no hop extends it. Immutable; equal when the statements are.
 *
 * <p>Body: author, node, node key (2-byte length, then 32 bytes, or none), incarnation (8), at (8).
 */
final class Forgetting {
  static final int MAX_BODY = 2 * (2 + NodeRules.MAX_NAME_LENGTH) + 2 + NodeKey.LENGTH + 8 + 8;

  private final String author;
  private final String node;
  private final Optional<NodeKey> nodeKey;
  private final long incarnation;
  private final long atMillis;
  private final Statement statement;

  private Forgetting(String author, String node, Optional<NodeKey> nodeKey, long incarnation, long atMillis,
      Statement statement) {
    this.author = Objects.requireNonNull(author, "author");
    this.node = Objects.requireNonNull(node, "node");
    this.nodeKey = Objects.requireNonNull(nodeKey, "nodeKey");
    this.incarnation = incarnation;
    this.atMillis = atMillis;
    this.statement = statement;
  }

  /** This node's own forget of {@code node}, signed with its key. */
  static Forgetting sign(NodeIdentity identity, String author, String node, Optional<NodeKey> nodeKey,
      long incarnation, long atMillis) {
    byte[] body = new Bodies.Writer().writeUTF(author).writeUTF(node)
        .bytes(nodeKey.map(NodeKey::encoded).orElse(new byte[0])).writeLong(incarnation).writeLong(atMillis)
        .toByteArray();
    return new Forgetting(author, node, nodeKey, incarnation, atMillis,
        Statement.sign(identity, Statement.Kind.FORGET, body));
  }

  /**
   * The forget a received statement says (its signature not checked here).
   *
   * @throws IOException when the body is not a forget's
   */
  static Forgetting of(Statement statement) throws IOException {
    Bodies.Reader r = new Bodies.Reader(statement.body());
    String author = r.name();
    String node = r.name();
    byte[] key = r.bytes(NodeKey.LENGTH, "node key");
    Optional<NodeKey> nodeKey;
    try {
      nodeKey = key.length == 0 ? Optional.empty() : Optional.of(NodeKey.of(key));
    } catch (IllegalArgumentException e) {
      throw new IOException("forget of " + node + ": " + e.getMessage(), e);
    }
    Forgetting f = new Forgetting(author, node, nodeKey, r.readLong(), r.readLong(), statement);
    r.end("forget");
    return f;
  }

  /** The node that forgot (its key signed this). */
  String author() {
    return author;
  }

  /** The node forgotten. */
  String node() {
    return node;
  }

  /** The key the author knew the node by; empty: whatever key it is bound to. */
  Optional<NodeKey> nodeKey() {
    return nodeKey;
  }

  long incarnation() {
    return incarnation;
  }

  long atMillis() {
    return atMillis;
  }

  Statement statement() {
    return statement;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Forgetting f && statement.equals(f.statement);
  }

  @Override
  public int hashCode() {
    return statement.hashCode();
  }

  @Override
  public String toString() {
    return "Forgetting[" + node + " by " + author + ", incarnation " + incarnation + ", at " + atMillis + "]";
  }
}
