package io.weft.core.plan;

import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A peer that is up (or within its grace) but gets no route, and why.
 *
 * @param nodeName  the peer's node name
 * @param podSubnet the subnet it announced
 * @param nodeIp    the node IP it announced
 * @param reason    human reason, e.g. {@value RoutePlanner#NOT_ON_SHARED_L2}
 */
public record SkippedPeer(String nodeName, Cidr podSubnet, InetAddress nodeIp, String reason) {
  public SkippedPeer {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(podSubnet, "podSubnet");
    Objects.requireNonNull(nodeIp, "nodeIp");
    Objects.requireNonNull(reason, "reason");
  }
}
