package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.plan.Claim;
import java.util.Objects;

/**
 * A node record as gossiped, with the two facts the subnet rule needs that the record itself does not
 * carry: when the node first claimed its subnet, and whether it may no longer move.
 */
record Announcement(NodeRecord record, long claimedAtMillis, boolean pinned) {
  Announcement {
    Objects.requireNonNull(record, "record");
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
}
