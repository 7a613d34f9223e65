package io.weft.core.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class EgressPlanPropertyTest {
  private static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");
  private static final Cidr POD_SUBNET = Cidr.parse("10.244.1.0/24");

  @Provide
  Arbitrary<InetAddress> addresses() {
    // Addresses near the interesting prefixes, so every rule is hit often.
    return Arbitraries.of("10.244.1.", "10.244.7.", "10.245.0.", "192.168.1.", "172.16.4.", "8.8.8.")
        .flatMap(p -> Arbitraries.integers().between(0, 255).map(h -> ip(p + h)));
  }

  @Provide
  Arbitrary<List<Cidr>> noMasquerade() {
    return Arbitraries.of("172.16.0.0/12", "192.168.0.0/16", "8.8.8.0/24", "10.244.5.0/24", "10.0.0.0/8")
        .map(Cidr::parse).list().ofMaxSize(3);
  }

  @Property(tries = 1000)
  void podTrafficLeavesTheClusterMasqueradedAndKeepsItsAddressEverywhereElse(
      @ForAll("addresses") InetAddress src, @ForAll("addresses") InetAddress dst,
      @ForAll("noMasquerade") List<Cidr> exempt, @ForAll boolean on) {
    EgressPlan plan = new EgressPlan(POD_SUBNET, CLUSTER, exempt, on);
    boolean expected = on && POD_SUBNET.contains(src) && !CLUSTER.contains(dst)
        && exempt.stream().noneMatch(c -> c.contains(dst));
    assertEquals(expected, plan.masquerades(src, dst), () -> src + " -> " + dst + " with " + plan.natRules());
  }

  @Property(tries = 1000)
  void forwardingAcceptsExactlyTrafficFromOrToTheClusterCidr(
      @ForAll("addresses") InetAddress src, @ForAll("addresses") InetAddress dst, @ForAll boolean on) {
    EgressPlan plan = new EgressPlan(POD_SUBNET, CLUSTER, List.of(), on);
    assertEquals(CLUSTER.contains(src) || CLUSTER.contains(dst), plan.forwardAccepts(src, dst));
  }

  @Property(tries = 1000)
  void masqueradeOffMeansNoNatRuleAtAll(@ForAll("noMasquerade") List<Cidr> exempt) {
    assertTrue(new EgressPlan(POD_SUBNET, CLUSTER, exempt, false).natRules().isEmpty());
    List<EgressPlan.NatRule> rules = new EgressPlan(POD_SUBNET, CLUSTER, exempt, true).natRules();
    assertEquals(EgressPlan.NatAction.MASQUERADE, rules.get(rules.size() - 1).action(), "the masquerade comes last");
  }

  private static InetAddress ip(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
