package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.cidr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.util.ArrayList;
import java.util.List;
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
  void configuredBeatsAllocatedAndPinnedBeatsEarlier() {
    Claim early = allocated("a", "10.244.5.0/24", 1);
    Claim conf = configured("z", "10.244.5.0/24", 9);
    Claim pinned = new Claim("y", cidr("10.244.6.0/24"), SubnetSource.ALLOCATED, 9, true);
    Claim earlier = allocated("b", "10.244.6.0/24", 1);

    Resolution r = allocator.resolve(List.of(early, conf, pinned, earlier));

    assertEquals(List.of(pinned, conf), r.winners());
    assertTrue(r.mustMove("a") && r.mustMove("b"));
    assertFalse(r.mustMove("z"));
    assertEquals("a's 10.244.5.0/24 overlaps z's 10.244.5.0/24", r.mustMove().get(0).describe());
  }

  @Test
  void earlierThenSmallerNameWinsAmongEquals() {
    Resolution r = allocator.resolve(List.of(allocated("b", "10.244.5.0/24", 1), allocated("a", "10.244.5.0/24", 1),
        allocated("c", "10.244.5.0/24", 0)));
    assertEquals(List.of("c"), r.winners().stream().map(Claim::nodeName).toList());
    assertEquals(List.of("a", "b"), r.mustMove().stream().map(o -> o.loser().nodeName()).toList());
  }

  @Test
  void twoConfiguredOnOneSubnetIsAConflictBothReport() {
    Resolution r = allocator.resolve(List.of(configured("b", "10.244.5.0/24", 0), configured("a", "10.244.5.0/24", 0)));
    assertEquals(List.of(), r.mustMove());
    assertEquals(1, r.conflicts().size());
    assertEquals(1, r.conflictsOf("a").size());
    assertEquals(1, r.conflictsOf("b").size());
    assertEquals("b", r.conflicts().get(0).loser().nodeName());
  }

  @Test
  void rejectsTwoClaimsOfOneNodeAndBadSizes() {
    assertThrows(IllegalArgumentException.class, () -> allocator.resolve(List.of(
        allocated("a", "10.244.5.0/24", 0), allocated("a", "10.244.6.0/24", 0))));
    assertThrows(IllegalArgumentException.class, () -> new SubnetAllocator(CLUSTER, 8));
    assertThrows(IllegalArgumentException.class, () -> new SubnetAllocator(cidr("fd00::/64"), 120));
  }
}
