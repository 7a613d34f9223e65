package io.weft.core.plan;

import io.weft.core.net.Cidr;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses this node's pod subnet inside the cluster CIDR and settles overlapping claims. Pure and
 * deterministic: every node that knows the same claims reaches the same answer.
 *
 * <p>Choosing starts at a position derived from a stable hash of the node name, so nodes that join at
 * the same moment without knowing each other mostly pick different subnets, then probes upward (wrapping)
 * to the first subnet no other node's claim overlaps. Every subnet of the size is usable.
 *
 * <p>When claims overlap, {@link #precedence} decides who keeps the subnet: the incumbent (the holder the
 * mesh already agreed, {@link Holding}) against any newcomer, and between two claims of a kind a tie rule
 * on the node's name and the subnet only. Nothing a claimant says about its own claim (configured, pinned,
 * when it claimed) gives it priority: those fields are the sender's to set. The loser moves if it can; a
 * pinned or configured loser never moves and the overlap is reported as a conflict instead.
 */
public final class SubnetAllocator {
  /** Each node gets a /24 unless configured otherwise. */
  public static final int DEFAULT_SUBNET_PREFIX_LENGTH = 24;

  /**
   * Strongest claim first: an incumbent (its node and subnet among {@code incumbents}) before a claim the
   * mesh has not agreed; between two of a kind the smaller {@link #tieKey}, then the smaller node name
   * (then the smaller subnet, to make the order total).
   */
  public static Comparator<Claim> precedence(Set<Holding> incumbents) {
    Objects.requireNonNull(incumbents, "incumbents");
    return Comparator.comparing((Claim c) -> !incumbents.contains(Holding.of(c)))
        .thenComparing(SubnetAllocator::tieKey, Arrays::compareUnsigned)
        .thenComparing(Claim::nodeName)
        .thenComparing(Claim::subnet);
  }

  private static final int MAX_SPLIT_BITS = 24;
  private static final long FNV64_OFFSET_BASIS = 0xcbf29ce484222325L;
  private static final long FNV64_PRIME = 0x100000001b3L;

  private final Cidr clusterCidr;
  private final int subnetPrefixLength;
  private final long subnetCount;

  /**
   * @param clusterCidr        the IPv4 pod network
   * @param subnetPrefixLength size of each node's subnet (24); at most 24 bits longer than the cluster's
   */
  public SubnetAllocator(Cidr clusterCidr, int subnetPrefixLength) {
    this.clusterCidr = Objects.requireNonNull(clusterCidr, "clusterCidr");
    if (!clusterCidr.isIpv4()) {
      throw new IllegalArgumentException("cluster CIDR " + clusterCidr + " is not IPv4");
    }
    if (subnetPrefixLength < clusterCidr.prefixLength() || subnetPrefixLength > 32
        || subnetPrefixLength - clusterCidr.prefixLength() > MAX_SPLIT_BITS) {
      throw new IllegalArgumentException("cannot split cluster CIDR " + clusterCidr + " into /"
          + subnetPrefixLength + " subnets");
    }
    this.subnetPrefixLength = subnetPrefixLength;
    this.subnetCount = clusterCidr.subnetCount(subnetPrefixLength);
  }

  public Cidr clusterCidr() {
    return clusterCidr;
  }

  public int subnetPrefixLength() {
    return subnetPrefixLength;
  }

  /**
   * Chooses a subnet for {@code nodeName} that no other node's claim overlaps. The node's own claims
   * are ignored (it is choosing because it has none, or must leave the one it has).
   *
   * @param claims every claim known: live records, reservations of DOWN peers within their lease
   * @throws SubnetExhaustedException naming the cluster CIDR and the count when every subnet is taken
   */
  public Cidr choose(String nodeName, Collection<Claim> claims) {
    Objects.requireNonNull(nodeName, "nodeName");
    BitSet taken = new BitSet();
    for (Claim claim : claims) {
      if (!claim.nodeName().equals(nodeName)) {
        markTaken(claim.subnet(), taken);
      }
    }
    long start = Long.remainderUnsigned(stableHash(nodeName), subnetCount);
    int free = taken.nextClearBit((int) start);
    if (free >= subnetCount) {
      free = taken.nextClearBit(0);
    }
    if (free >= subnetCount) {
      throw new SubnetExhaustedException(nodeName, clusterCidr, subnetPrefixLength, subnetCount);
    }
    return clusterCidr.subnet(subnetPrefixLength, free);
  }

