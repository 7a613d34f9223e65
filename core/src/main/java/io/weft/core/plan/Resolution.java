package io.weft.core.plan;

import io.weft.core.net.Cidr;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The outcome of {@link SubnetAllocator#resolve}: who keeps which subnet, who must move, and which
 * overlaps cannot be settled because the losing side may not move.
 *
 * @param winners   claims that overlap no stronger claim, sorted by node name
 * @param mustMove  movable claims that lost, each with the claim that beat it, sorted by loser name
 * @param conflicts pinned or configured claims that lost: they stay where they are and the overlap is
 *                  reported by both sides; sorted by loser name
 */
public record Resolution(List<Claim> winners, List<Overlap> mustMove, List<Overlap> conflicts) {
  /** Why the keeper of an overlap keeps it. */
  public enum Basis {
    /** The keeper is the subnet's agreed holder and the loser a newcomer. */
    INCUMBENT,
    /**
     * Neither or both are agreed holders (two claims made where neither side saw the other, such as the
     * two halves of a partition): the tie rule ({@link SubnetAllocator#tieKey}) decided.
     */
    TIE_RULE
  }

  /**
   * A lost claim and the claim that holds (part of) its subnet.
   *
   * @param loser  the weaker claim
   * @param keeper the stronger claim it overlaps
   * @param basis  why the keeper keeps it
   */
  public record Overlap(Claim loser, Claim keeper, Basis basis) {
    public Overlap {
      Objects.requireNonNull(loser, "loser");
      Objects.requireNonNull(keeper, "keeper");
      Objects.requireNonNull(basis, "basis");
    }

    /** E.g. {@code node-b's 10.244.1.0/24 overlaps node-a's 10.244.1.0/24}. */
    public String describe() {
      return loser.nodeName() + "'s " + loser.subnet() + " overlaps " + keeper.nodeName() + "'s "
          + keeper.subnet();
    }
  }

  public Resolution {
    winners = List.copyOf(winners);
    mustMove = List.copyOf(mustMove);
    conflicts = List.copyOf(conflicts);
  }

  /** True when {@code nodeName} lost its subnet and must choose another. */
  public boolean mustMove(String nodeName) {
    return mustMove.stream().anyMatch(o -> o.loser().nodeName().equals(nodeName));
  }

  /** The unresolvable overlaps {@code nodeName} takes part in, as loser or keeper: both sides report. */
  public List<Overlap> conflictsOf(String nodeName) {
    return conflicts.stream()
        .filter(o -> o.loser().nodeName().equals(nodeName) || o.keeper().nodeName().equals(nodeName))
        .toList();
  }

  /** Node name to subnet for every winner: the owners the record validator checks against. */
  public Map<String, Cidr> owners() {
    return winners.stream().collect(Collectors.toUnmodifiableMap(Claim::nodeName, Claim::subnet));
  }

  /** The winners as holdings: what the mesh agrees once this resolution is its coordinator's. */
  public Set<Holding> agreed() {
    return winners.stream().map(Holding::of).collect(Collectors.toUnmodifiableSet());
  }

  /** Every claim that keeps its subnet: the winners and the unmovable losers. */
  public Stream<Claim> staying() {
    return Stream.concat(winners.stream(), conflicts.stream().map(Overlap::loser));
  }
}
