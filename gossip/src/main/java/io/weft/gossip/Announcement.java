package io.weft.gossip;

import io.weft.core.codec.NodeRecordCodec;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.plan.Claim;
import io.weft.gossip.trust.NodeIdentity;
import io.weft.gossip.trust.Statement;
import java.io.IOException;
import java.util.Objects;

/**
 * A node record as gossiped, with the two facts the subnet rule needs that the record itself does not
 * carry: when the node first claimed its subnet, and whether it may no longer move. Always a signed
 * statement of its node ({@link Statement.Kind#ANNOUNCEMENT}): made by {@link #sign} on the node itself,
 * or read back from a statement as received ({@link #of}), whose exact bytes every relay sends on.
 * Whether the signature holds and the key may speak for the name is checked where messages enter
 * ({@link StatementCheck}). Immutable; equal when the statements are.
 *
 * <p>Body: the record's JSON (2-byte length, then the core codec's bytes), claimed-at (8), pinned (1).
 */
final class Announcement {
  /** The body's longest form: a record's longest JSON and its length, claimed-at and pinned. */
  static final int MAX_BODY = 2 + NodeRecordCodec.MAX_RECORD_BYTES + 8 + 1;
  private static final NodeRecordCodec CODEC = new NodeRecordCodec();

  private final NodeRecord record;
  private final long claimedAtMillis;
  private final boolean pinned;
  private final Statement statement;

  private Announcement(NodeRecord record, long claimedAtMillis, boolean pinned, Statement statement) {
    this.record = Objects.requireNonNull(record, "record");
    this.claimedAtMillis = claimedAtMillis;
    this.pinned = pinned;
    this.statement = statement;
  }

  /** This node's own announcement, signed with its key. */
  static Announcement sign(NodeIdentity identity, NodeRecord record, long claimedAtMillis, boolean pinned) {
    Bodies.Writer w = new Bodies.Writer();
    byte[] json = CODEC.encode(record);
    w.bytes(json).writeLong(claimedAtMillis).writeBoolean(pinned);
    return new Announcement(record, claimedAtMillis, pinned, Statement.sign(identity, Statement.Kind.ANNOUNCEMENT,
        w.toByteArray()));
  }

  /**
   * The announcement a received statement says (its signature not checked here).
   *
   * @throws IOException when the body is not an announcement's
   */
  static Announcement of(Statement statement) throws IOException {
    Bodies.Reader r = new Bodies.Reader(statement.body());
    NodeRecord record = CODEC.decode(r.bytes(NodeRecordCodec.MAX_RECORD_BYTES, "record"));
    long claimedAt = r.readLong();
    boolean pinned = r.readBoolean();
    r.end("announcement");
    return new Announcement(record, claimedAt, pinned, statement);
  }

  NodeRecord record() {
    return record;
  }

  long claimedAtMillis() {
    return claimedAtMillis;
  }

  boolean pinned() {
    return pinned;
  }

  Statement statement() {
    return statement;
  }

  String name() {
    return record.name();
  }

  Claim claim() {
    return new Claim(record.name(), record.podSubnet(), record.subnetSource(), claimedAtMillis,
        pinned || record.subnetSource() == SubnetSource.CONFIGURED);
  }

  boolean isNewerThan(Announcement other) {
    return record.isNewerThan(other.record);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Announcement a && statement.equals(a.statement);
  }

  @Override
  public int hashCode() {
    return statement.hashCode();
  }

  @Override
  public String toString() {
    return "Announcement[" + record + ", claimedAt=" + claimedAtMillis + ", pinned=" + pinned + ", by "
        + statement.author().fingerprint() + "]";
  }
}
