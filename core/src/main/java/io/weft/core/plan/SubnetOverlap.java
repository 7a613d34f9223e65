package io.weft.core.plan;

import io.weft.core.net.Cidr;
import java.util.Map;
import java.util.Optional;

/**
 * The subnet-overlap policy every check of a pod subnet claim shares: a claimant's subnet must overlap
 * neither this node's subnet nor another holder's. This node comes first; among the others the holder with
 * the smallest name is named, so the answer never depends on the order the holders arrive in. The
 * claimant's own entry and this node's entry among the holders never count as another holder.
 */
public final class SubnetOverlap {
  private SubnetOverlap() {}

  /**
   * The subnet a claim overlaps.
   *
   * @param holder  the node holding it
   * @param subnet  its subnet
   * @param thisNode it is this node's own subnet
   */
  public record Overlap(String holder, Cidr subnet, boolean thisNode) {
    /** {@code this node's subnet 10.244.1.0/24} or {@code node-b's subnet 10.244.1.0/24}. */
    public String describe() {
      return (thisNode ? "this node's" : holder + "'s") + " subnet " + subnet;
    }
  }

  /**
   * @param claimant   the node claiming {@code subnet}
   * @param subnet     the claimed subnet
   * @param selfName   this node's name
   * @param selfSubnet this node's subnet
   * @param holders    other nodes' subnets by node name
   * @return the first overlap, or empty when the claim overlaps nothing
   */
  public static Optional<Overlap> first(String claimant, Cidr subnet, String selfName, Cidr selfSubnet,
      Map<String, Cidr> holders) {
    if (subnet.overlaps(selfSubnet)) {
      return Optional.of(new Overlap(selfName, selfSubnet, true));
    }
    return holders.entrySet().stream()
        .filter(e -> !e.getKey().equals(claimant) && !e.getKey().equals(selfName))
        .filter(e -> e.getValue().overlaps(subnet))
        .min(Map.Entry.comparingByKey())
        .map(e -> new Overlap(e.getKey(), e.getValue(), false));
  }
}
