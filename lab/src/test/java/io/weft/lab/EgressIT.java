package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.testing.RequiresRoot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Pods reach the world, and firewalled nodes still forward: three nodes whose FORWARD policy is DROP
 * with a DOCKER-USER chain before their agents start (as Docker leaves a host; n1 and n2 in iptables-nft,
 * n3 in iptables-legacy and behind the router, so its pods go through the tunnel), and an outside host on
 * the LAN with no route to the pods. Agent logs: lab/target/lab-logs/EgressIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EgressIT {
  private final ObjectMapper mapper = new ObjectMapper();
  private Lab lab;

  @BeforeAll
  void startLab() {
    lab = Lab.start(LabConfig.defaults("EgressIT").withSegments(2).withPeerGrace(Duration.ofSeconds(60))
        .withForwardDrop(1, "nft").withForwardDrop(2, "nft").withForwardDrop(3, "legacy"));
  }

  @AfterAll
  void stopLab() {
    if (lab != null) {
      lab.close();
    }
  }

  private static String save(LabNode node, String backend) {
    return Command.of(node.exec(List.of("iptables-" + backend + "-save"))).run().check().stdout();
  }

  @Test
  @Order(1)
  void withForwardDropEverywhereThePodMatrixStillPassesWithPodAddresses() {
    for (LabNode node : lab.nodes()) {
      String backend = node.index() == 3 ? "legacy" : "nft";
      assertTrue(save(node, backend).contains(":FORWARD DROP"), node + " drops by policy");
    }
    await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertEquals(List.of(), Traffic.failures(lab, lab.pods(), lab.pods())));
  }

  @Test
  @Order(2)
  void everyPodReachesTheOutsideHostWhichSeesTheNodesAddress() {
    OutsideHost out = lab.outside();
    List<String> bad = new ArrayList<>();
    for (Pod pod : lab.pods()) {
      String nodeIp = pod.node().ip();
      if (!pod.ping(out.ip())) {
        bad.add(pod + ": no ping reply from the outside host");
      }
      String udp = pod.sourceSeenAt(out.ip(), Duration.ofSeconds(2));
      if (!nodeIp.equals(udp)) {
        bad.add(pod + ": outside host saw UDP from " + udp + ", not the node's " + nodeIp);
      }
      Command.Result tcp = pod.tcpSend(out.ip(), OutsideHost.TCP_PORT, 64 * 1024);
      if (tcp.exit() != 0 || !tcp.stdout().startsWith("saw " + nodeIp + "\n")) {
        bad.add(pod + ": TCP fetch from the outside host: " + tcp.stdout().strip());
      }
    }
    assertEquals(List.of(), bad);
  }

  @Test
  @Order(3)
  void statusShowsTheEgressStateAndDoctorPassesTheForwardingCheck() throws Exception {
    for (LabNode node : lab.nodes()) {
      JsonNode egress = node.status().orElseThrow().path("egress");
      assertTrue(egress.path("masquerade").asBoolean(), egress.toString());
      assertEquals("installed", egress.path("state").asText(), node + ": " + egress);
      String backend = node.index() == 3 ? "legacy" : "nft";
      assertTrue(egress.path("backends").toString().contains("\"name\":\"" + backend + "\""), egress.toString());
      String text = node.meshctl("status").stdout();
      assertTrue(text.contains("masquerade on, rules installed in iptables-" + backend + " (FORWARD policy DROP)"), text);
      Command.Result doctor = node.meshctl("doctor", "-o", "json");
      JsonNode checks = mapper.readTree(doctor.stdout());
      boolean passed = false;
      for (JsonNode c : checks.path("checks")) {
        if ("pod traffic forwarded".equals(c.path("name").asText())) {
          passed = "PASS".equals(c.path("result").asText());
        }
      }
      assertTrue(passed, node + ": " + doctor.stdout());
    }
  }

  @Test
  @Order(4)
  void rulesDeletedByHandComeBackInBothBackends() {
    LabNode nft = lab.node(1);
    Command.of(nft.exec(List.of("iptables-nft", "-D", "FORWARD", "-j", "WEFT-FORWARD"))).run().check();
    await().atMost(Bounds.DRIFT_REPAIR).pollInterval(Duration.ofMillis(20))
        .until(() -> save(nft, "nft").contains("-A FORWARD -j WEFT-FORWARD"));
    Command.of(nft.exec(List.of("iptables-nft", "-t", "nat", "-F", "WEFT-POSTROUTING"))).run().check();
    await().atMost(Bounds.DRIFT_REPAIR).pollInterval(Duration.ofMillis(20))
        .until(() -> save(nft, "nft").contains("-j MASQUERADE"));

    // Legacy iptables announces nothing: the agent re-reads it every second.
    LabNode legacy = lab.node(3);
    Command.of(legacy.exec(List.of("iptables-legacy", "-D", "FORWARD", "-j", "WEFT-FORWARD"))).run().check();
    await().atMost(Bounds.DRIFT_REPAIR.multipliedBy(2)).pollInterval(Duration.ofMillis(20))
        .until(() -> save(legacy, "legacy").contains("-A FORWARD -j WEFT-FORWARD"));
    await().atMost(Bounds.TRAFFIC).untilAsserted(() -> assertEquals(List.of(), Traffic.pingFailures(lab, lab.pods(), lab.pods())));
    assertTrue(lab.node(1).status().orElseThrow().toString().contains("\"state\":\"installed\""));
  }

  @Test
  @Order(5)
  void weftsJumpPushedDownByDockerMovesBackFirstAndADropAheadIsReported() {
    LabNode nft = lab.node(1);
    // Docker's restart puts its jump back on top; a DROP in DOCKER-USER would then meet pod traffic first.
    Command.of(nft.exec(List.of("iptables-nft", "-D", "FORWARD", "-j", "DOCKER-USER"))).run().check();
    Command.of(nft.exec(List.of("iptables-nft", "-I", "FORWARD", "1", "-j", "DOCKER-USER"))).run().check();
    await().atMost(Bounds.DRIFT_REPAIR).pollInterval(Duration.ofMillis(20))
        .until(() -> save(nft, "nft").contains("-A FORWARD -j WEFT-FORWARD\n-A FORWARD -j DOCKER-USER\n"));

    Command.of(nft.exec(List.of("nft", "add", "table", "inet", "wfw"))).run().check();
    Command.of(nft.exec(List.of("nft", "add", "chain", "inet", "wfw", "forward_in",
        "{ type filter hook forward priority 10; policy drop; }"))).run().check();
    try {
      await().atMost(Bounds.DRIFT_REPAIR.multipliedBy(3)).until(() -> nft.status().orElseThrow().path("problems")
          .toString().contains("nftables chain inet wfw forward_in drops forwarded traffic"));
      assertEquals(1, nft.meshctl("doctor").exit(), "doctor fails with the fix");
    } finally {
      Command.of(nft.exec(List.of("nft", "delete", "table", "inet", "wfw"))).run().check();
    }
  }

  @Test
  @Order(6)
  void masqueradeOffLeavesNoNatRule() {
    LabNode n2 = lab.node(2);
    n2.stopAgent(Duration.ofSeconds(20));
    assertTrue(save(n2, "nft").contains("WEFT-POSTROUTING"), "SIGTERM keeps the rules");
    n2.startAgent(List.of(lab.node(1).ip()), lab.secretFile(), List.of("--masquerade=false"));
    lab.awaitReady(n2, Lab.READY_TIMEOUT);
    await().atMost(Bounds.JOIN).until(() -> !save(n2, "nft").contains("WEFT-POSTROUTING"));
    assertTrue(save(n2, "nft").contains("-A FORWARD -j WEFT-FORWARD"), "forwarding stays");
    assertTrue(n2.meshctl("status").stdout().contains("masquerade off, rules installed"));

    n2.stopAgent(Duration.ofSeconds(20));
    n2.startAgent(List.of(lab.node(1).ip()), lab.secretFile(), List.of());
    lab.awaitReady(n2, Lab.READY_TIMEOUT);
    await().atMost(Bounds.JOIN).until(() -> save(n2, "nft").contains("-j MASQUERADE"));
  }

  @Test
  @Order(7)
  void cleanupLeavesNoRuleOfWefts() {
    for (LabNode node : List.of(lab.node(1), lab.node(3))) {
      node.stopAgent(Duration.ofSeconds(20));
      Command.Result cleanup = node.cleanup();
      assertEquals(0, cleanup.exit(), cleanup.stdout() + cleanup.stderr());
      for (String backend : List.of("nft", "legacy")) {
        assertFalse(save(node, backend).contains("WEFT"), node + " " + backend + ": " + save(node, backend));
      }
      assertTrue(save(node, node.index() == 3 ? "legacy" : "nft").contains(":FORWARD DROP"), "the host's policy stays");
    }
  }
}
