package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Cidr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class SubnetOverlapPropertyTest {
  /** Subnets of sizes /22../26 near 10.244.0.0, so they overlap often. */
  @Provide
  Arbitrary<Cidr> subnet() {
    return Arbitraries.integers().between(22, 26).flatMap(len -> Arbitraries.integers().between(0, 15)
        .map(i -> Fixtures.CLUSTER.subnet(len, i % (1 << (len - 20)))));
  }

  @Provide
  Arbitrary<Map<String, Cidr>> holders() {
    return Arbitraries.maps(Arbitraries.of("a", "b", "c", "d", "self", "claimant"), subnet()).ofMaxSize(6);
  }

  @Property(tries = 2000)
  void namesTheFirstHolderItOverlapsAndNoneElse(@ForAll("subnet") Cidr subnet, @ForAll("subnet") Cidr own,
      @ForAll("holders") Map<String, Cidr> holders, @ForAll Random random) {
    Optional<SubnetOverlap.Overlap> o = SubnetOverlap.first("claimant", subnet, "self", own, holders);
    Optional<String> expected = own.overlaps(subnet) ? Optional.of("self") : holders.entrySet().stream()
        .filter(e -> !e.getKey().equals("claimant") && !e.getKey().equals("self"))
        .filter(e -> e.getValue().overlaps(subnet)).map(Map.Entry::getKey).sorted().findFirst();
    assertEquals(expected, o.map(SubnetOverlap.Overlap::holder));
    o.ifPresent(x -> {
      assertTrue(x.subnet().overlaps(subnet));
      assertEquals(x.holder().equals("self"), x.thisNode());
      assertNotEquals("claimant", x.holder());
    });
    List<Map.Entry<String, Cidr>> shuffled = new ArrayList<>(holders.entrySet());
    Collections.shuffle(shuffled, random);
    Map<String, Cidr> reordered = new LinkedHashMap<>();
    shuffled.forEach(e -> reordered.put(e.getKey(), e.getValue()));
    assertEquals(o, SubnetOverlap.first("claimant", subnet, "self", own, reordered), "order free");
  }
}
