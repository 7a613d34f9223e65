package io.weft.core.plan;

import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import java.util.Map;
import java.util.Objects;

/**
 * What a received record is checked against.
 *
 * @param clusterCidr        the pod network
 * @param subnetPrefixLength the size every node's subnet must have (24)
 * @param self               this node's own record
 * @param liveOwners         node name to subnet of every node currently owning one (may include self)
 * @param allowLoopback      accept loopback node IPs; only for tests that run several members on 127.0.0.x
 */
public record ValidationContext(Cidr clusterCidr, int subnetPrefixLength, NodeRecord self,
    Map<String, Cidr> liveOwners, boolean allowLoopback) {

  public ValidationContext {
    Objects.requireNonNull(clusterCidr, "clusterCidr");
    Objects.requireNonNull(self, "self");
    liveOwners = Map.copyOf(liveOwners);
  }

  /** A context that refuses loopback node IPs, as production must. */
  public static ValidationContext of(Cidr clusterCidr, int subnetPrefixLength, NodeRecord self,
      Map<String, Cidr> liveOwners) {
    return new ValidationContext(clusterCidr, subnetPrefixLength, self, liveOwners, false);
  }

  /** The same context with loopback node IPs allowed or not. */
  public ValidationContext withLoopbackAllowed(boolean allow) {
    return new ValidationContext(clusterCidr, subnetPrefixLength, self, liveOwners, allow);
  }
}
