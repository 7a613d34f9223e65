package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.testing.RequiresRoot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault suite of issue #17: four nodes with one pod each, the mesh secret set, {@code --peer-grace 10s},
 * and a ping at 10/s between every ordered pair of pods (12 streams) through each fault. Each scenario
 * asserts the pings lost (none between healthy nodes), the Weft routes the kernel deleted (from
 * {@code ip monitor route} in every node) and that no subnet and no pod address changed. The figures are
 * logged as {@code FAULT ...} lines (docs/operations.md quotes them); agent logs are in
 * lab/target/lab-logs/FaultIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultIT {
  private static final Logger log = LoggerFactory.getLogger(FaultIT.class);
  private static final Duration GRACE = Duration.ofSeconds(10);
  private static final int PING_INTERVAL_MS = 100;
  private static final Duration FREEZE = Duration.ofSeconds(40);
  private static final Duration LOSSY = Duration.ofSeconds(30);
  /** The goal is 5 s; the assertion leaves room for a loaded runner, the log has the figure. */
  private static final Duration BACK_IN_VIEW = Duration.ofSeconds(20);

  private Lab lab;
  private RouteWatch watch;
  private final Map<String, String> subnets = new TreeMap<>();
  private final Map<String, String> podIps = new TreeMap<>();

  @BeforeAll
  void startLab() {
    // A lease far longer than any fault here: a node whose lease ran out while it was away is another story.
    lab = Lab.start(LabConfig.defaults("FaultIT").withNodes(4).withPodsPerNode(1).withPeerGrace(GRACE)
        .withAgentArgs(List.of("--lease-time", "10m")));
    lab.nodes().forEach(n -> subnets.put(n.name(), n.subnet().orElseThrow()));
    lab.pods().forEach(p -> podIps.put(p.name(), p.ip()));
    watch = RouteWatch.start(lab.nodes());
  }

  @AfterAll
  void stopLab() {
    if (watch != null) {
      watch.close();
    }
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void meshIsWhole() {
    lab.awaitConverged(Bounds.MERGE);
  }

  /** After every fault: each node has its subnet and each pod its address, still allocated to it. */
  @AfterEach
  void subnetsAndPodAddressesAreUnchanged() {
    lab.awaitConverged(Bounds.MERGE);
    for (LabNode node : lab.nodes()) {
      assertEquals(subnets.get(node.name()), node.podSubnet().orElseThrow(), node + " keeps its subnet");
      String ipam = AgentApi.get(node.socket(), "/v1/ipam").orElseThrow();
      for (Pod pod : node.pods()) {
        assertEquals(podIps.get(pod.name()), pod.ip());
        assertTrue(ipam.contains("\"" + pod.ip() + "\"") || ipam.contains(pod.ip() + "/"),
            node + " still holds the allocation of " + pod + ": " + ipam);
      }
    }
  }

  @Test
  @Order(1)
  void aRollingRestartLosesNoPing() {
    Instant since = Instant.now();
    long start = System.nanoTime();
    Map<List<Pod>, PingStream.Summary> pings;
    try (Pings streams = new Pings(lab.pods())) {
      for (LabNode node : lab.nodes()) {
        assertEquals(0, node.stopAgent(Duration.ofSeconds(20)), node + ": SIGTERM is a clean stop");
        node.restartAgent();
        lab.awaitReady(node, Lab.READY_TIMEOUT);
        awaitAdoptionEnded(node);
        lab.awaitConverged(Bounds.JOIN);
      }
      pings = streams.stop();
    }
    Loss loss = Loss.of(pings, Set.of());
    List<RouteWatch.Change> deleted = watch.weftDeletions(since);
    log.info("FAULT rolling SIGTERM restart of {} agents ({} ms): {}; Weft routes deleted: {}", lab.nodes().size(),
        ms(start), loss, deleted.size());
    assertEquals(0, loss.healthyLost(), loss.toString());
    assertEquals(List.of(), deleted);
  }

  @Test
  @Order(2)
  void everyAgentKilledAtOnceAndRestartedLosesNoPing() {
    Instant since = Instant.now();
    long start = System.nanoTime();
    Map<List<Pod>, PingStream.Summary> pings;
    List<String> ends = new ArrayList<>();
    try (Pings streams = new Pings(lab.pods())) {
      lab.inParallel(lab.nodes(), node -> {
        node.killAgent();
        return node;
      });
      lab.nodes().forEach(LabNode::restartAgent);
      lab.inParallel(lab.nodes(), node -> {
        lab.awaitReady(node, Lab.READY_TIMEOUT);
        return node;
      });
      lab.awaitConverged(Bounds.JOIN);
      for (LabNode node : lab.nodes()) {
        awaitAdoptionEnded(node);
        ends.add(node.name() + ": " + node.status().orElseThrow().path("adoption").path("endReason").asText());
      }
      pings = streams.stop();
    }
    Loss loss = Loss.of(pings, Set.of());
    List<RouteWatch.Change> deleted = watch.weftDeletions(since);
    log.info("FAULT SIGKILL of every agent at once, then all restarted ({} ms until every adoption ended: {}): {};"
        + " Weft routes deleted: {}", ms(start), ends, loss, deleted.size());
    assertEquals(0, loss.healthyLost(), loss.toString());
    assertEquals(List.of(), deleted, "every agent kept its routes until the peers it remembered were back");
  }

  @Test
  @Order(3)
  void aFrozenNodeCostsTheHealthyNodesNothingAndIsBackInTheViewSoonAfterItThaws() {
    LabNode coordinator = coordinator();
    freeze(lab.nodes().stream().filter(n -> n != coordinator).findFirst().orElseThrow(), "member");
  }

  @Test
  @Order(4)
  void aFrozenCoordinatorCostsTheHealthyNodesNothingEither() {
    freeze(coordinator(), "coordinator");
  }

  /** The node the others name as their view's coordinator. */
  private LabNode coordinator() {
    String name = lab.node(lab.nodes().size()).status().orElseThrow().path("mesh").path("coordinator").asText();
    return lab.nodes().stream().filter(n -> n.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no lab node is the coordinator " + name));
  }

  /**
   * SIGSTOPs {@code frozen}'s agent for 40 s: its node keeps forwarding, its agent answers nothing. The others
   * must show it down, keep every route among themselves and lose no ping between their pods; its own
   * routes go after the grace, and it is back in their view soon after SIGCONT.
   */
  private void freeze(LabNode frozen, String role) {
    List<LabNode> healthy = lab.nodes().stream().filter(n -> n != frozen).toList();
    Instant since = Instant.now();
    Map<List<Pod>, PingStream.Summary> pings;
    long detectedMs;
    long backMs;
    try (Pings streams = new Pings(lab.pods())) {
      Lab.pause(Duration.ofSeconds(1));
      long stoppedAt = System.nanoTime();
      frozen.signalAgent("STOP");
      try {
        // Only the healthy agents are asked: a stopped one accepts the API connection and never answers.
        await().atMost(Bounds.FAILURE_DETECTION).pollInterval(Duration.ofMillis(100)).until(() -> healthy.stream()
            .allMatch(n -> n.peerState(frozen.name()).orElse("").equals("down")));
        detectedMs = ms(stoppedAt);
        Lab.pause(FREEZE.minusMillis(ms(stoppedAt)));
      } finally {
        frozen.signalAgent("CONT");
      }
      long thawedAt = System.nanoTime();
      await().atMost(BACK_IN_VIEW).pollInterval(Duration.ofMillis(100)).until(() -> healthy.stream()
          .allMatch(n -> n.peerState(frozen.name()).orElse("").equals("up")));
      backMs = ms(thawedAt);
      lab.awaitConverged(Bounds.MERGE);
      pings = streams.stop();
    }
    Loss loss = Loss.of(pings, Set.of(frozen));
    List<RouteWatch.Change> deleted = watch.weftDeletions(since);
    List<RouteWatch.Change> betweenHealthy = deleted.stream()
        .filter(c -> !c.node().equals(frozen.name()) && !c.line().startsWith("Deleted " + subnets.get(frozen.name()) + " "))
        .toList();
    log.info("FAULT SIGSTOP of the {} {} for {} s (--peer-grace {} s): shown down after {} ms, back in every healthy"
        + " view {} ms after SIGCONT; {}; Weft routes deleted: {} ({} between healthy nodes)", role, frozen,
        FREEZE.toSeconds(), GRACE.toSeconds(), detectedMs, backMs, loss, deleted.size(), betweenHealthy.size());
    assertEquals(0, loss.healthyLost(), loss.toString());
    assertEquals(List.of(), betweenHealthy, "no route between healthy nodes withdrawn because a third froze");
  }

  @Test
  @Order(5)
  void aFifthOfOneUplinksPacketsDroppedCausesNoFlap() {
    LabNode lossy = lab.node(3);
    List<String> rule = List.of("OUTPUT", "-m", "statistic", "--mode", "random", "--probability", "0.2", "-j", "DROP");
    Instant since = Instant.now();
    Map<List<Pod>, PingStream.Summary> pings;
    Set<String> flaps = new TreeSet<>();
    try (Pings streams = new Pings(lab.pods())) {
      iptables(lossy, "-A", rule);
      try {
        long end = System.nanoTime() + LOSSY.toNanos();
        while (System.nanoTime() < end) {
          for (LabNode observer : lab.nodes()) {
            for (LabNode peer : lab.nodes()) {
              if (peer != observer && !observer.peerState(peer.name()).orElse("").equals("up")) {
                flaps.add(observer.name() + " saw " + peer.name() + " " + observer.peerState(peer.name()).orElse("?"));
              }
            }
          }
          Lab.pause(Duration.ofMillis(500));
        }
      } finally {
        iptables(lossy, "-D", rule);
      }
      pings = streams.stop();
    }
    Loss loss = Loss.of(pings, Set.of());
    List<RouteWatch.Change> deleted = watch.weftDeletions(since);
    log.info("FAULT 20% random drop of {}'s outgoing packets for {} s: peers seen not up: {}; {}; Weft routes deleted: {}",
        lossy, LOSSY.toSeconds(), flaps, loss, deleted.size());
    assertEquals(Set.of(), flaps, "no peer shown down");
    assertEquals(0, loss.healthyLost(), loss.toString());
    assertEquals(List.of(), deleted);
  }

  @Test
  @Order(6)
  void aThreeSecondPartitionOfTheCoordinatorDeletesNoRoute() {
    // The coordinator cut off: both sides count their views on from the same number, and the cut one
    // still holds a member that now leads the others (found once the earlier faults had moved the
    // coordinator to the node cut here: it stayed apart for 7 minutes).
    partition(Duration.ofSeconds(3), true, coordinator());
  }

  @Test
  @Order(7)
  void aTenSecondPartitionCostsTheRestNothing() {
    partition(Duration.ofSeconds(10), false, lab.node(lab.nodes().size()));
  }

  @Test
  @Order(8)
  void aThirtySecondPartitionCostsTheRestNothingAndHeals() {
    partition(Duration.ofSeconds(30), false, lab.node(lab.nodes().size()));
  }

  /**
   * Cuts the last node off the LAN (its bridge port down) for {@code length}. The others must not lose a
   * ping among themselves nor a route to each other; the cut node's pods are unreachable while cut, and
   * once the grace has run out its routes go on both sides (the SPEC's peer grace) and come back at the heal.
   */
  private void partition(Duration length, boolean noRouteDeleted, LabNode cut) {
    Instant since = Instant.now();
    Map<List<Pod>, PingStream.Summary> pings;
    long healMs;
    try (Pings streams = new Pings(lab.pods())) {
      Lab.pause(Duration.ofSeconds(1));
      cut.setLanPort(false);
      try {
        Lab.pause(length);
      } finally {
        cut.setLanPort(true);
      }
      long healedAt = System.nanoTime();
      lab.awaitConverged(Bounds.MERGE);
      healMs = ms(healedAt);
      Lab.pause(Duration.ofSeconds(1));
      pings = streams.stop();
    }
    Loss loss = Loss.of(pings, Set.of(cut));
    List<RouteWatch.Change> deleted = watch.weftDeletions(since);
    List<RouteWatch.Change> betweenHealthy = deleted.stream()
        .filter(c -> !c.node().equals(cut.name()) && !c.line().startsWith("Deleted " + subnets.get(cut.name()) + " "))
        .toList();
    log.info("FAULT partition of {} for {} s (LAN port down): every route right again {} ms after the port came"
        + " up; {}; Weft routes deleted: {} ({} between the connected nodes)", cut, length.toSeconds(), healMs, loss,
        deleted.size(), betweenHealthy.size());
    assertEquals(0, loss.healthyLost(), loss.toString());
    assertEquals(List.of(), betweenHealthy);
    if (noRouteDeleted) {
      assertEquals(List.of(), deleted, "a partition shorter than the grace deletes nothing");
    }
  }

  private static void iptables(LabNode node, String op, List<String> rule) {
    List<String> command = new ArrayList<>(List.of("iptables", "-w", op));
    command.addAll(rule);
    Command.of(node.exec(command)).run().check();
  }

  private static void awaitAdoptionEnded(LabNode node) {
    await().atMost(Bounds.JOIN).pollInterval(Duration.ofMillis(200)).until(() -> node.status()
        .map(s -> !s.path("adoption").path("active").asBoolean(true)).orElse(false));
  }

  private static long ms(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1_000_000;
  }

  /**
   * Pings lost between pods on healthy nodes, and on pairs with a pod on a faulty node (expected while it
   * is cut off or past its grace), with the streams that lost any.
   */
  private record Loss(int healthyLost, int healthyAnswered, int faultyLost, int faultyAnswered, List<String> lossy) {
    static Loss of(Map<List<Pod>, PingStream.Summary> pings, Set<LabNode> faulty) {
      int healthyLost = 0;
      int healthyAnswered = 0;
      int faultyLost = 0;
      int faultyAnswered = 0;
      List<String> lossy = new ArrayList<>();
      for (Map.Entry<List<Pod>, PingStream.Summary> e : pings.entrySet()) {
        PingStream.Summary s = e.getValue();
        boolean involvesFaulty = e.getKey().stream().anyMatch(p -> faulty.contains(p.node()));
        if (involvesFaulty) {
          faultyLost += s.lost().size();
          faultyAnswered += s.answered();
        } else {
          healthyLost += s.lost().size();
          healthyAnswered += s.answered();
        }
        if (!s.lost().isEmpty()) {
          lossy.add(s.description() + ": " + s.lost().size() + " lost");
        }
      }
      return new Loss(healthyLost, healthyAnswered, faultyLost, faultyAnswered, lossy);
    }

    @Override
    public String toString() {
      return "pings between healthy nodes: " + healthyLost + " lost of " + (healthyLost + healthyAnswered)
          + (faultyLost + faultyAnswered == 0 ? ""
              : "; to or from the faulty node: " + faultyLost + " lost of " + (faultyLost + faultyAnswered))
          + (lossy.isEmpty() ? "" : " " + lossy);
    }
  }

  /** A ping stream per ordered pair of pods, at 10/s, all started together. */
  private static final class Pings implements AutoCloseable {
    private final Map<List<Pod>, PingStream> streams = new LinkedHashMap<>();

    Pings(List<Pod> pods) {
      try {
        for (Pod from : pods) {
          for (Pod to : pods) {
            if (from != to) {
              streams.put(List.of(from, to), PingStream.start(from, to.ip(), PING_INTERVAL_MS));
            }
          }
        }
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    Map<List<Pod>, PingStream.Summary> stop() {
      Map<List<Pod>, PingStream.Summary> summaries = new LinkedHashMap<>();
      streams.forEach((pair, stream) -> summaries.put(pair, stream.stop()));
      return summaries;
    }

    @Override
    public void close() {
      streams.values().forEach(PingStream::close);
    }
  }
}
