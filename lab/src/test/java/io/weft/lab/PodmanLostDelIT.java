package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.weft.core.testing.RequiresRoot;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A lost DEL: a podman container removed while its node's agent is down. Its DEL fails (the agent is
 * unreachable), podman removes it anyway and never retries, and podman 4.3 sends no GC; the namespace
 * and the host veth go with the container. The agent, back, must release the address by itself (IPAM
 * reconciled against the kernel on start and periodically, issue #17). Agent logs:
 * lab/target/lab-logs/PodmanLostDelIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodmanLostDelIT {
  /** Reconciliation runs at the agent's start and then periodically; two default resyncs (30 s) and slack. */
  private static final Duration RELEASED = Duration.ofSeconds(75);
  private Lab lab;

  @BeforeAll
  void startLab() {
    lab = Lab.create(LabConfig.defaults("PodmanLostDelIT").withNodes(1).withPodsPerNode(0), Progress.toLog());
    try {
      lab.node(1).startPodman();
      lab.startAgents(Progress.toLog());
    } catch (RuntimeException | Error e) {
      lab.close();
      throw e;
    }
  }

  @AfterAll
  void stopLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void aContainerRemovedWhileTheAgentIsDownDoesNotKeepItsAddress() {
    LabNode node = lab.node(1);
    Podman podman = node.podman();
    String id = podman.run(List.of(), "sleep", "3600").check().stdout().strip();
    String address = NodeState.addressOf(node, id);
    assertNotNull(address, "allocated at start");

    assertEquals(0, node.stopAgent(Duration.ofSeconds(30)), "agent stopped cleanly");
    podman.podman("rm", "-f", "-t", "0", id);
    assertFalse(podman.podman("ps", "-a", "-q", "--no-trunc").check().stdout().contains(id),
        "podman removed the container although its DEL failed");
    assertEquals(List.of(), NodeState.podVeths(node), "the host veth went with the container's namespace");

    node.restartAgent();
    lab.awaitReady(node, Lab.READY_TIMEOUT);
    await().atMost(RELEASED).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertEquals(null, NodeState.addressOf(node, id),
            address + " still allocated to the removed container " + id));
  }
}
