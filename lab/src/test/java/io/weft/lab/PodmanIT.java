package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.testing.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real container runtime on Weft: podman 4.3 (libcni, as containerd and CRI-O build on) runs busybox
 * containers on n1 and n2 through {@code bin/weft} and portmap chained after it; n3 has a lab pod. Agent
 * logs: lab/target/lab-logs/PodmanIT/.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PodmanIT {
  private static final List<String> SLEEP = List.of("sleep", "3600");
  private Lab lab;
  private Pod pod;

  @BeforeAll
  void startLab() {
    lab = Lab.create(LabConfig.defaults("PodmanIT").withPodsPerNode(0), Progress.toLog());
    try {
      lab.node(1).startPodman();
      lab.node(2).startPodman();
      lab.startAgents(Progress.toLog());
      pod = lab.node(3).addPod(lab.config().topology().podName(3, 1));
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

  private static String start(Podman podman, List<String> options, List<String> command) {
    return podman.run(options, command.toArray(String[]::new)).check().stdout().strip();
  }

  /** One ping from a container to {@code ip}. */
  private record Ping(Podman podman, String container, String ip) {
    boolean answered() {
      return podman.podman("exec", container, "ping", "-c", "1", "-W", "1", ip).ok();
    }
  }

  @Test
  @Order(1)
  void containersOnTwoNodesPingEachOtherAndALabPod() {
    Podman p1 = lab.node(1).podman();
    Podman p2 = lab.node(2).podman();
    String c1 = start(p1, List.of(), SLEEP);
    String c2 = start(p2, List.of(), SLEEP);
    try {
      String ip1 = p1.ip(c1, "weft");
      String ip2 = p2.ip(c2, "weft");
      assertEquals(ip1, NodeState.addressOf(lab.node(1), c1), "n1's IPAM names the container");
      assertEquals(ip2, NodeState.addressOf(lab.node(2), c2), "n2's IPAM names the container");
      List<Ping> pings = List.of(new Ping(p1, c1, ip2), new Ping(p1, c1, pod.ip()), new Ping(p2, c2, ip1),
          new Ping(p2, c2, pod.ip()));
      await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        List<String> bad = new ArrayList<>();
        for (Ping ping : pings) {
          if (!ping.answered()) {
            bad.add(ping.podman().node() + " container " + ping.container() + " -> " + ping.ip());
          }
        }
        for (String ip : List.of(ip1, ip2)) {
          if (!pod.ping(ip)) {
            bad.add(pod + " -> " + ip);
          }
        }
        assertEquals(List.of(), bad);
      });
    } finally {
      p1.podman("rm", "-f", "-t", "0", c1);
      p2.podman("rm", "-f", "-t", "0", c2);
    }
  }

  @Test
  @Order(2)
  void stopReleasesTheAddressAndTheHostVethAndSoDoesRemovingARunningContainer() {
    LabNode node = lab.node(1);
    Podman podman = node.podman();
    String stopped = start(podman, List.of(), SLEEP);
    String veth = hostInterface(node, stopped);
    assertTrue(NodeState.podVeths(node).contains(veth), veth + " on " + node);
    podman.podman("stop", "-t", "0", stopped).check();
    assertNull(NodeState.addressOf(node, stopped), "address released at stop");
    assertFalse(NodeState.podVeths(node).contains(veth), veth + " gone at stop");
    podman.podman("rm", stopped).check();

    String removed = start(podman, List.of(), SLEEP);
    String veth2 = hostInterface(node, removed);
    podman.podman("rm", "-f", "-t", "0", removed).check();
    assertNull(NodeState.addressOf(node, removed), "address released at rm -f");
    assertFalse(NodeState.podVeths(node).contains(veth2), veth2 + " gone at rm -f");
  }

  @Test
  @Order(3)
  void aContainerThatExitsByItselfReleasesItsAddress() {
    // No podman command is running then: conmon's cleanup process alone tears the network down.
    LabNode node = lab.node(1);
    Podman podman = node.podman();
    String id = start(podman, List.of(), List.of("sleep", "1"));
    assertNotNull(NodeState.addressOf(node, id), "allocated at start");
    await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertNull(NodeState.addressOf(node, id), "address released when the container exited"));
    podman.podman("rm", id).check();
  }

  private static String hostInterface(LabNode node, String containerId) {
    return NodeState.allocations(node).stream().filter(a -> containerId.equals(a.path("containerId").asText()))
        .map(a -> a.path("hostInterface").asText()).findFirst()
        .orElseThrow(() -> new AssertionError("no allocation for " + containerId + " on " + node));
  }

  @Test
  @Order(4)
  void portmapChainedAfterWeftServesFromTheNodeIp() {
    LabNode node = lab.node(1);
    Podman podman = node.podman();
    // busybox httpd serves the container's /etc, where podman writes its hostname.
    String web = start(podman, List.of("--hostname", "web1", "-p", "8080:80"), List.of("httpd", "-f", "-p", "80", "-h", "/etc"));
    try {
      List<String> fetch = Ip.exec(lab.outside().name(),
          // timeout(1), not wget -T: Debian's busybox 1.35 wget crashes with -T.
          List.of("timeout", "3", "busybox", "wget", "-q", "-O", "-", "http://" + node.ip() + ":8080/hostname"));
      await().atMost(Bounds.TRAFFIC).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertEquals("web1", Command.of(fetch).run().stdout().strip()));
    } finally {
      podman.podman("rm", "-f", "-t", "0", web);
    }
    List<String> rules = List.of("iptables-save", "-t", "nat");
    assertFalse(Command.of(node.exec(rules)).run().check().stdout().contains(web), "portmap's rules removed with the container");
  }

  @Test
  @Order(5)
  void twentyStartStopCyclesLeaveNoAllocationVethNamespaceCniCacheOrRuncStateBehind() throws IOException {
    LabNode node = lab.node(1);
    Podman podman = node.podman();
    List<String> vethsBefore = NodeState.podVeths(node);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String id = start(podman, List.of(), SLEEP);
      ids.add(id);
      podman.podman("stop", "-t", "0", id).check();
      podman.podman("rm", id).check();
    }
    List<String> kept = new ArrayList<>();
    for (String id : ids) {
      if (NodeState.addressOf(node, id) != null) {
        kept.add("allocation of " + id);
      }
    }
    assertEquals(List.of(), kept);
    assertEquals(vethsBefore, NodeState.podVeths(node));
    assertEquals(List.of(), entries(podman.netnsDir()), "podman's network namespaces");
    assertEquals(List.of(), entries(podman.cniCache().resolve("results")), "libcni's cache");
    assertEquals(List.of(), entries(podman.runtimeStateDir()), "runc's state");
  }

  private static List<String> entries(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  @Order(6)
  void runWithIpGetsExactlyThatAddress() {
    // podman 4.3 sends it as CNI_ARGS IP=... only (seen with a plugin that logs its input: no runtimeConfig.ips).
    LabNode node = lab.node(1);
    Podman podman = node.podman();
    String subnet = node.subnet().orElseThrow();
    String wanted = subnet.substring(0, subnet.lastIndexOf('.')) + ".200";
    String id = start(podman, List.of("--ip", wanted), SLEEP);
    try {
      assertEquals(wanted, podman.ip(id, "weft"), "podman's view");
      String inside = podman.podman("exec", id, "ip", "-4", "-o", "addr", "show", "dev", "eth0").check().stdout();
      assertTrue(inside.contains(" " + wanted + "/24 "), inside);
      assertEquals(wanted, NodeState.addressOf(node, id), "the agent's IPAM");
    } finally {
      podman.podman("rm", "-f", "-t", "0", id);
    }
  }
}
