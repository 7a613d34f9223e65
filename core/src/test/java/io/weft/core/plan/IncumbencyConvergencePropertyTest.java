package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A partition merge as the members of the healed mesh see it: each half's coordinator had agreed its own
 * holdings (some subnets in both halves), and every member hears the announcements and both halves'
 * syncs in its own order, some of them more than once. Each member keeps what the gossip layer keeps (the
 * newest claim per node, the union of the holdings it heard, less the holdings whose node no longer claims
 * that subnet) and resolves after every message. At the end every member must hold the same resolution,
 * the one the incumbent rule and the tie rule give for those facts.
 */
class IncumbencyConvergencePropertyTest {
  private static final Cidr CLUSTER = Cidr.parse("10.244.0.0/20");
  private final SubnetAllocator allocator = new SubnetAllocator(CLUSTER, 24);

  /** An announcement (one claim) or a half's sync (its claims and its holdings). */
  private record Message(List<Claim> claims, Set<Holding> holdings) {}

  /** What a member keeps. */
  private final class Member {
    private final Map<String, Claim> claims = new HashMap<>();
    private Set<Holding> holdings = Set.of();
    private Resolution resolution = allocator.resolve(List.of(), Set.of());

    void receive(Message m) {
      m.claims().forEach(c -> claims.put(c.nodeName(), c));
      Set<Holding> next = new HashSet<>(holdings);
      next.addAll(m.holdings());
      next.retainAll(claims.values().stream().map(Holding::of).collect(Collectors.toSet()));
      holdings = Set.copyOf(next);
      resolution = allocator.resolve(claims.values(), holdings);
    }
  }

  @Provide
  Arbitrary<List<Claim>> claims() {
    return Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.of(SubnetSource.values()),
            Arbitraries.longs().between(0, 3), Arbitraries.of(true, false))
        .as((index, source, at, pinned) -> new Claim("?", CLUSTER.subnet(24, index), source, at, pinned))
        .list().ofMinSize(1).ofMaxSize(10)
        .map(list -> Fixtures.named("node-", list));
  }

  @Property(tries = 500)
  void everyMemberResolvesTheSameForAnyOrderAndDuplication(@ForAll("claims") List<Claim> claims,
      @ForAll Random random) {
    // Which half each node was in, and what each half's coordinator agreed (its winners then).
    List<List<Claim>> halves = List.of(new ArrayList<>(), new ArrayList<>());
    claims.forEach(c -> halves.get(random.nextInt(2)).add(c));
    List<Message> messages = new ArrayList<>();
    Set<Holding> allHoldings = new HashSet<>();
    for (List<Claim> half : halves) {
      Set<Holding> agreed = allocator.resolve(half, Set.of()).agreed();
      allHoldings.addAll(agreed);
      messages.add(new Message(half, agreed));
    }
    claims.forEach(c -> messages.add(new Message(List.of(c), Set.of())));
    Resolution expected = allocator.resolve(claims, allHoldings);

    for (int member = 0; member < 3; member++) {
      List<Message> heard = new ArrayList<>(messages);
      for (Message m : messages) {
        for (int copies = random.nextInt(3); copies > 0; copies--) {
          heard.add(m);
        }
      }
      Collections.shuffle(heard, random);
      Member m = new Member();
      heard.forEach(m::receive);
      assertEquals(expected, m.resolution, () -> "a member that heard " + heard);
    }

    // The incumbent rule: a subnet only one half held stays with its holder, whoever else claims it.
    for (Holding h : allHoldings) {
      boolean contested = allHoldings.stream()
          .anyMatch(o -> !o.equals(h) && o.subnet().overlaps(h.subnet()));
      if (!contested) {
        assertTrue(expected.winners().stream().anyMatch(w -> Holding.of(w).equals(h)), () -> "holder lost: " + h);
      }
    }
  }
}
