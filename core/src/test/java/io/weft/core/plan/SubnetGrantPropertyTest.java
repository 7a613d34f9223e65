package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class SubnetGrantPropertyTest {
  /** 16 subnets, at most 12 other claims: there is always a free one, and collisions are frequent. */
  private static final Cidr SMALL_CLUSTER = Fixtures.cidr("10.244.0.0/20");
  private final SubnetAllocator allocator = new SubnetAllocator(SMALL_CLUSTER, 24);

  @Provide
  Arbitrary<List<Claim>> others() {
    Arbitrary<Claim> claim = Combinators.combine(
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(6),
        Arbitraries.integers().between(0, 15), Arbitraries.of(SubnetSource.class), Arbitraries.longs().between(0, 100),
        Arbitraries.of(true, false))
        .as((name, index, source, at, pinned) -> new Claim("other-" + name, SMALL_CLUSTER.subnet(24, index), source,
            at, pinned));
    return claim.list().ofMaxSize(12).uniqueElements(Claim::nodeName);
  }

  /** A remembered subnet: one of the cluster's, or a wrong one (outside, wrong size), or none. */
  @Provide
  Arbitrary<Optional<Cidr>> preferred() {
    return Arbitraries.oneOf(Arbitraries.integers().between(0, 15).map(i -> Optional.of(SMALL_CLUSTER.subnet(24, i))),
        Arbitraries.of(Optional.of(Fixtures.cidr("10.1.0.0/24")), Optional.of(Fixtures.cidr("10.244.0.0/25")),
            Optional.<Cidr>empty()));
  }

  @Provide
  Arbitrary<Optional<Claim>> recorded() {
    return Arbitraries.integers().between(-1, 15).map(i -> i < 0 ? Optional.<Claim>empty()
        : Optional.of(new Claim("joiner", SMALL_CLUSTER.subnet(24, i), SubnetSource.ALLOCATED, 7, false)));
  }

  @Property(tries = 1000)
  void theGrantIsAlwaysOneOfTheClustersSubnets(@ForAll("others") List<Claim> others,
      @ForAll("preferred") Optional<Cidr> preferred, @ForAll boolean pinned, @ForAll("recorded") Optional<Claim> recorded) {
    SubnetGrant.Grant g = SubnetGrant.decide(allocator, new SubnetGrant.Request("joiner", preferred, 3, pinned), others,
        recorded, Set.of(), 1000);
    assertTrue(SMALL_CLUSTER.contains(g.subnet()) && g.subnet().prefixLength() == 24, () -> "bad grant " + g);
  }

  @Property(tries = 1000)
  void anUnpinnedJoinerNeverGetsASubnetSomeoneElseClaims(@ForAll("others") List<Claim> others,
      @ForAll("preferred") Optional<Cidr> preferred, @ForAll("recorded") Optional<Claim> recorded) {
    SubnetGrant.Grant g = SubnetGrant.decide(allocator, new SubnetGrant.Request("joiner", preferred, 3, false), others,
        recorded, Set.of(), 1000);
    assertTrue(others.stream().noneMatch(c -> c.subnet().overlaps(g.subnet())), () -> g + " is claimed: " + others);
  }

  @Property(tries = 1000)
  void aPinnedJoinerKeepsItsSubnetWithItsAge(@ForAll("others") List<Claim> others,
      @ForAll("recorded") Optional<Claim> recorded, @ForAll Random random) {
    Cidr mine = SMALL_CLUSTER.subnet(24, random.nextInt(16));
    SubnetGrant.Grant g = SubnetGrant.decide(allocator, new SubnetGrant.Request("joiner", Optional.of(mine), 3, true),
        others, recorded, Set.of(), 1000);
    assertEquals(new SubnetGrant.Grant(mine, 3), g);
  }

  @Property(tries = 1000)
  void aJoinerThatRemembersNothingGetsBackWhatTheMeshRecordsWhenItIsFree(@ForAll("others") List<Claim> others,
      @ForAll("recorded") Optional<Claim> recorded) {
    SubnetGrant.Grant g = SubnetGrant.decide(allocator, new SubnetGrant.Request("joiner", Optional.empty(), 0, false),
        others, recorded, Set.of(), 1000);
    boolean recordedFree = recorded.isPresent()
        && others.stream().noneMatch(c -> c.subnet().overlaps(recorded.get().subnet()));
    if (recordedFree) {
      assertEquals(new SubnetGrant.Grant(recorded.get().subnet(), recorded.get().claimedAtMillis()), g);
    } else {
      assertEquals(1000, g.claimedAtMillis(), () -> "a new subnet is claimed now: " + g);
    }
  }

  @Property(tries = 500)
  void theGrantDoesNotDependOnTheOrderOfTheClaims(@ForAll("others") List<Claim> others,
      @ForAll("preferred") Optional<Cidr> preferred, @ForAll boolean pinned, @ForAll("recorded") Optional<Claim> recorded,
      @ForAll Random random) {
    SubnetGrant.Request request = new SubnetGrant.Request("joiner", preferred, 3, pinned);
    List<Claim> shuffled = new ArrayList<>(others);
    Collections.shuffle(shuffled, random);
    assertEquals(SubnetGrant.decide(allocator, request, others, recorded, Set.of(), 1000),
        SubnetGrant.decide(allocator, request, shuffled, recorded, Set.of(), 1000));
  }

  @Property(tries = 1000)
  void aRestartingHolderGetsItsSubnetBackWhateverANewcomerClaims(@ForAll("others") List<Claim> others,
      @ForAll boolean remembers, @ForAll Random random) {
    Cidr mine = SMALL_CLUSTER.subnet(24, random.nextInt(16));
    List<Claim> withNewcomer = new ArrayList<>(others);
    withNewcomer.add(new Claim("newcomer", mine, SubnetSource.CONFIGURED, 0, true));
    Claim recorded = new Claim("joiner", mine, SubnetSource.ALLOCATED, 7, true);
    SubnetGrant.Grant g = SubnetGrant.decide(allocator,
        new SubnetGrant.Request("joiner", remembers ? Optional.of(mine) : Optional.empty(), 7, false), withNewcomer,
        Optional.of(recorded), Set.of(Holding.of(recorded)), 1000);
    assertEquals(new SubnetGrant.Grant(mine, 7), g, "a node restarting with its own subnet is not a newcomer");
  }
}