  /**
   * Settles overlapping claims. Claims are taken strongest first ({@link #precedence}); a claim that
   * overlaps no stronger claim still holding its subnet wins. Otherwise it loses to the first such
   * claim: a movable loser must move, an unmovable one stays and is a conflict (and keeps holding its
   * subnet against weaker claims). The result does not depend on the order of {@code claims}.
   *
   * @param claims     each node's newest claim
   * @param incumbents the holdings the mesh has agreed (a holding whose node now claims another subnet,
   *                   or nothing, counts for nothing)
   * @throws IllegalArgumentException when one node has two claims (pass each node's newest only)
   */
  public Resolution resolve(Collection<Claim> claims, Set<Holding> incumbents) {
    Set<String> names = new HashSet<>();
    for (Claim c : claims) {
      if (!names.add(c.nodeName())) {
        throw new IllegalArgumentException("two claims for node " + c.nodeName() + "; pass one per node");
      }
    }
    List<Claim> strongestFirst = claims.stream().sorted(precedence(incumbents)).toList();
    List<Claim> holding = new ArrayList<>();
    List<Claim> winners = new ArrayList<>();
    List<Resolution.Overlap> mustMove = new ArrayList<>();
    List<Resolution.Overlap> conflicts = new ArrayList<>();
    for (Claim claim : strongestFirst) {
      Optional<Claim> keeper = holding.stream().filter(h -> h.subnet().overlaps(claim.subnet())).findFirst();
      if (keeper.isEmpty()) {
        winners.add(claim);
        holding.add(claim);
        continue;
      }
      Resolution.Basis basis = incumbents.contains(Holding.of(keeper.get()))
          && !incumbents.contains(Holding.of(claim)) ? Resolution.Basis.INCUMBENT : Resolution.Basis.TIE_RULE;
      Resolution.Overlap lost = new Resolution.Overlap(claim, keeper.get(), basis);
      if (claim.isMovable()) {
        mustMove.add(lost);
      } else {
        conflicts.add(lost);
        holding.add(claim);
      }
    }
    winners.sort(Comparator.comparing(Claim::nodeName));
    Comparator<Resolution.Overlap> byLoser = Comparator.comparing(o -> o.loser().nodeName());
    mustMove.sort(byLoser);
    conflicts.sort(byLoser);
    return new Resolution(winners, mustMove, conflicts);
  }

  /**
   * The tie rule's key: SHA-256 over the UTF-8 bytes of the node name, a newline and the subnet in its
   * canonical text ({@code node-a\n10.244.7.0/24}); the smaller key (unsigned bytes) is stronger. Every
   * member computes it from the claim alone, and it ranks each name differently for each subnet, so no
   * name is favoured across the cluster the way an alphabetical rule favours {@code a…}.
   */
  public static byte[] tieKey(Claim claim) {
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest((claim.nodeName() + "\n" + claim.subnet()).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * 64-bit FNV-1a over the UTF-8 bytes of the name: specified bit for bit, so every JVM and every
   * future version of Weft starts the probe for a name at the same subnet.
   */
  static long stableHash(String nodeName) {
    long hash = FNV64_OFFSET_BASIS;
    for (byte b : nodeName.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= FNV64_PRIME;
    }
    return hash;
  }

  private void markTaken(Cidr claimed, BitSet taken) {
    if (claimed.contains(clusterCidr)) {
      taken.set(0, (int) subnetCount);
    } else if (clusterCidr.contains(claimed)) {
      int first = (int) Cidr.of(claimed.network(), subnetPrefixLength).indexWithin(clusterCidr);
      int span = claimed.prefixLength() >= subnetPrefixLength
          ? 1 : 1 << (subnetPrefixLength - claimed.prefixLength());
      taken.set(first, first + span);
    }
  }
}
