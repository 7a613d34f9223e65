package io.weft.dataplane.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.egress.EgressPlan;
import io.weft.core.net.Cidr;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.PacketFilter.BackendState;
import io.weft.dataplane.PacketFilter.FilterResult;
import io.weft.dataplane.netlink.TestNetns;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Weft's iptables rules against the kernel of a namespace made for each test, in both backends;
 * {@code iptables-nft-save} and {@code iptables-legacy-save} are the oracle.
 */
@RequiresRoot
class IptablesFilterIT {
  private static final EgressPlan PLAN = new EgressPlan(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.244.0.0/16"),
      List.of(Cidr.parse("172.16.0.0/12")), true);
  TestNetns ns;
  IptablesFilter filter;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create("filter");
    filter = new IptablesFilter(ns.path());
  }

  @AfterEach
  void cleanup() {
    if (ns != null) {
      ns.close();
    }
  }

  /** One table of a backend, or "" when it has none. {@code -t} is not used: in legacy it would create the table. */
  private String save(String backend, String table) {
    StringBuilder b = new StringBuilder();
    boolean in = false;
    for (String line : ns.exec("iptables-" + backend + "-save").split("\n")) {
      in = line.equals("*" + table) || (in && !line.startsWith("*"));
      if (in && !line.startsWith("#")) {
        b.append(line).append('\n');
      }
    }
    return b.toString();
  }

  @Test
  void onAnEmptyHostTheRulesGoToNftInOneTransactionAndASecondPassChangesNothing() {
    FilterResult r = filter.converge(PLAN);
    assertEquals(List.of(), r.errors());
    assertEquals(1, r.changes());
    assertEquals(List.of(new BackendState("nft", true, "ACCEPT", true, true, List.of())), r.backends());
    String filterTable = save("nft", "filter");
    assertTrue(filterTable.contains("-A FORWARD -j WEFT-FORWARD\n"), filterTable);
    assertTrue(filterTable.contains("-A WEFT-FORWARD -s 10.244.0.0/16 -j ACCEPT\n-A WEFT-FORWARD -d 10.244.0.0/16 -j ACCEPT\n"),
        filterTable);
    String nat = save("nft", "nat");
    assertTrue(nat.contains("-A POSTROUTING -j WEFT-POSTROUTING\n"), nat);
    assertTrue(nat.contains("-A WEFT-POSTROUTING -s 10.244.1.0/24 -d 10.244.0.0/16 -j RETURN\n"
        + "-A WEFT-POSTROUTING -s 10.244.1.0/24 -d 172.16.0.0/12 -j RETURN\n"
        + "-A WEFT-POSTROUTING -s 10.244.1.0/24 -j MASQUERADE\n"), nat);
    assertEquals("", save("legacy", "filter"), "nothing written where nothing is in use");

    assertEquals(0, filter.converge(PLAN).changes());
  }

  @Test
  void dockersDropPolicyAndItsRulesStayAndWeftsJumpComesFirst() {
    ns.exec("iptables-nft", "-P", "FORWARD", "DROP");
    ns.exec("iptables-nft", "-N", "DOCKER-USER");
    ns.exec("iptables-nft", "-A", "FORWARD", "-j", "DOCKER-USER");
    ns.exec("iptables-nft", "-A", "FORWARD", "-o", "docker0", "-j", "ACCEPT");

    FilterResult r = filter.converge(PLAN);

    assertEquals("DROP", r.backends().get(0).forwardPolicy());
    String table = save("nft", "filter");
    assertTrue(table.contains(":FORWARD DROP"), table);
    assertTrue(table.contains("-A FORWARD -j WEFT-FORWARD\n-A FORWARD -j DOCKER-USER\n-A FORWARD -o docker0 -j ACCEPT\n"),
        "one jump first, Docker's rules untouched and in order: " + table);
  }

  @Test
  void aLegacyHostGetsTheRulesInLegacyAndDeletionsByHandAreRepaired() {
    ns.exec("iptables-legacy", "-P", "FORWARD", "DROP");
    ns.exec("iptables-legacy", "-A", "FORWARD", "-i", "eth9", "-j", "ACCEPT");

    FilterResult r = filter.converge(PLAN);

    assertEquals(List.of(), r.errors());
    assertTrue(r.needsPolling(), "legacy sends no change notifications");
    String legacy = save("legacy", "filter");
    assertTrue(legacy.contains("-A FORWARD -j WEFT-FORWARD\n-A FORWARD -i eth9 -j ACCEPT\n"), legacy);
    assertTrue(save("legacy", "nat").contains("-j MASQUERADE"), "legacy holds more foreign rules: it is the primary");
    assertFalse(save("nft", "nat").contains("WEFT"), "NAT in one backend only");
    assertEquals("", save("nft", "filter"), "nft is not in use on this host: nothing written there");

    ns.exec("iptables-legacy", "-D", "FORWARD", "-j", "WEFT-FORWARD");
    ns.exec("iptables-legacy", "-t", "nat", "-F", "WEFT-POSTROUTING");
    assertEquals(1, filter.converge(PLAN).changes());
    assertTrue(save("legacy", "filter").contains("-A FORWARD -j WEFT-FORWARD\n-A FORWARD -i eth9 -j ACCEPT\n"));
    assertTrue(save("legacy", "nat").contains("-A WEFT-POSTROUTING -s 10.244.1.0/24 -j MASQUERADE"));
  }

  @Test
  void aJumpPushedDownByDockersRestartMovesBackToFirstPlace() {
    filter.converge(PLAN);
    ns.exec("iptables-nft", "-N", "DOCKER-USER");
    ns.exec("iptables-nft", "-I", "FORWARD", "1", "-j", "DOCKER-USER");
    ns.exec("iptables-nft", "-I", "DOCKER-USER", "1", "-j", "DROP");

    assertEquals(1, filter.converge(PLAN).changes());
    assertTrue(save("nft", "filter").contains("-A FORWARD -j WEFT-FORWARD\n-A FORWARD -j DOCKER-USER\n"),
        save("nft", "filter"));
    assertTrue(save("nft", "filter").contains("-A DOCKER-USER -j DROP"), "Docker's rules stay as they are");
  }

  @Test
  void anotherToolsNftablesChainThatDropsForwardingIsReported() {
    ns.exec("nft", "add", "table", "inet", "fw");
    ns.exec("nft", "add", "chain", "inet", "fw", "forward_in", "{ type filter hook forward priority 10; policy drop; }");

    FilterResult r = filter.converge(PLAN);

    assertEquals(List.of("inet fw forward_in"), r.nftDrops());
    ns.exec("nft", "add", "rule", "inet", "fw", "forward_in", "ip", "saddr", "10.244.0.0/16", "accept");
    assertEquals(List.of(), filter.converge(PLAN).nftDrops(), "a chain that accepts the pods is fine");
  }

  @Test
  void masqueradeOffLeavesNoNatRuleAndRemoveLeavesNothingOfWeft() {
    filter.converge(PLAN);
    filter.converge(new EgressPlan(PLAN.podSubnet(), PLAN.clusterCidr(), List.of(), false));
    assertFalse(save("nft", "nat").contains("WEFT"), save("nft", "nat"));
    assertTrue(save("nft", "filter").contains("WEFT-FORWARD"));

    FilterResult removed = filter.remove();
    assertEquals(List.of(), removed.errors());
    assertFalse(save("nft", "filter").contains("WEFT"), save("nft", "filter"));
    assertEquals(0, filter.remove().changes(), "a second remove finds nothing");
  }
}
