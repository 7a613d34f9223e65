package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.testing.RequiresRoot;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nodes going away on one shared 3-node lab (--peer-grace 5s, --lease-time 60s): a clean leave
 * (SIGTERM) and a crash (SIGKILL) are shown down, their routes kept through the grace and gone
 * after it; restarted nodes keep their subnet and their pods' addresses; {@code meshctl forget}
 * removes a node's routes at once. Agent logs: lab/target/lab-logs/FailureIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailureIT {
  private static final Logger log = LoggerFactory.getLogger(FailureIT.class);
  private Lab lab;
  private final Map<String, String> subnets = new TreeMap<>();
  private final Map<String, String> podIps = new TreeMap<>();

  @BeforeAll
  void startLab() {
    lab = Lab.start(LabConfig.defaults("FailureIT"));
    lab.nodes().forEach(n -> subnets.put(n.name(), n.subnet().orElseThrow()));
    lab.pods().forEach(p -> podIps.put(p.name(), p.ip()));
  }

  @AfterAll
  void stopLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void aLeavingAndACrashedNodeAreShownDownAndTheirRoutesOutliveThemByTheGraceOnly() {
    LabNode observer = lab.node(1);
    LabNode leaver = lab.node(2);
    LabNode crasher = lab.node(3);
    long start = System.nanoTime();
    assertEquals(0, leaver.stopAgent(Duration.ofSeconds(20)), "SIGTERM is a clean stop (exit 0)");
    crasher.killAgent();

    await().atMost(Bounds.FAILURE_DETECTION).pollInterval(Duration.ofMillis(100)).until(() ->
        observer.peerState(leaver.name()).orElse("").equals("down")
            && observer.peerState(crasher.name()).orElse("").equals("down"));
    log.info("leave+crash: both shown down on {} after {} ms", observer, (System.nanoTime() - start) / 1_000_000);
    // Within the grace: still routed, so a restarting agent costs its pods nothing.
    assertTrue(observer.weftRouteTo(subnets.get(leaver.name())).isPresent(), "route to the leaver kept through the grace");
    assertTrue(observer.weftRouteTo(subnets.get(crasher.name())).isPresent(), "route to the crashed node kept through the grace");
    assertTrue(leaver.weftRouteTo(subnets.get(observer.name())).isPresent(), "a SIGTERMed agent leaves its own routes in place");

    // The observer's own word on how long it keeps each route: from the moment it saw the peer down, the grace.
    Map<String, Long> keptUntil = new TreeMap<>();
    JsonNode status = observer.status().orElseThrow();
    for (LabNode gone : List.of(leaver, crasher)) {
      JsonNode peer = peerView(status, gone.name());
      assertEquals("installed", peer.path("route").asText(), observer + " keeps the route to " + gone + " in the grace: " + peer);
      assertEquals(peer.path("downSinceMillis").asLong() + lab.config().peerGrace().toMillis(),
          peer.path("routeKeptUntilMillis").asLong(), observer + " keeps the route to " + gone + " for --peer-grace: " + peer);
      keptUntil.put(gone.name(), peer.path("routeKeptUntilMillis").asLong());
    }

    long down = System.nanoTime();
    Map<String, Long> goneAt = new java.util.concurrent.ConcurrentHashMap<>();
    await().atMost(lab.config().peerGrace().plus(Bounds.FAILURE_DETECTION)).pollInterval(Duration.ofMillis(100)).until(() -> {
      for (LabNode gone : List.of(leaver, crasher)) {
        if (!goneAt.containsKey(gone.name()) && observer.weftRouteTo(subnets.get(gone.name())).isEmpty()) {
          goneAt.put(gone.name(), System.currentTimeMillis());
        }
      }
      return goneAt.size() == 2;
    });
    log.info("leave+crash: routes removed on {} {} ms after the peers were seen down (grace {})", observer,
        (System.nanoTime() - down) / 1_000_000, lab.config().peerGrace());
    // Kept through the grace: never seen gone before the end the observer announced (same host clock).
    keptUntil.forEach((name, until) -> assertTrue(goneAt.get(name) >= until,
        "route to " + name + " removed at " + goneAt.get(name) + ", before the end of its grace " + until));
    // The status follows the reconcile report, published just after the kernel changed.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      JsonNode after = observer.status().orElseThrow();
      for (LabNode gone : List.of(leaver, crasher)) {
        assertEquals("removed", peerView(after, gone.name()).path("route").asText(), observer + " after the grace of " + gone);
      }
    });
  }

  private static JsonNode peerView(JsonNode status, String name) {
    for (JsonNode peer : status.path("peers")) {
      if (name.equals(peer.path("name").asText())) {
        return peer;
      }
    }
    throw new AssertionError("no peer " + name + " in " + status);
  }

  @Test
  @Order(2)
  void restartedNodesKeepTheirSubnetAndTheirPodsAddresses() {
    List<LabNode> restarted = List.of(lab.node(2), lab.node(3));
    restarted.forEach(LabNode::restartAgent);
    lab.inParallel(restarted, n -> {
      lab.awaitReady(n, Lab.READY_TIMEOUT);
      return n;
    });
    lab.awaitConverged(Bounds.JOIN);
    for (LabNode node : restarted) {
      assertEquals(subnets.get(node.name()), node.podSubnet().orElseThrow(), node + " keeps its subnet");
      String ipam = AgentApi.get(node.socket(), "/v1/ipam").orElseThrow();
      for (Pod pod : node.pods()) {
        assertEquals(podIps.get(pod.name()), pod.ip());
        assertTrue(ipam.contains("\"" + pod.ip() + "\"") || ipam.contains(pod.ip() + "/"),
            node + " still holds the allocation of " + pod + ": " + ipam);
      }
    }
    Pod fresh = lab.node(2).addPod(lab.config().topology().podName(2, 3));
    lab.node(2).pods().stream().filter(p -> p != fresh)
        .forEach(p -> assertNotEquals(p.ip(), fresh.ip(), "a new pod does not get a kept address"));
    await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertEquals(List.of(), Traffic.pingFailures(lab, lab.pods(), lab.pods())));

    // CNI DEL, as a runtime removing the pod: its address is given back.
    lab.node(2).removePod(fresh);
    String ipam = AgentApi.get(lab.node(2).socket(), "/v1/ipam").orElseThrow();
    assertTrue(!ipam.contains("\"" + fresh.ip() + "\"") && !ipam.contains(fresh.ip() + "/"),
        "CNI DEL released " + fresh.ip() + ": " + ipam);
  }

  @Test
  @Order(3)
  void forgetRemovesADownNodesRoutesAtOnce() {
    LabNode keeper = lab.node(2);
    LabNode gone = lab.node(3);
    String goneSubnet = subnets.get(gone.name());
    // A long grace on the deciding node, so only `forget` can explain the routes going away.
    keeper.stopAgent(Duration.ofSeconds(20));
    keeper.startAgent(List.of(lab.node(1).ip()), lab.secretFile(), List.of("--peer-grace", "300s"));
    lab.awaitReady(keeper, Lab.READY_TIMEOUT);
    lab.awaitConverged(Bounds.JOIN);

    gone.killAgent();
    await().atMost(Bounds.FAILURE_DETECTION).until(() -> keeper.peerState(gone.name()).orElse("").equals("down"));
    assertTrue(keeper.weftRouteTo(goneSubnet).isPresent(), "within a 300s grace the route stays");

    Command.Result forget = keeper.meshctl("forget", gone.name());
    assertEquals(0, forget.exit(), "meshctl forget: " + forget.stdout() + forget.stderr());
    long forgotten = System.nanoTime();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
        keeper.weftRouteTo(goneSubnet).isEmpty() && lab.node(1).weftRouteTo(goneSubnet).isEmpty());
    log.info("forget: routes to {} gone on every node {} ms after meshctl forget", goneSubnet,
        (System.nanoTime() - forgotten) / 1_000_000);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        keeper.peerState(gone.name()).isEmpty() && lab.node(1).peerState(gone.name()).isEmpty());
  }
}
