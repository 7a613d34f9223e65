package io.weft.core.plan;

import io.weft.core.net.Cidr;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The coordinator's allocation step: which subnet a joiner is granted. Pure and deterministic, so any
 * member that becomes coordinator grants the same from the same knowledge.
 *
 * <p>In order: the subnet the joiner remembers (its lease file or its pod bridge), when nobody else
 * claims it, the joiner holds it (a restart: it is the subnet's incumbent, whatever a newcomer claims) or
 * the joiner is pinned to it (pods already hold its addresses); else, for a joiner that remembers nothing
 * (its lease file was lost or unreadable), the subnet the mesh still records for it, when it is free or
 * the joiner holds it, with that claim's age, so its pods keep their addresses; else the allocator's
 * free choice.
 */
public final class SubnetGrant {
  private SubnetGrant() {}

  /**
   * A joiner's request.
   *
   * @param nodeName           the joiner
   * @param preferred          the subnet it remembers; ignored unless it is one of the cluster's subnets
   * @param preferredClaimedAt when it first claimed {@code preferred} (kept so the claim's age survives)
   * @param pinned             pods hold addresses of {@code preferred}: it must keep it even when contested
   */
  public record Request(String nodeName, Optional<Cidr> preferred, long preferredClaimedAt, boolean pinned) {
    public Request {
      Objects.requireNonNull(nodeName, "nodeName");
      Objects.requireNonNull(preferred, "preferred");
    }
  }

  /**
   * The grant.
   *
   * @param subnet          the subnet granted
   * @param claimedAtMillis the claim's age: the remembered one's for a subnet kept, else now
   */
  public record Grant(Cidr subnet, long claimedAtMillis) {
    public Grant {
      Objects.requireNonNull(subnet, "subnet");
    }
  }

  /**
   * @param allocator the cluster's allocator (cluster CIDR and subnet size)
   * @param request   the joiner's request
   * @param others    every claim but the joiner's own: records, this node, pending grants
   * @param recorded  the claim of the mesh's record of the joiner, when it holds one
   * @param holdings  the holdings the mesh has agreed
   * @param nowMillis the claim time of a new subnet
   * @throws SubnetExhaustedException when no subnet is free
   */
  public static Grant decide(SubnetAllocator allocator, Request request, Collection<Claim> others,
      Optional<Claim> recorded, Set<Holding> holdings, long nowMillis) {
    Optional<Cidr> preferred = request.preferred().filter(p -> allocator.clusterCidr().contains(p)
        && p.prefixLength() == allocator.subnetPrefixLength());
    if (preferred.isPresent() && (request.pinned() || isFree(preferred.get(), others)
        || holdings.contains(new Holding(request.nodeName(), preferred.get())))) {
      return new Grant(preferred.get(), request.preferredClaimedAt());
    }
    if (preferred.isEmpty() && recorded.isPresent() && (isFree(recorded.get().subnet(), others)
        || holdings.contains(Holding.of(recorded.get())))) {
      return new Grant(recorded.get().subnet(), recorded.get().claimedAtMillis());
    }
    return new Grant(allocator.choose(request.nodeName(), others), nowMillis);
  }

  private static boolean isFree(Cidr subnet, Collection<Claim> others) {
    return others.stream().noneMatch(c -> c.subnet().overlaps(subnet));
  }
}
