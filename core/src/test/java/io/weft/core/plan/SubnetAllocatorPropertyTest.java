package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class SubnetAllocatorPropertyTest {
  /** 16 subnets: small enough that concurrent joiners collide all the time. */
  private static final Cidr SMALL_CLUSTER = Fixtures.cidr("10.244.0.0/20");
  private final SubnetAllocator allocator = new SubnetAllocator(SMALL_CLUSTER, 24);

  /** At most 11 allocated plus 5 configured nodes: the 16 subnets always suffice. */
  @Provide
  Arbitrary<Set<String>> names() {
    return Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-').ofMinLength(1).ofMaxLength(12)
        .set().ofMinSize(1).ofMaxSize(11);
  }

  /** Configured nodes and their subnet index; may overlap each other. */
  @Provide
  Arbitrary<Map<String, Integer>> configured() {
    return Arbitraries.maps(Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(4),
        Arbitraries.integers().between(0, 15)).ofMaxSize(5);
  }

  @Property(tries = 1000)
  void sequentialJoinersGetDistinctSubnets(@ForAll("names") Set<String> names, @ForAll Random random) {
    List<String> order = new ArrayList<>(names);
    Collections.shuffle(order, random);
    List<Claim> claims = new ArrayList<>();
    for (String name : order) {
      Cidr chosen = allocator.choose(name, claims);
      assertTrue(SMALL_CLUSTER.contains(chosen) && chosen.prefixLength() == 24, () -> "bad choice " + chosen);
      claims.add(new Claim(name, chosen, SubnetSource.ALLOCATED, claims.size(), false));
    }
    assertEquals(names.size(), claims.stream().map(Claim::subnet).distinct().count(), () -> "duplicates: " + claims);
    assertTrue(allocator.resolve(claims, Set.of()).mustMove().isEmpty());
  }

  @Property(tries = 1000)
  void concurrentJoinersSettleOnTheSameDistinctSubnetsInAnyOrder(@ForAll("names") Set<String> names,
      @ForAll("configured") Map<String, Integer> configured, @ForAll Random random) {
    Map<String, Cidr> first = simulateConcurrentJoin(names, configured, random);
    Map<String, Cidr> second = simulateConcurrentJoin(names, configured, random);

    assertEquals(first, second, "the outcome must not depend on the order nodes hear of each other");
    configured.forEach((name, index) -> assertEquals(SMALL_CLUSTER.subnet(24, index), first.get(name),
        () -> "configured node " + name + " moved"));
    Set<Cidr> configuredSubnets = configured.values().stream().map(i -> SMALL_CLUSTER.subnet(24, i))
        .collect(Collectors.toSet());
    List<Cidr> allocatedSubnets = names.stream().map(first::get).toList();
    assertEquals(allocatedSubnets.size(), allocatedSubnets.stream().distinct().count(), () -> "duplicates " + first);
    allocatedSubnets.forEach(s -> assertFalse(configuredSubnets.contains(s), () -> "allocated onto configured " + s));
  }

  /**
   * Every unplaced node chooses at once, knowing only the claims that stand; then all claims are
   * resolved, losers drop their claim and go again. Each node sees the claims in its own random order.
   */
  private Map<String, Cidr> simulateConcurrentJoin(Set<String> names, Map<String, Integer> configured,
      Random random) {
    Map<String, Claim> standing = new HashMap<>();
    configured.forEach((name, index) -> standing.put(name,
        new Claim(name, SMALL_CLUSTER.subnet(24, index), SubnetSource.CONFIGURED, 0, true)));
    List<String> unplaced = names.stream().filter(n -> !configured.containsKey(n)).collect(Collectors.toList());
    long round = 1;
    while (!unplaced.isEmpty()) {
      assertTrue(round <= names.size() + 1, "no convergence after " + round + " rounds");
      Collections.shuffle(unplaced, random);
      Map<String, Claim> fresh = new HashMap<>();
      for (String name : unplaced) {
        List<Claim> known = new ArrayList<>(standing.values());
        Collections.shuffle(known, random);
        fresh.put(name, new Claim(name, allocator.choose(name, known), SubnetSource.ALLOCATED, round, false));
      }
      standing.putAll(fresh);
      List<Claim> all = new ArrayList<>(standing.values());
      Collections.shuffle(all, random);
      Resolution resolution = allocator.resolve(all, Set.of());
      unplaced = new ArrayList<>();
      for (Resolution.Overlap lost : resolution.mustMove()) {
        standing.remove(lost.loser().nodeName());
        unplaced.add(lost.loser().nodeName());
      }
      round++;
    }
    Map<String, Cidr> result = new TreeMap<>();
    standing.forEach((name, claim) -> result.put(name, claim.subnet()));
    return result;
  }

  @Provide
  Arbitrary<List<Claim>> claims() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 7), Arbitraries.of(22, 23, 24, 24, 24, 25),
            Arbitraries.of(SubnetSource.values()), Arbitraries.longs().between(0, 3), Arbitraries.of(true, false))
        .as((index, length, source, at, pinned) -> new Claim("?",
            Cidr.of(SMALL_CLUSTER.subnet(24, index * 2).network(), length), source, at, pinned))
        .list().ofMaxSize(12)
        .map(list -> Fixtures.named("n", list));
  }

  @Property(tries = 1000)
  void resolutionIsOrderFreeAndLeavesNoOverlapUnexplained(@ForAll("claims") List<Claim> claims,
      @ForAll("incumbents") Set<Integer> incumbentIndexes, @ForAll Random random) {
    Set<Holding> incumbents = claims.stream().filter(c -> incumbentIndexes.contains(claims.indexOf(c)))
        .map(Holding::of).collect(Collectors.toSet());
    Resolution resolution = allocator.resolve(claims, incumbents);
    List<Claim> shuffled = new ArrayList<>(claims);
    Collections.shuffle(shuffled, random);
    assertEquals(resolution, allocator.resolve(shuffled, incumbents));

    assertEquals(claims.size(),
        resolution.winners().size() + resolution.mustMove().size() + resolution.conflicts().size());
    List<Claim> staying = resolution.staying().toList();
    for (Claim a : staying) {
      for (Claim b : staying) {
        if (a != b && a.subnet().overlaps(b.subnet())) {
          assertTrue(resolution.conflicts().stream().anyMatch(o -> o.loser() == a || o.loser() == b),
              () -> "unreported overlap " + a + " / " + b);
        }
      }
    }
    resolution.mustMove().forEach(o -> assertTrue(o.loser().isMovable()));
    resolution.conflicts().forEach(o -> assertFalse(o.loser().isMovable()));
    resolution.mustMove().forEach(o ->
        assertTrue(SubnetAllocator.precedence(incumbents).compare(o.keeper(), o.loser()) < 0));
    claims.stream().filter(c -> c.source() == SubnetSource.CONFIGURED)
        .forEach(c -> assertFalse(resolution.mustMove(c.nodeName()), () -> "configured told to move: " + c));
    // No self-asserted priority: an incumbent never loses to a newcomer, whatever the newcomer says.
    Stream.concat(resolution.mustMove().stream(), resolution.conflicts().stream())
        .filter(o -> incumbents.contains(Holding.of(o.loser())))
        .forEach(o -> assertTrue(incumbents.contains(Holding.of(o.keeper())), () -> "incumbent lost: " + o));
  }

  @Provide
  Arbitrary<Set<Integer>> incumbents() {
    return Arbitraries.integers().between(0, 11).set().ofMaxSize(6);
  }

  @Property(tries = 1000)
  void chooseNeverOverlapsAnotherNodesClaim(@ForAll("claims") List<Claim> claims,
      @ForAll @IntRange(min = 0, max = 12) int who) {
    String name = "n" + who;
    try {
      Cidr chosen = allocator.choose(name, claims);
      claims.stream().filter(c -> !c.nodeName().equals(name))
          .forEach(c -> assertFalse(c.subnet().overlaps(chosen), () -> chosen + " overlaps " + c));
    } catch (SubnetExhaustedException e) {
      assertTrue(SMALL_CLUSTER.subnets(24).allMatch(s -> claims.stream()
          .anyMatch(c -> !c.nodeName().equals(name) && c.subnet().overlaps(s))), e.getMessage());
    }
  }
}
