package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.core.testing.RequiresRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * A real rogue agent that holds the mesh's secret (issue #15's lab scenario): the same {@code weft-agent}
 * as the honest nodes, with the right {@code --secret-file}, on a fourth node of the LAN. It first takes an
 * honest node's name with a node key of its own, then (a second rogue) claims an honest node's /24 with
 * {@code --pod-subnet}. Each time every honest node refuses it and says so in {@code meshctl status}, and
 * the kernels (the oracle: {@code ip route} in the node namespaces) keep routing every honest subnet to its
 * owner while pods keep talking. Agent logs: lab/target/lab-logs/RogueAgentIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RogueAgentIT {
  private static final Logger log = LoggerFactory.getLogger(RogueAgentIT.class);
  private static final Pattern NODE_KEY = Pattern.compile("node identity key (SHA256:[A-Za-z0-9+/]+)");
  private Lab lab;
  private List<LabNode> honest;
  private List<Pod> honestPods;

  @BeforeAll
  void startLab() {
    lab = Lab.start(LabConfig.defaults("RogueAgentIT"));
    honest = lab.nodes();
    honestPods = lab.pods();
  }

  @AfterAll
  void stopLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void threeHonestNodesRouteEveryPod() {
    assertEquals(3, honest.size());
    await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertEquals(List.of(), Traffic.failures(lab, honestPods, honestPods)));
  }

  @Test
  @Order(2)
  void aRogueThatTakesAnHonestNodesNameWithItsOwnKeyIsRefusedByEveryHonestNode() {
    LabNode victim = lab.node(2);
    Map<String, JsonNode> victimSeenBefore = recordsOf(victim);
    Map<String, List<KernelRoute>> routesBefore = weftRoutesOfHonest();
    long refusedBefore = metric(lab.node(1), "weft_mesh_refused_connections_total");
    String victimKey = nodeKey(victim);

    LabNode rogue = lab.newNode();
    long start = System.nanoTime();
    // Every honest node as a seed: it tries each of them.
    rogue.startAgent(honest.stream().map(LabNode::ip).toList(), lab.secretFile(),
        List.of("--node-name", victim.name()));
    try {
      lab.awaitReady(rogue, Lab.READY_TIMEOUT);
      String rogueKey = nodeKey(rogue);
      assertNotEquals(victimKey, rogueKey, "the rogue has a node key of its own");
      // The nodes it reached (its seed, and whoever else it tried) name the node and both keys.
      String conflict = "node key conflict: " + victim.name();
      await().atMost(Bounds.JOIN).pollInterval(Duration.ofMillis(500)).until(() -> problems(lab.node(1)).stream()
          .anyMatch(p -> p.startsWith(conflict) && p.contains("presented key " + rogueKey)
              && p.contains("bound here to " + victimKey)));
      log.info("rogue: {} claiming {}'s name with key {} reported on {} after {} ms", rogue, victim.name(), rogueKey,
          lab.node(1), (System.nanoTime() - start) / 1_000_000);
      Command.Result human = lab.node(1).meshctl("status");
      assertEquals(1, human.exit(), "a key conflict degrades the node:\n" + human.stdout() + human.stderr());
      assertTrue(human.stdout().contains(conflict) && human.stdout().contains(rogueKey)
          && human.stdout().contains(victimKey), human.stdout());
      assertTrue(metric(lab.node(1), "weft_mesh_refused_connections_total") > refusedBefore,
          "the handshake's refusals are counted");

      // For as long as it keeps trying, nothing about the victim changes anywhere.
      await().during(Bounds.QUIET).atMost(Bounds.QUIET.plusSeconds(10)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> {
            assertEquals(victimSeenBefore, recordsOf(victim), "the victim's record as its peers hold it");
            assertEquals(routesBefore, weftRoutesOfHonest(), "every honest node's weft routes");
          });
      for (LabNode member : honest) {
        assertTrue(rogue.weftRouteTo(member.subnet().orElseThrow()).isEmpty(), rogue + " was told nothing");
        assertTrue(member.weftRoutes().stream().noneMatch(r -> rogue.ip().equals(r.gateway())),
            member + " routes nothing to the rogue");
      }
      for (LabNode member : honest) {
        JsonNode status = member.status().orElseThrow();
        assertEquals(3, status.path("mesh").path("size").asInt(), member + ": nobody else in the view");
        if (member != victim) {
          assertEquals("up", member.peerState(victim.name()).orElse("?").toLowerCase(java.util.Locale.ROOT),
              member + " still sees the real " + victim.name() + " up");
        }
      }
      List<String> reported = honest.stream().filter(n -> problems(n).stream().anyMatch(p -> p.startsWith(conflict)))
          .map(LabNode::name).toList();
      log.info("rogue: the key conflict is reported on {} (the honest nodes the rogue connected to)", reported);
      assertEquals(victimSeenBefore.values().iterator().next().path("podSubnet").asText(),
          victim.podSubnet().orElseThrow(), "the victim keeps its subnet");
      assertEquals(List.of(), Traffic.failures(lab, honestPods, honestPods), "pods keep talking");
    } finally {
      rogue.killAgent();
    }
  }

  @Test
  @Order(3)
  void aRogueConfiguredWithAnHonestNodesSubnetIsRefusedAndNobodyRoutesItThere() {
    LabNode victim = lab.node(3);
    String stolen = victim.subnet().orElseThrow();
    LabNode rogue = lab.newNode();
    long start = System.nanoTime();
    rogue.startAgent(List.of(lab.node(1).ip()), lab.secretFile(), List.of("--pod-subnet", stolen));
    try {
      lab.awaitReady(rogue, Lab.READY_TIMEOUT);
      // Every honest node reports the held subnet: the mesh routes it to the victim, which keeps it.
      String held = "subnet conflict: ";
      String keeps = "the mesh already routes it to " + victim.name() + ", which keeps it; " + rogue.name()
          + " is refused";
      for (LabNode member : honest) {
        await().atMost(Bounds.JOIN).pollInterval(Duration.ofMillis(500)).until(() -> problems(member).stream()
            .anyMatch(p -> p.startsWith(held) && p.contains(stolen) && p.contains(keeps)));
      }
      log.info("rogue: {} configured with {}'s {} refused on all three honest nodes after {} ms", rogue,
          victim.name(), stolen, (System.nanoTime() - start) / 1_000_000);
      assertTrue(problems(rogue).stream().anyMatch(p -> p.startsWith("this node is refused its pod subnet " + stolen)),
          "the rogue is told: " + problems(rogue));
      Command.Result human = lab.node(1).meshctl("status");
      assertEquals(1, human.exit(), human.stdout());
      assertTrue(human.stdout().contains(keeps), human.stdout());

      // The kernels: the stolen /24 goes to the victim, never to the rogue, on every honest node.
      await().during(Bounds.QUIET).atMost(Bounds.QUIET.plusSeconds(10)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> {
            for (LabNode member : honest) {
              assertTrue(member.weftRoutes().stream().noneMatch(r -> rogue.ip().equals(r.gateway())),
                  member + " routes nothing to the rogue: " + member.weftRoutes());
              if (member != victim) {
                Optional<KernelRoute> route = member.weftRouteTo(stolen);
                assertTrue(route.isPresent() && victim.ip().equals(route.get().gateway()),
                    member + " routes " + stolen + " to " + victim + ": " + route);
              }
              assertEquals(List.of(), routeProblemsAmongHonest(), "honest routes");
            }
          });
      for (LabNode member : honest) {
        if (member == victim) {
          continue;
        }
        // A refused claimant is no routed peer: not listed, or listed without a route.
        peerRow(member, rogue.name()).ifPresent(row -> assertEquals("none", row.path("route").asText(),
            member + "'s row for the rogue: " + row));
      }
      assertEquals(stolen, victim.podSubnet().orElseThrow(), "the victim keeps its subnet");
      assertEquals(List.of(), Traffic.failures(lab, honestPods, honestPods), "pods between honest nodes keep talking");
    } finally {
      rogue.killAgent();
    }
  }

  /** What each honest node other than {@code node} holds about {@code node}: its peers row. */
  private Map<String, JsonNode> recordsOf(LabNode node) {
    Map<String, JsonNode> seen = new HashMap<>();
    for (LabNode other : honest) {
      if (other != node) {
        JsonNode row = peerRow(other, node.name()).orElseThrow(() -> new AssertionError(other + " lost " + node));
        // The fields of the record itself, not the observer's last-seen clock.
        seen.put(other.name(), ((ObjectNode) row.deepCopy())
            .without(List.of("lastSeenMillis", "downSinceMillis", "routeKeptUntilMillis")));
      }
    }
    return seen;
  }

  private static Optional<JsonNode> peerRow(LabNode observer, String name) {
    JsonNode status = observer.status().orElseThrow(() -> new AssertionError(observer + " does not answer"));
    for (JsonNode peer : status.path("peers")) {
      if (name.equals(peer.path("name").asText())) {
        return Optional.of(peer);
      }
    }
    return Optional.empty();
  }

  private Map<String, List<KernelRoute>> weftRoutesOfHonest() {
    Map<String, List<KernelRoute>> routes = new HashMap<>();
    honest.forEach(n -> routes.put(n.name(), n.weftRoutes()));
    return routes;
  }

  /** Every honest subnet routed on every other honest node via its owner's IP (Lab.problems, honest only). */
  private List<String> routeProblemsAmongHonest() {
    List<String> out = new ArrayList<>();
    for (LabNode target : honest) {
      String subnet = target.subnet().orElseThrow();
      for (LabNode observer : honest) {
        if (observer != target) {
          Optional<KernelRoute> r = observer.weftRouteTo(subnet);
          if (r.isEmpty() || !target.ip().equals(r.get().gateway())) {
            out.add(observer.name() + ": " + subnet + " -> " + r);
          }
        }
      }
    }
    return out;
  }

  private static List<String> problems(LabNode node) {
    List<String> out = new ArrayList<>();
    node.status().ifPresent(s -> s.path("problems").forEach(p -> out.add(p.asText())));
    return out;
  }

  /** The node key fingerprint the agent logged at its (last) start. */
  private static String nodeKey(LabNode node) {
    try {
      Matcher m = NODE_KEY.matcher(Files.readString(node.logFile()));
      String last = null;
      while (m.find()) {
        last = m.group(1);
      }
      if (last == null) {
        throw new AssertionError(node + " logged no node identity key");
      }
      return last;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A counter from the agent's {@code /metrics} on 127.0.0.1:6782 inside the node (bash's /dev/tcp: no HTTP
   * client needed on the machine); the sum over its labels.
   */
  private static long metric(LabNode node, String name) {
    String get = "exec 3<>/dev/tcp/127.0.0.1/6782 && printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3";
    String body = Command.of(node.exec(List.of("bash", "-c", get))).run().check().stdout();
    long sum = 0;
    boolean found = false;
    for (String line : body.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).strip());
        found = true;
      }
    }
    if (!found) {
      throw new AssertionError(node + " has no metric " + name + ":\n" + body);
    }
    return sum;
  }
}
