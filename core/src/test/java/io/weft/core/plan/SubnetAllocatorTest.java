package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.cidr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SubnetAllocatorTest {
  private final SubnetAllocator allocator = new SubnetAllocator(CLUSTER, 24);

  private static Claim allocated(String node, String subnet, long at) {
    return new Claim(node, cidr(subnet), SubnetSource.ALLOCATED, at, false);
  }

  private static Claim configured(String node, String subnet, long at) {
    return new Claim(node, cidr(subnet), SubnetSource.CONFIGURED, at, true);
  }

  @Test
  void startsAtTheNameHashAndProbesUpward() {
    Cidr first = allocator.choose("node-1", List.of());
    assertEquals(first, allocator.choose("node-1", List.of()), "deterministic");
    assertEquals(Long.remainderUnsigned(SubnetAllocator.stableHash("node-1"), 256), first.indexWithin(CLUSTER));

    Cidr next = allocator.choose("node-1", List.of(allocated("other", first.toString(), 0)));
    assertEquals((first.indexWithin(CLUSTER) + 1) % 256, next.indexWithin(CLUSTER));
  }

  @Test
  void ignoresItsOwnClaimAndWrapsAround() {
    SubnetAllocator tiny = new SubnetAllocator(cidr("10.244.0.0/23"), 24);
    assertEquals(cidr("10.244.0.0/24"), tiny.choose("me", List.of(
        allocated("me", "10.244.0.0/24", 0), allocated("you", "10.244.1.0/24", 0))));
  }

  @Test
  void stableHashIsFnv1a() {
    // Published FNV-1a 64 test vectors.
    assertEquals(0xcbf29ce484222325L, SubnetAllocator.stableHash(""));
    assertEquals(0xaf63dc4c8601ec8cL, SubnetAllocator.stableHash("a"));
    assertEquals(0x85944171f73967e8L, SubnetAllocator.stableHash("foobar"));
  }

  @Test
  void spreadsSimilarNames() {
    long distinct = IntStream.range(0, 10).mapToObj(i -> allocator.choose("node-" + i, List.of())).distinct().count();
    assertTrue(distinct >= 8, "ten similar names should mostly start apart, got " + distinct + " distinct");
  }

  @Test
  void exhaustionNamesTheCidrAndTheCount() {
    SubnetAllocator tiny = new SubnetAllocator(cidr("10.244.0.0/22"), 24);
    List<Claim> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      all.add(allocated("n" + i, "10.244." + i + ".0/24", 0));
    }
    SubnetExhaustedException e = assertThrows(SubnetExhaustedException.class, () -> tiny.choose("late", all));
    assertTrue(e.getMessage().contains("10.244.0.0/22") && e.getMessage().contains("all 4"), e.getMessage());
  }

  @Test
  void widerClaimsBlockEverySubnetTheyCover() {
    SubnetAllocator tiny = new SubnetAllocator(cidr("10.244.0.0/22"), 24);
    Cidr chosen = tiny.choose("x", List.of(allocated("wide", "10.244.0.0/23", 0), allocated("w2", "10.244.2.0/24", 0)));
    assertEquals(cidr("10.244.3.0/24"), chosen);
    assertThrows(SubnetExhaustedException.class, () -> tiny.choose("x", List.of(allocated("all", "10.0.0.0/8", 0))));
    assertNotEquals(null, tiny.choose("x", List.of(allocated("outside", "10.245.0.0/24", 0))));
  }

  @Test
  void theIncumbentKeepsItsSubnetAgainstAConfiguredPinnedEarlierNewcomer() {
    Claim incumbent = allocated("victim", "10.244.5.0/24", 9_000);
    Claim thief = configured("thief", "10.244.5.0/24", 0);

    Resolution r = allocator.resolve(List.of(thief, incumbent), Set.of(Holding.of(incumbent)));

    assertEquals(List.of(incumbent), r.winners());
    assertEquals(List.of(new Resolution.Overlap(thief, incumbent, Resolution.Basis.INCUMBENT)), r.conflicts(),
        "the configured newcomer cannot move: refused and reported");
    assertEquals(Set.of(Holding.of(incumbent)), r.agreed());
  }

  @Test
  void withoutAnIncumbentTheTieKeyDecidesNotWhatTheClaimantsSayAboutThemselves() {
    // Sources, pins and claim times in the claimants' favour are ignored: only names and the subnet count.
    List<Claim> claims = List.of(configured("b", "10.244.5.0/24", 0), allocated("a", "10.244.5.0/24", 7),
        new Claim("c", cidr("10.244.5.0/24"), SubnetSource.ALLOCATED, 1, true));
    Claim strongest = claims.stream()
        .min((x, y) -> Arrays.compareUnsigned(SubnetAllocator.tieKey(x), SubnetAllocator.tieKey(y))).orElseThrow();

    Resolution r = allocator.resolve(claims, Set.of());

    assertEquals(List.of(strongest), r.winners());
    r.conflicts().forEach(o -> assertEquals(Resolution.Basis.TIE_RULE, o.basis()));
    r.mustMove().forEach(o -> assertEquals(strongest, o.keeper()));
  }

  @Test
  void twoIncumbentsOfOneSubnetAfterAPartitionAreSettledByTheTieKey() {
    Claim x = configured("x", "10.244.5.0/24", 0);
    Claim y = configured("y", "10.244.5.0/24", 0);
    Claim stronger = Arrays.compareUnsigned(SubnetAllocator.tieKey(x), SubnetAllocator.tieKey(y)) < 0 ? x : y;

    Resolution r = allocator.resolve(List.of(x, y), Set.of(Holding.of(x), Holding.of(y)));

    assertEquals(List.of(stronger), r.winners());
    assertEquals(1, r.conflicts().size());
    assertEquals(Resolution.Basis.TIE_RULE, r.conflicts().get(0).basis());
    assertEquals(1, r.conflictsOf("x").size());
    assertEquals(1, r.conflictsOf("y").size());
  }

  @Test
  void theTieKeyIsSha256OfNameNewlineSubnet() throws Exception {
    assertArrayEquals(java.security.MessageDigest.getInstance("SHA-256")
            .digest("node-a\n10.244.7.0/24".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        SubnetAllocator.tieKey(allocated("node-a", "10.244.7.0/24", 0)));
  }

  @Test
  void rejectsTwoClaimsOfOneNodeAndBadSizes() {
    assertThrows(IllegalArgumentException.class, () -> allocator.resolve(List.of(
        allocated("a", "10.244.5.0/24", 0), allocated("a", "10.244.6.0/24", 0)), Set.of()));
    assertThrows(IllegalArgumentException.class, () -> new SubnetAllocator(CLUSTER, 8));
    assertThrows(IllegalArgumentException.class, () -> new SubnetAllocator(cidr("fd00::/64"), 120));
  }
}
