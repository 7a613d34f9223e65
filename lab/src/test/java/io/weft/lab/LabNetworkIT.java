package io.weft.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.testing.RequiresRoot;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The lab's network and lifecycle: LAN, nodes, teardown, stale-lab removal, host untouched (no agents),
 * and the demo stopped in the middle of its teardown.
 */
@RequiresRoot
class LabNetworkIT {
  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void nodesShareALanWithTheirOwnAddressesAndMacsAndTheHostIsUntouched() throws Exception {
    Set<String> hostLinksBefore = hostLinks();
    LabConfig config = LabConfig.defaults("LabNetworkIT-lan");
    try (Lab lab = Lab.create(config, Progress.toLog())) {
      for (LabNode node : lab.nodes()) {
        JsonNode eth0 = mapper.readTree(Ip.in(node.name(), "-j", "addr", "show", "dev", "eth0").stdout()).get(0);
        assertEquals(node.mac(), eth0.path("address").asText());
        assertEquals(node.ip(), eth0.path("addr_info").get(0).path("local").asText());
        assertTrue(node.routes().stream().anyMatch(r -> r.destination().equals("default")
            && lab.config().topology().gateway(1).equals(r.gateway())), node + " has a default route via the LAN gateway");
        for (LabNode other : lab.nodes()) {
          assertTrue(Command.of(node.exec(List.of("ping", "-n", "-q", "-c", "1", "-W", "2", other.ip()))).run().ok(),
              node + " reaches " + other + " over the LAN");
        }
      }
      assertEquals(hostLinksBefore, hostLinks(), "the host's links are not touched");
    }
    assertTrue(Ip.netnsList().stream().noneMatch(config.topology()::owns), "every lab namespace removed");
    assertFalse(Files.exists(config.runRoot()), "run folder removed");
  }

  @Test
  void aStaleLabIsRemovedWithItsProcessesAtTheNextStart() throws Exception {
    // The configured prefix (-Dlab.prefix), never another lab's: a stale namespace of this lab's own.
    LabConfig config = LabConfig.defaults("LabNetworkIT-stale").withNodes(1);
    Topology topology = config.topology();
    String stale = topology.nodeName(9);
    Ip.netnsAdd(stale);
    Process sleeper = new ProcessBuilder(Ip.exec(stale, List.of("sleep", "300"))).start();
    try (Lab lab = Lab.create(config, Progress.toLog())) {
      assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "process left in a stale namespace is killed");
      assertFalse(Ip.netnsList().contains(stale), "stale namespace removed");
      assertEquals(List.of(topology.lanNetns(), topology.nodeName(1), topology.outsideNetns()),
          Ip.netnsList().stream().filter(topology::owns).sorted().toList());
    } finally {
      sleeper.destroyForcibly();
      if (Ip.netnsList().contains(stale)) {
        Ip.netnsDel(stale);
      }
    }
  }

  @Test
  void aDisconnectedNodeLosesTheLanUntilReconnected() {
    try (Lab lab = Lab.create(LabConfig.defaults("LabNetworkIT-partition").withNodes(2), Progress.toLog())) {
      LabNode a = lab.node(1);
      LabNode b = lab.node(2);
      List<String> ping = a.exec(List.of("ping", "-n", "-q", "-c", "1", "-W", "1", b.ip()));
      b.disconnect();
      assertFalse(Command.of(ping).run().ok());
      b.reconnect();
      // The neighbour entry failed during the cut; the next solicitation needs a moment.
      await().atMost(Duration.ofSeconds(10)).until(() -> Command.of(ping).run().ok());
    }
  }

  @Test
  void aDemoStoppedWhileItTearsDownStillRemovesEverything() throws Exception {
    // SIGTERM (as Ctrl-C) the moment the demo starts its own teardown: the shutdown hook must wait for
    // that teardown to finish instead of letting the JVM exit half-way (agents, namespaces left behind).
    LabConfig config = LabConfig.defaults("demo");
    Path labClasses = Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC", "-Xmx128m",
        "-Dlab.log.level=WARN", "-Dweft.home=" + WeftDist.locate().home(),
        // Its agent logs in a folder of this test's own (lab-logs/LabNetworkIT-stopped/demo), not the demo's.
        "-Dlab.logs=" + config.logRoot().resolve("LabNetworkIT-stopped"),
        "-Dlab.prefix=" + config.topology().prefix(),
        "-cp", labClasses + File.pathSeparator + labClasses.resolveSibling("lib").resolve("*"),
        Demo.class.getName(), "--nodes", "2", "--pods", "1");
    Process demo = new ProcessBuilder(command).redirectErrorStream(true).start();
    StringBuilder output = new StringBuilder();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
      boolean signalled = false;
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        output.append(line).append('\n');
        if (!signalled && line.contains("tearing down")) {
          demo.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the output being read
          signalled = true;
        }
      }
      assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "demo exits after SIGTERM:\n" + output);
      assertTrue(signalled, "demo reached its teardown:\n" + output);
      assertTrue(Ip.netnsList().stream().noneMatch(config.topology()::owns),
          "every lab namespace removed: " + Ip.netnsList() + "\n" + output);
      assertFalse(Files.exists(config.runRoot()), "run folder removed:\n" + output);
    } finally {
      demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      LabCleaner.removeAll(config.topology(), config.runRoot());
    }
  }

  private Set<String> hostLinks() throws Exception {
    Set<String> names = new HashSet<>();
    for (JsonNode link : mapper.readTree(Command.of("ip", "-j", "link", "show").run().check().stdout())) {
      names.add(link.path("ifname").asText());
    }
    return names;
  }
}
