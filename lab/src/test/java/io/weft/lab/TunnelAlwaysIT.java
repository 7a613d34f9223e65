package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.testing.RequiresRoot;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code --tunnel always} on one flat LAN (clouds whose source/destination check drops foreign
 * addresses): every peer is reached through the VXLAN device although it is on-link, pods keep their
 * addresses. Agent logs: lab/target/lab-logs/TunnelAlwaysIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TunnelAlwaysIT {
  private Lab lab;

  @BeforeAll
  void startLab() {
    lab = Lab.start(LabConfig.defaults("TunnelAlwaysIT").withNodes(2).withPodsPerNode(1)
        .withAgentArgs(List.of("--tunnel", "always")));
  }

  @AfterAll
  void stopLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void everyPeerGoesThroughTheTunnelAndPodsKeepTheirAddresses() {
    for (LabNode node : lab.nodes()) {
      for (LabNode peer : lab.nodes()) {
        if (peer != node) {
          KernelRoute route = node.weftRouteTo(peer.subnet().orElseThrow()).orElseThrow();
          assertTrue(route.isTunnel(), node + " -> " + peer + ": " + route);
        }
      }
      assertTrue(node.meshctl("status", "peers").stdout().contains("vxlan (installed)"));
    }
    await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertEquals(List.of(), Traffic.failures(lab, lab.pods(), lab.pods())));
  }
}
