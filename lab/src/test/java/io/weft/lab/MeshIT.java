package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.testing.RequiresRoot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * The seed's picture for real, on one shared lab (3 nodes 192.168.1.11-13, 2 pods each, real
 * agents and CNI plugin), in steps that build on each other: traffic without NAT, meshctl against
 * the kernel, drift repair, an invisible agent restart, a join, a rogue node, a partition.
 * Agent logs: lab/target/lab-logs/MeshIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshIT {
  private static final Logger log = LoggerFactory.getLogger(MeshIT.class);
  private final ObjectMapper mapper = new ObjectMapper();
  private Lab lab;

  @BeforeAll
  void startLab() {
    // A grace longer than an agent restart (JVM start + mesh join), so a restart costs pods nothing;
    // FailureIT covers what happens after a short grace.
    lab = Lab.start(LabConfig.defaults("MeshIT").withPeerGrace(Duration.ofSeconds(60)));
  }

  @AfterAll
  void stopLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void everyPodReachesEveryOtherPodAndTheReceiverSeesTheSendersPodIp() {
    assertEquals(6, lab.pods().size());
    for (Pod pod : lab.pods()) {
      assertTrue(inSubnet(pod.ip(), pod.node().subnet().orElseThrow()), pod + " has an address of its node's subnet");
    }
    await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertEquals(List.of(), Traffic.failures(lab, lab.pods(), lab.pods())));
  }

  @Test
  @Order(2)
  void meshctlStatusPeersAndRoutesMatchTheKernelOnEveryNode() throws Exception {
    for (LabNode node : lab.nodes()) {
      // Exit 0 = healthy and converged; a reconcile may be in flight right after the pods came.
      Command.Result json = await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1))
          .until(() -> node.meshctl("status", "-o", "json"), r -> {
            if (r.exit() != 0) {
              log.info("{}: meshctl status exit {}: {}{}", node, r.exit(), r.stdout(), r.stderr());
            }
            return r.exit() == 0;
          });
      JsonNode status = mapper.readTree(json.stdout());
      assertEquals(node.name(), status.path("node").path("name").asText());
      assertEquals(node.ip(), status.path("node").path("nodeIp").asText());
      assertEquals(node.subnet().orElseThrow(), status.path("node").path("podSubnet").asText());
      assertTrue(status.path("converged").asBoolean(), node + " says converged");

      Map<String, String> expectedRoutes = new TreeMap<>();
      Set<String> peerNames = new TreeSet<>();
      for (JsonNode peer : status.path("peers")) {
        LabNode other = lab.nodes().stream().filter(n -> n.name().equals(peer.path("name").asText())).findFirst()
            .orElseThrow(() -> new AssertionError(node + " lists an unknown peer " + peer));
        peerNames.add(other.name());
        assertEquals(other.ip(), peer.path("nodeIp").asText());
        assertEquals(other.subnet().orElseThrow(), peer.path("podSubnet").asText());
        assertEquals("up", peer.path("state").asText().toLowerCase(java.util.Locale.ROOT), node + " sees " + other);
        assertEquals("installed", peer.path("route").asText(), node + " route to " + other);
        expectedRoutes.put(other.subnet().orElseThrow(), other.ip());
      }
      assertEquals(othersOf(node), peerNames, node + " lists every other node");

      Map<String, String> kernel = new TreeMap<>();
      for (KernelRoute route : node.weftRoutes()) {
        if (route.type().equals("unicast")) {
          kernel.put(route.destination(), route.gateway());
        }
      }
      assertEquals(expectedRoutes, kernel, node + ": weft routes in the kernel (ip -j route) = meshctl's peers");
      assertTrue(node.weftRoutes().stream().anyMatch(r -> r.type().equals("unreachable")
          && r.destination().equals("10.244.0.0/16")), node + " refuses traffic to unowned pod subnets");

      // The human summary agrees too: converged, this node's subnet, as many routes installed as the kernel holds.
      Command.Result summary = node.meshctl("status");
      assertEquals(0, summary.exit(), node + " meshctl status:\n" + summary.stdout() + summary.stderr());
      assertTrue(summary.stdout().contains(node.subnet().orElseThrow()), summary.stdout());
      assertTrue(Pattern.compile("Converged:\\s+yes").matcher(summary.stdout()).find(), summary.stdout());
      Matcher installed = Pattern.compile("Routes:\\s+(\\d+) installed, 0 missing").matcher(summary.stdout());
      assertTrue(installed.find(), summary.stdout());
      assertEquals(node.weftRoutes().size(), Integer.parseInt(installed.group(1)),
          node + ": routes installed per meshctl status = proto 87 routes in the kernel:\n" + summary.stdout());

      Command.Result peers = node.meshctl("status", "peers");
      assertEquals(0, peers.exit(), peers.stderr());
      for (LabNode other : lab.nodes()) {
        if (other != node) {
          assertTrue(peers.stdout().contains(other.name()) && peers.stdout().contains(other.ip())
              && peers.stdout().contains(other.subnet().orElseThrow()), node + " status peers shows " + other
              + ":\n" + peers.stdout());
        }
      }

      Command.Result peersJson = node.meshctl("status", "peers", "-o", "json");
      assertEquals(0, peersJson.exit(), peersJson.stderr());
      Map<String, String> listed = new TreeMap<>();
      mapper.readTree(peersJson.stdout()).findParents("podSubnet")
          .forEach(p -> listed.put(p.path("podSubnet").asText(), p.path("nodeIp").asText()));
      assertEquals(expectedRoutes, listed, node + " status peers -o json: " + peersJson.stdout());

      Command.Result routes = node.meshctl("status", "routes", "-o", "json");
      assertEquals(0, routes.exit(), routes.stderr());
      Map<String, String> routeStates = new HashMap<>();
      mapper.readTree(routes.stdout()).findParents("destination")
          .forEach(r -> routeStates.put(r.path("destination").asText(), r.path("state").asText()));
      for (String subnet : expectedRoutes.keySet()) {
        assertEquals("installed", routeStates.get(subnet), node + " status routes for " + subnet + ": " + routes.stdout());
      }
      assertTrue(routeStates.values().stream().noneMatch(s -> s.equals("missing") || s.equals("stale")),
          node + " has no missing or stale route: " + routes.stdout());
      Command.Result text = node.meshctl("status", "routes");
      assertEquals(0, text.exit(), text.stderr());
      expectedRoutes.keySet().forEach(s -> assertTrue(text.stdout().contains(s), text.stdout()));

      // Unique hostnames (own UTS namespace per node) and MACs: the lab is a fair stand-in for machines.
      Command.Result doctor = node.meshctl("doctor");
      assertEquals(0, doctor.exit(), node + " meshctl doctor:\n" + doctor.stdout() + doctor.stderr());
      assertEquals(node.name(), status.path("node").path("hostname").asText(node.name()));
    }
  }

  @Test
  @Order(3)
  void aDeletedOrRedirectedRouteIsRepaired() {
    LabNode observer = lab.node(1);
    LabNode target = lab.node(2);
    String subnet = target.subnet().orElseThrow();

    Ip.in(observer.name(), "route", "del", subnet);
    long deleted = System.nanoTime();
    awaitRouteVia(observer, subnet, target.ip());
    log.info("drift: deleted route {} on {} repaired in {} ms", subnet, observer, (System.nanoTime() - deleted) / 1_000_000);

    Ip.in(observer.name(), "route", "replace", subnet, "via", lab.node(3).ip(), "proto", KernelRoute.WEFT_PROTOCOL_NUMBER);
    long redirected = System.nanoTime();
    awaitRouteVia(observer, subnet, target.ip());
    log.info("drift: route {} on {} redirected via {} repaired in {} ms", subnet, observer, lab.node(3).ip(),
        (System.nanoTime() - redirected) / 1_000_000);
  }

  @Test
  @Order(4)
  void anAgentRestartLosesNoPacket() {
    Pod from = lab.node(1).pods().get(0);
    Pod to = lab.node(2).pods().get(0);
    LabNode restarted = lab.node(2);
    String subnet = restarted.subnet().orElseThrow();
    try (PingStream ping = PingStream.start(from, to.ip(), 20)) {
      restarted.killAgent();
      restarted.restartAgent();
      lab.awaitReady(restarted, Lab.READY_TIMEOUT);
      await().atMost(Bounds.JOIN).until(() -> restarted.status().map(s -> s.path("converged").asBoolean()).orElse(false));
      lab.awaitConverged(Bounds.JOIN);
      // Until the restarted agent has ended its adoption of the routes it found: that is when it prunes.
      await().atMost(Bounds.JOIN).until(() -> restarted.status()
          .map(s -> !s.path("adoption").path("active").asBoolean(true)).orElse(false));
      PingStream.Summary summary = ping.stop();
      log.info("agent restart on {}: {}", restarted, summary);
      assertTrue(summary.answered() > 10, summary.toString());
      assertEquals(List.of(), summary.lost(), summary.toString());
    }
    assertEquals(subnet, restarted.podSubnet().orElseThrow(), "the restarted agent keeps its subnet");
  }

  @Test
  @Order(5)
  void aFourthNodeJoinsThroughTheSeedAndAllPodsReachItsPods() {
    long start = System.nanoTime();
    LabNode joiner = lab.addNode(List.of());
    lab.awaitReady(joiner, Lab.READY_TIMEOUT);
    Duration converged = lab.awaitConverged(Bounds.JOIN);
    List<Pod> newPods = lab.inParallel(List.of(1, 2), i -> joiner.addPod(lab.config().topology().podName(joiner.index(), i)));
    List<Pod> oldPods = lab.pods().stream().filter(p -> !newPods.contains(p)).toList();
    await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      List<String> failures = new ArrayList<>(Traffic.failures(lab, oldPods, newPods));
      failures.addAll(Traffic.failures(lab, newPods, oldPods));
      assertEquals(List.of(), failures);
    });
    log.info("join: routes to and from {} converged {} ms after its agent answered; all pods reach its pods {} ms after its start",
        joiner, converged.toMillis(), (System.nanoTime() - start) / 1_000_000);
  }

  @Test
  @Order(6)
  void anAgentWithTheWrongSecretCannotJoin() {
    List<LabNode> members = lab.nodes();
    Map<String, List<KernelRoute>> before = new HashMap<>();
    members.forEach(n -> before.put(n.name(), n.weftRoutes()));
    java.nio.file.Path wrong = lab.config().runRoot().resolve("wrong-secret");
    Lab.writeRandomSecret(wrong);
    LabNode rogue = lab.addNode(wrong, List.of());
    try {
      // A real agent that got as far as asking the seed (its API answers), not one that died on its flags.
      lab.awaitReady(rogue, Lab.READY_TIMEOUT);
      await().during(Bounds.QUIET).atMost(Bounds.QUIET.plusSeconds(5)).pollInterval(Duration.ofMillis(500)).until(() ->
          members.stream().allMatch(n -> n.weftRoutes().equals(before.get(n.name())) && n.peerState(rogue.name()).isEmpty()));
      // Nor the other way round: the rogue sees no member up and routes none of their subnets.
      JsonNode rogueStatus = rogue.status().orElseThrow(() -> new AssertionError(rogue + " stopped answering"));
      for (JsonNode peer : rogueStatus.path("peers")) {
        assertNotEquals("up", peer.path("state").asText().toLowerCase(java.util.Locale.ROOT), rogue + " sees a member up: " + peer);
      }
      for (LabNode member : members) {
        assertTrue(rogue.weftRouteTo(member.subnet().orElseThrow()).isEmpty(), rogue + " has no route to " + member);
      }
    } finally {
      rogue.killAgent();
    }
  }

  @Test
  @Order(7)
  void aNodeCutOffFor20SecondsMergesBackAndEveryMeshctlAgrees() throws Exception {
    List<LabNode> members = lab.nodes().stream().filter(LabNode::isAgentRunning).toList();
    LabNode cut = lab.node(3);
    LabNode observer = lab.node(1);
    long start = System.nanoTime();
    cut.disconnect();
    try {
      await().atMost(Bounds.FAILURE_DETECTION).until(() -> observer.peerState(cut.name()).orElse("").equals("down"));
      log.info("partition: {} shown down on {} after {} ms", cut, observer, (System.nanoTime() - start) / 1_000_000);
      Lab.pause(Duration.ofSeconds(20).minusNanos(System.nanoTime() - start));
    } finally {
      cut.reconnect();
    }
    long healed = System.nanoTime();
    await().atMost(Bounds.MERGE).pollInterval(Duration.ofMillis(500)).until(() -> members.stream().allMatch(n ->
        n.status().map(s -> s.path("converged").asBoolean() && allUp(s, members.size() - 1)).orElse(false)));
    lab.awaitConverged(Bounds.MERGE);
    log.info("partition: mesh merged with every route right {} ms after reconnecting {}", (System.nanoTime() - healed) / 1_000_000, cut);

    Map<String, Map<String, String>> views = new TreeMap<>();
    for (LabNode node : members) {
      Command.Result json = node.meshctl("status", "-o", "json");
      assertEquals(0, json.exit(), node + ": " + json.stderr());
      JsonNode status = mapper.readTree(json.stdout());
      Map<String, String> view = new TreeMap<>();
      view.put(status.path("node").path("name").asText(), status.path("node").path("nodeIp").asText() + " "
          + status.path("node").path("podSubnet").asText() + " up");
      for (JsonNode peer : status.path("peers")) {
        view.put(peer.path("name").asText(), peer.path("nodeIp").asText() + " " + peer.path("podSubnet").asText()
            + " " + peer.path("state").asText());
      }
      views.put(node.name(), view);
    }
    assertEquals(1, new java.util.HashSet<>(views.values()).size(), "every meshctl shows the same mesh: " + views);
  }

  private static boolean allUp(JsonNode status, int expectedPeers) {
    int up = 0;
    for (JsonNode peer : status.path("peers")) {
      if (peer.path("state").asText().equalsIgnoreCase("up")) {
        up++;
      }
    }
    return up == expectedPeers;
  }

  private void awaitRouteVia(LabNode node, String subnet, String gateway) {
    await().atMost(Bounds.DRIFT_REPAIR).pollInterval(Duration.ofMillis(20)).until(() ->
        node.weftRouteTo(subnet).map(r -> gateway.equals(r.gateway())).orElse(false));
  }

  private Set<String> othersOf(LabNode node) {
    Set<String> names = new TreeSet<>();
    lab.nodes().stream().filter(n -> n != node && n.isAgentRunning()).forEach(n -> names.add(n.name()));
    return names;
  }

  static boolean inSubnet(String ip, String slash24) {
    String network = slash24.substring(0, slash24.indexOf('/'));
    return ip.substring(0, ip.lastIndexOf('.')).equals(network.substring(0, network.lastIndexOf('.')));
  }
}
