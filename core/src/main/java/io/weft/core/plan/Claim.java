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
 * @param source          how the node came by it; a CONFIGURED claim never moves (it gives no priority)
 * @param claimedAtMillis when the node first claimed the subnet, as it says: kept with a subnet the
 *                        node is granted again (its age); never an ordering key, being the sender's
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
