package io.weft.core.plan;

import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.util.Objects;

/**
 * One node's claim on a pod subnet, as every node in the mesh sees it. Live records and the
 * reservations of DOWN peers within their lease are both claims.
 *
 * <p>For {@link SubnetAllocator#resolve} to decide identically everywhere, every field must be derived
 * from gossiped data, never from local-only knowledge.
 *
 * @param nodeName        the claiming node
 * @param subnet          the claimed subnet
 * @param source          CONFIGURED beats ALLOCATED
 * @param claimedAtMillis ordering key: lower is earlier and wins among equals (e.g. when the subnet
 *                        was first announced); must not change when the same claim is re-announced
 * @param pinned          the node cannot move (configured, or pods already use the subnet)
 */
public record Claim(String nodeName, Cidr subnet, SubnetSource source, long claimedAtMillis, boolean pinned) {
  public Claim {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(subnet, "subnet");
    Objects.requireNonNull(source, "source");
  }

  /** An allocated, unpinned claim may be taken away; a configured or pinned one never moves. */
  public boolean isMovable() {
    return source == SubnetSource.ALLOCATED && !pinned;
  }
}
