package io.weft.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.RouteFilter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real weft-agent (the assembled launcher) alone in a namespace {@code wag-...}: start-up footprint,
 * drift repair, graceful restart (SIGTERM keeps routes, exit 0; the restart adopts them and keeps the
 * subnet), kill -9, then {@code weft-agent cleanup}. Multi-node behaviour is the lab's.
 */
@RequiresRoot
class AgentIT {
  static final String PREFIX = "wag-";
  static final Path DIST = Path.of("target/weft");
  static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path tmp;
  String ns;
  Process agent;
  Dataplane kernel;

  @BeforeEach
  void setUp() throws Exception {
    for (String line : run("ip", "netns", "list").split("\n")) {
      String n = line.split(" ")[0].trim();
      if (n.startsWith(PREFIX + "it-")) {
        run("ip", "netns", "del", n);
      }
    }
    ns = PREFIX + "it-" + ProcessHandle.current().pid();
    run("ip", "netns", "add", ns);
    run("ip", "-n", ns, "link", "set", "lo", "up");
    // A veth pair with both ends here stands in for the uplink (the dummy module may be missing).
    run("ip", "-n", ns, "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p");
    run("ip", "-n", ns, "link", "set", "uplink0p", "up");
    run("ip", "-n", ns, "addr", "add", "192.168.79.11/24", "dev", "uplink0");
    run("ip", "-n", ns, "link", "set", "uplink0", "up");
    run("ip", "-n", ns, "route", "add", "default", "via", "192.168.79.1");
    kernel = NetlinkDataplane.in(Path.of("/run/netns", ns));
    kernel.sysctls().set("net.ipv4.conf.all.rp_filter", "0");
    kernel.sysctls().set("net.ipv4.conf.uplink0.rp_filter", "0");
    Files.createDirectories(tmp.resolve("iproute2"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null && agent.isAlive()) {
      agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (kernel != null) {
      kernel.close();
    }
    run("ip", "netns", "del", ns);
  }

  @Test
  void startRepairRestartAndCleanUp() throws Exception {
    assertTrue(Files.isExecutable(DIST.resolve("bin/weft-agent")), "run after `mvn package`: " + DIST.toAbsolutePath());
    // A bad value: exit 2 and one line naming it, nothing touched.
    Result refused = exec(List.of(DIST.resolve("bin/weft-agent").toString(), "--node-ip", "192.168.79.99",
        "--state-dir", tmp.resolve("state").toString(), "--api-socket", tmp.resolve("weft.sock").toString()));
    assertEquals(2, refused.exitCode(), refused.output());
    assertEquals(List.of("weft-agent: --node-ip 192.168.79.99: not an address of this host (it has [127.0.0.1, 192.168.79.11])"),
        refused.output().lines().toList());
    assertTrue(kernel.links().byName("v-net-0").isEmpty());
    startAgent();
    Route unreachable = Route.unreachable(CLUSTER);
    await().atMost(WAIT).until(() -> weftRoutes().contains(unreachable));
    JsonNode status = awaitConverged();
    Cidr subnet = Cidr.parse(status.path("node").path("podSubnet").asText());
    assertTrue(kernel.addresses().list("v-net-0").stream().anyMatch(a -> a.address().equals(subnet.host(1))),
        "the bridge holds the gateway of " + subnet);
    assertEquals("1", kernel.sysctls().get("net.ipv4.ip_forward"));
    assertEquals("87\tweft\n", Files.readString(tmp.resolve("iproute2/rt_protos.d/weft.conf")));
    assertEquals(0, meshctl("status").exitCode(), "healthy and converged");

    // Drift: our route deleted by hand comes back on the kernel's event.
    kernel.routes().delete(unreachable);
    await().atMost(WAIT).until(() -> weftRoutes().contains(unreachable));

    // SIGTERM: leave the mesh, keep the routes, exit 0.
    agent.destroy();
    assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, agent.exitValue(), log());
    assertTrue(weftRoutes().contains(unreachable), "routes survive a clean stop");
    assertEquals(3, meshctl("status").exitCode(), "agent unreachable");

    // Restart: same subnet (state dir), the routes are adopted, never flushed.
    startAgent();
    JsonNode again = awaitConverged();
    assertEquals(subnet.toString(), again.path("node").path("podSubnet").asText());
    assertEquals(0, again.path("reconcile").path("deleted").asInt());
    assertTrue(weftRoutes().contains(unreachable));

    // kill -9 keeps them too.
    agent.destroyForcibly();
    assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
    assertTrue(weftRoutes().contains(unreachable));

    // cleanup: our routes, the bridge and the CNI files go; a foreign route and other files stay.
    Route foreign = new Route(Cidr.parse("10.244.200.0/24"), Route.Type.UNICAST,
        io.weft.core.net.IpAddresses.parse("192.168.79.50"), "uplink0", 4, Route.TABLE_MAIN);
    run("ip", "-n", ns, "route", "add", "10.244.200.0/24", "via", "192.168.79.50", "dev", "uplink0", "proto", "static");
    Path conf = Files.writeString(tmp.resolve("10-weft.conflist"), "{}");
    Path bin = Files.writeString(tmp.resolve("weft"), "#!/bin/sh\n");
    Path other = Files.writeString(tmp.resolve("10-other.conflist"), "{}");
    Result cleanup = exec(List.of(DIST.resolve("bin/weft-agent").toString(), "cleanup", "--api-socket",
        tmp.resolve("weft.sock").toString(), "--cni-conf-file", conf.toString(), "--cni-bin-file", bin.toString()));
    assertEquals(0, cleanup.exitCode(), cleanup.output());
    assertTrue(weftRoutes().isEmpty(), weftRoutes().toString());
    assertTrue(kernel.routes().list(RouteFilter.mainTable()).contains(foreign));
    assertTrue(kernel.links().byName("v-net-0").isEmpty());
    assertFalse(Files.exists(conf) || Files.exists(bin));
    assertTrue(Files.exists(other));
  }

  private void startAgent() throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, DIST.resolve("bin/weft-agent").toString(),
        "--node-name", "it", "--node-ip", "192.168.79.11", "--state-dir", tmp.resolve("state").toString(),
        "--api-socket", tmp.resolve("weft.sock").toString(), "--rt-protos-dir", tmp.resolve("iproute2/rt_protos.d").toString(),
        "--peer-grace", "5s", "--adopt-grace", "5s", "--insecure"));
    agent = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("agent.log").toFile())).start();
  }

  private JsonNode awaitConverged() {
    JsonNode[] last = new JsonNode[1];
    await().atMost(WAIT).until(() -> {
      Result r = meshctl("status", "-o", "json");
      if (r.exitCode() == 3) {
        return false;
      }
      last[0] = new ObjectMapper().readTree(r.output());
      return last[0].path("converged").asBoolean();
    });
    return last[0];
  }

  private List<Route> weftRoutes() {
    return kernel.routes().list(RouteFilter.weft());
  }

  private Result meshctl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(DIST.resolve("bin/meshctl").toString(), "--socket", tmp.resolve("weft.sock").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return new Result(p.exitValue(), out);
  }

  private Result exec(List<String> inNamespace) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    cmd.addAll(inNamespace);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Result(p.exitValue(), out);
  }

  private String log() throws IOException {
    return Files.readString(tmp.resolve("agent.log"));
  }

  record Result(int exitCode, String output) {}

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
