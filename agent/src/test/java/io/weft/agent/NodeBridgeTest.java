package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.dataplane.memory.InMemoryDataplane;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The node bridge's one rule, applied by its one owner, and how a CNI verb waits for that owner. */
class NodeBridgeTest {
  static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");
  static final Cidr SUBNET = Cidr.parse("10.244.1.0/24");

  @Test
  void theOwnerSetsThePodMtuAndRemovesAddressesOfAnOlderSubnetOnly() {
    InMemoryDataplane k = new InMemoryDataplane();
    k.links().ensureBridge("v-net-0", 9000);
    k.addresses().add("v-net-0", IpAddresses.parse("10.244.7.1"), 24);
    k.addresses().add("v-net-0", IpAddresses.parse("192.168.50.1"), 24);
    NodeBridge bridge = new NodeBridge("v-net-0", CLUSTER, () -> { });
    bridge.ensure(k, SUBNET, 1450);
    assertEquals(1450, k.links().byName("v-net-0").orElseThrow().mtu(), "the node's pod MTU wins over what was there");
    assertEquals(List.of("10.244.1.1/24", "192.168.50.1/24"), NodePreparationTest.addresses(k).stream().sorted().toList(),
        "an address outside the cluster CIDR is not Weft's and stays");
  }

  @Test
  void aVerbSeesWhetherTheBridgeIsMadeForTheSubnetWithoutWaiting() {
    InMemoryDataplane k = new InMemoryDataplane();
    NodeBridge bridge = new NodeBridge("v-net-0", CLUSTER, () -> { });
    assertFalse(bridge.ensuredFor(SUBNET));
    bridge.ensure(k, SUBNET, 1450);
    assertTrue(bridge.ensuredFor(SUBNET));
    assertFalse(bridge.ensuredFor(Cidr.parse("10.244.2.0/24")), "a subnet that moved is not made yet");
  }

  @Test
  void aVerbThatWaitsAsksTheOwnerAndReturnsOnceItHasEnsured() throws Exception {
    InMemoryDataplane k = new InMemoryDataplane();
    ExecutorService loop = Executors.newSingleThreadExecutor();
    AtomicInteger asked = new AtomicInteger();
    NodeBridge[] bridge = new NodeBridge[1];
    bridge[0] = new NodeBridge("v-net-0", CLUSTER, () -> {
      asked.incrementAndGet();
      loop.execute(() -> bridge[0].ensure(k, SUBNET, 1450));
    });
    try {
      assertTrue(bridge[0].awaitEnsure(SUBNET, Duration.ofSeconds(5)));
      assertEquals(1, asked.get());
      assertTrue(k.links().byName("v-net-0").isPresent());
    } finally {
      loop.shutdownNow();
    }
  }

  @Test
  void aVerbStopsWaitingForAnOwnerThatDoesNotEnsure() {
    NodeBridge bridge = new NodeBridge("v-net-0", CLUSTER, () -> { });
    long t0 = System.nanoTime();
    assertFalse(bridge.awaitEnsure(SUBNET, Duration.ofMillis(200)));
    assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(200).toNanos());
  }
}
