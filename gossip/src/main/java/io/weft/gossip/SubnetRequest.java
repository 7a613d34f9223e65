package io.weft.gossip;

import io.weft.core.net.Cidr;
import io.weft.core.plan.NodeRules;
import io.weft.gossip.trust.NodeIdentity;
import io.weft.gossip.trust.Statement;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * A node asks the coordinator for a subnet: its name, the subnet it remembers (if any), when it first
 * claimed that one and whether its pods hold addresses of it. A signed statement of the asking node
 * ({@link Statement.Kind#SUBNET_REQUEST}), so a grant is only ever asked for by the node it names.
 * Immutable; equal when the statements are.
 *
 * <p>Body: name, preferred subnet (empty for none), preferred claimed-at (8), pinned (1).
 */
final class SubnetRequest {
  static final int MAX_BODY = 2 + NodeRules.MAX_NAME_LENGTH + 2 + Wire.MAX_SUBNET_CHARS + 8 + 1;

  private final String name;
  private final Optional<Cidr> preferred;
  private final long preferredClaimedAt;
  private final boolean pinned;
  private final Statement statement;

  private SubnetRequest(String name, Optional<Cidr> preferred, long preferredClaimedAt, boolean pinned,
      Statement statement) {
    this.name = Objects.requireNonNull(name, "name");
    this.preferred = Objects.requireNonNull(preferred, "preferred");
    this.preferredClaimedAt = preferredClaimedAt;
    this.pinned = pinned;
    this.statement = statement;
  }

  /** This node's own request, signed with its key. */
  static SubnetRequest sign(NodeIdentity identity, String name, Optional<Cidr> preferred, long preferredClaimedAt,
      boolean pinned) {
    byte[] body = new Bodies.Writer().writeUTF(name).writeUTF(preferred.map(Cidr::toString).orElse(""))
        .writeLong(preferredClaimedAt).writeBoolean(pinned).toByteArray();
    return new SubnetRequest(name, preferred, preferredClaimedAt, pinned,
        Statement.sign(identity, Statement.Kind.SUBNET_REQUEST, body));
  }

  /**
   * The request a received statement says (its signature not checked here).
   *
   * @throws IOException when the body is not a subnet request's
   */
  static SubnetRequest of(Statement statement) throws IOException {
    Bodies.Reader r = new Bodies.Reader(statement.body());
    String name = r.name();
    String preferred = r.utf(Wire.MAX_SUBNET_CHARS, "subnet");
    long claimedAt = r.readLong();
    boolean pinned = r.readBoolean();
    r.end("subnet request");
    try {
      return new SubnetRequest(name, preferred.isEmpty() ? Optional.empty() : Optional.of(Cidr.parse(preferred)),
          claimedAt, pinned, statement);
    } catch (IllegalArgumentException e) {
      throw new IOException("subnet request of " + name + ": " + e.getMessage(), e);
    }
  }

  String name() {
    return name;
  }

  Optional<Cidr> preferred() {
    return preferred;
  }

  long preferredClaimedAt() {
    return preferredClaimedAt;
  }

  boolean pinned() {
    return pinned;
  }

  Statement statement() {
    return statement;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SubnetRequest r && statement.equals(r.statement);
  }

  @Override
  public int hashCode() {
    return statement.hashCode();
  }

  @Override
  public String toString() {
    return "SubnetRequest[" + name + ", preferred=" + preferred + ", claimedAt=" + preferredClaimedAt + ", pinned="
        + pinned + "]";
  }
}
