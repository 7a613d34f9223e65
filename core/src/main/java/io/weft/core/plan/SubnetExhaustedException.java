package io.weft.core.plan;

import io.weft.core.net.Cidr;

/** No subnet of the wanted size is left unclaimed in the cluster CIDR. */
public final class SubnetExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SubnetExhaustedException(String nodeName, Cidr clusterCidr, int prefixLength, long count) {
    super("no free /" + prefixLength + " left in " + clusterCidr + " for node " + nodeName + ": all "
        + count + " are claimed (widen --cluster-cidr, or `meshctl forget` nodes that are gone)");
  }
}
