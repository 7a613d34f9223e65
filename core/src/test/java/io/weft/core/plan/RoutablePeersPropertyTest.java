package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.core.model.Peer;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class RoutablePeersPropertyTest {

  @Provide
  Arbitrary<List<Peer>> peers() {
    return Arbitraries.integers().between(0, 30).map(n -> IntStream.range(0, n)
        .mapToObj(i -> Peer.up(Fixtures.node("node-" + i, "192.168.1." + (i + 1), "10.244." + i + ".0/24"), 0))
        .toList());
  }

  @Provide
  Arbitrary<Set<String>> losers() {
    return Arbitraries.integers().between(0, 40).map(i -> "node-" + i).set().ofMaxSize(15);
  }

  @Property(tries = 500)
  void exactlyTheLosersAreLeftOutAndTheOrderStays(@ForAll("peers") List<Peer> peers,
      @ForAll("losers") Set<String> losers) {
    List<Peer> kept = RoutablePeers.withoutLosers(peers, losers);
    assertEquals(peers.stream().filter(p -> !losers.contains(p.name())).toList(), kept);
    assertEquals(peers.size(), kept.size() + peers.stream().filter(p -> losers.contains(p.name())).count());
  }
}
