package io.weft.core.plan;

import io.weft.core.net.Cidr;
import java.util.Objects;

/**
 * A subnet the mesh has agreed to a node: the coordinator resolved the node's claim as the owner and told
 * every member, so every member routes the subnet to it. The holder of a subnet is its incumbent: it keeps
 * the subnet against any claim that arrives later ({@link SubnetAllocator#resolve}).
 *
 * @param nodeName the holder
 * @param subnet   the subnet it holds
 */
public record Holding(String nodeName, Cidr subnet) {
  public Holding {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(subnet, "subnet");
  }

  /** The holding a claim would be: its node and its subnet. */
  public static Holding of(Claim claim) {
    return new Holding(claim.nodeName(), claim.subnet());
  }
}
