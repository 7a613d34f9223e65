package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.testing.RequiresRoot;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node whose lease file is corrupt and whose pod bridge is gone (nothing on the node records its subnet)
 * gets its subnet back from the mesh's record of it, instead of exiting 1 at every start. Agent logs:
 * lab/target/lab-logs/LeaseRecoveryIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeaseRecoveryIT {
  private static final Logger log = LoggerFactory.getLogger(LeaseRecoveryIT.class);
  private Lab lab;

  @BeforeAll
  void startLab() {
    lab = Lab.start(LabConfig.defaults("LeaseRecoveryIT").withNodes(2).withPodsPerNode(1));
  }

  @AfterAll
  void stopLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void aCorruptLeaseIsRecoveredFromTheMeshsRecordOfTheNode() throws Exception {
    LabNode node = lab.node(2);
    String subnet = node.subnet().orElseThrow();
    for (Pod pod : node.pods()) {
      node.removePod(pod);
    }
    assertEquals(0, node.stopAgent(Duration.ofSeconds(20)));
    Files.writeString(node.stateDir().resolve("mesh-lease.json"), "{\"node\":\"" + node.name() + "\",\"subn");
    // The bridge's gateway address would tell the subnet too: without it only the mesh can.
    Ip.in(node.name(), "link", "del", "v-net-0");

    long start = System.nanoTime();
    node.restartAgent();
    lab.awaitReady(node, Lab.READY_TIMEOUT);
    lab.awaitConverged(Bounds.JOIN);
    log.info("state-fault: corrupt lease, no bridge: {} rejoined with its subnet from the mesh's record in {} ms",
        node, (System.nanoTime() - start) / 1_000_000);
    assertEquals(subnet, node.podSubnet().orElseThrow(), "the mesh's record of the node gives its subnet back");
    assertTrue(Files.exists(node.stateDir().resolve("mesh-lease.json.bad")), "the damaged file is kept aside");
    String agentLog = Files.readString(node.logFile());
    assertTrue(agentLog.contains("recovered from the mesh's record of " + node.name()), agentLog);
    Pod fresh = node.addPod(lab.config().topology().podName(2, 5));
    assertTrue(fresh.ping(lab.node(1).pods().get(0).ip()), "the node carries pod traffic again");
  }
}
