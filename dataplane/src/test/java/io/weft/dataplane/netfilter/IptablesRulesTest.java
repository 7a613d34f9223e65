package io.weft.dataplane.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.egress.EgressPlan;
import io.weft.core.net.Cidr;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IptablesRulesTest {
  private static final EgressPlan PLAN = new EgressPlan(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.244.0.0/16"),
      List.of(), true);
  private static final List<String> WANT = IptablesRules.forwardRules(PLAN);

  private static IptablesRules.Table filter(String... forwardRules) {
    StringBuilder b = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        + ":DOCKER-USER - [0:0]\n:WEFT-FORWARD - [0:0]\n");
    for (String r : forwardRules) {
      b.append(r).append('\n');
    }
    WANT.forEach(r -> b.append(r).append('\n'));
    return IptablesRules.parse(b.append("COMMIT\n").toString()).get("filter");
  }

  @Test
  void theRulesInSaveFormat() {
    assertEquals(List.of("-A WEFT-FORWARD -s 10.244.0.0/16 -j ACCEPT", "-A WEFT-FORWARD -d 10.244.0.0/16 -j ACCEPT"), WANT);
    assertEquals(List.of("-A WEFT-POSTROUTING -s 10.244.1.0/24 -d 10.244.0.0/16 -j RETURN",
        "-A WEFT-POSTROUTING -s 10.244.1.0/24 -j MASQUERADE"), IptablesRules.natRules(PLAN));
  }

  @Test
  void aJumpInFirstPlaceIsLeftAlone() {
    IptablesRules.Table t = filter("-A FORWARD -j WEFT-FORWARD", "-A FORWARD -j DOCKER-USER");
    assertEquals("DROP", t.policies().get("FORWARD"));
    assertEquals(Optional.empty(), IptablesRules.section("filter", t, "FORWARD", "WEFT-FORWARD", WANT));
  }

  @Test
  void aJumpPushedDownByAnotherToolMovesBackToFirstPlace() {
    IptablesRules.Table t = filter("-A FORWARD -j DOCKER-USER", "-A FORWARD -j WEFT-FORWARD");
    assertEquals("*filter\n:WEFT-FORWARD - [0:0]\n" + String.join("\n", WANT) + "\n"
        + "-D FORWARD -j WEFT-FORWARD\n-I FORWARD 1 -j WEFT-FORWARD\nCOMMIT\n",
        IptablesRules.section("filter", t, "FORWARD", "WEFT-FORWARD", WANT).orElseThrow());
  }

  @Test
  void duplicateJumpsBecomeOneInFirstPlace() {
    IptablesRules.Table t = filter("-A FORWARD -j WEFT-FORWARD", "-A FORWARD -j DOCKER-USER", "-A FORWARD -j WEFT-FORWARD");
    String tx = IptablesRules.section("filter", t, "FORWARD", "WEFT-FORWARD", WANT).orElseThrow();
    assertTrue(tx.endsWith("-D FORWARD -j WEFT-FORWARD\n-D FORWARD -j WEFT-FORWARD\n-I FORWARD 1 -j WEFT-FORWARD\nCOMMIT\n"), tx);
  }

  @Test
  void nothingWantedRemovesTheChainAndEveryJump() {
    IptablesRules.Table t = filter("-A FORWARD -j WEFT-FORWARD", "-A FORWARD -j DOCKER-USER");
    assertEquals("*filter\n-D FORWARD -j WEFT-FORWARD\n-F WEFT-FORWARD\n-X WEFT-FORWARD\nCOMMIT\n",
        IptablesRules.section("filter", t, "FORWARD", "WEFT-FORWARD", List.of()).orElseThrow());
    assertEquals(Optional.empty(), IptablesRules.section("filter", null, "FORWARD", "WEFT-FORWARD", List.of()));
  }

  @Test
  void dropsBeforeTheJumpAndForeignUseAreCounted() {
    IptablesRules.Table t = filter("-A FORWARD -s 10.0.0.0/8 -j DROP", "-A FORWARD -j WEFT-FORWARD",
        "-A FORWARD -j REJECT --reject-with icmp-port-unreachable");
    assertEquals(List.of("-A FORWARD -s 10.0.0.0/8 -j DROP"), IptablesRules.dropsBeforeJump(t));
    // Two rules of others and one non-ACCEPT policy; Weft's own lines do not count.
    assertEquals(3, IptablesRules.foreignUse(Map.of("filter", t)));
  }
}
