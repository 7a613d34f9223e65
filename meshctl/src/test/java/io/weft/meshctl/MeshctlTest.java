package io.weft.meshctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshctlTest {
  static final long NOW = 1_700_000_100_000L;
  static final String HEALTHY = """
      {"node":{"name":"node-a","hostname":"node-a","nodeIp":"192.168.1.11","podSubnet":"10.244.1.0/24","subnetSource":"allocated"},
       "clusterCidr":"10.244.0.0/16","converged":true,"healthy":true,
       "mesh":{"state":"joined","size":3,"peersUp":2,"peersDown":0,"coordinator":"node-a"},
       "reconcile":{"number":7,"atMillis":1700000098000,"durationMillis":1.25,"installed":3,"missing":0,"foreign":0,"stale":0},
       "adoption":{"active":false,"kept":0},
       "problems":[],
       "peers":[
         {"name":"node-b","nodeIp":"192.168.1.12","podSubnet":"10.244.2.0/24","state":"up","route":"installed","reason":""},
         {"name":"node-c","nodeIp":"192.168.1.13","podSubnet":"10.244.3.0/24","state":"up","route":"installed","reason":""}]}
      """;
  static final String DEGRADED = """
      {"node":{"name":"node-a","nodeIp":"192.168.1.11","podSubnet":"10.244.1.0/24"},"converged":true,"healthy":false,
       "mesh":{"state":"joined","size":2},"reconcile":{"number":3},"adoption":{"active":false},
       "problems":["peer node-far: unreachable: not on a shared L2 network"],
       "peers":[{"name":"node-far","nodeIp":"172.16.9.9","podSubnet":"10.244.9.0/24","state":"down","route":"none",
                 "reason":"unreachable: not on a shared L2 network","downSinceMillis":1700000040000}]}
      """;

  @TempDir
  Path tmp;
  Path socket;
  FakeAgent agent;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void setUp() throws Exception {
    socket = tmp.resolve("weft.sock");
    agent = new FakeAgent(socket);
  }

  @AfterEach
  void tearDown() throws Exception {
    agent.close();
  }

  int meshctl(String... args) {
    out.reset();
    err.reset();
    String[] all = new String[args.length + 2];
    all[0] = "--socket";
    all[1] = socket.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return new Meshctl(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        NOW, tmp.resolve("proc-sys")).run(all, null);
  }

  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void statusOfAHealthyConvergedNodeExitsZero() {
    agent.answer("GET /v1/status", 200, HEALTHY);
    assertEquals(0, meshctl("status"));
    assertTrue(out().contains("Node:       node-a (192.168.1.11)"), out());
    assertTrue(out().contains("Converged:  yes, last reconcile #7 2s ago (1.3 ms)"), out());
    assertTrue(out().contains("Problems:   none"), out());
    assertTrue(out().contains("node-b   192.168.1.12   10.244.2.0/24   up      installed   now"), out());
  }

  @Test
  void statusOfADegradedNodeExitsOneAndListsTheProblems() {
    agent.answer("GET /v1/status", 200, DEGRADED);
    assertEquals(1, meshctl("status"));
    assertTrue(out().contains("  - peer node-far: unreachable: not on a shared L2 network"), out());
  }

  @Test
  void anUnreachableAgentExitsThree() throws Exception {
    agent.close();
    assertEquals(3, meshctl("status"));
    assertTrue(err().contains("cannot reach the agent at " + socket), err());
    assertEquals(3, meshctl("status", "peers", "-o", "json"));
    assertTrue(new ObjectMapper().readTree(out()).has("error"), out());
  }

  @Test
  void statusJsonHasTheContractFields() throws Exception {
    agent.answer("GET /v1/status", 200, HEALTHY);
    assertEquals(0, meshctl("status", "-o", "json"));
    JsonNode s = new ObjectMapper().readTree(out());
    for (String f : List.of("name", "nodeIp", "podSubnet")) {
      assertTrue(s.path("node").has(f), f);
    }
    assertTrue(s.path("converged").isBoolean());
    for (String f : List.of("name", "nodeIp", "podSubnet", "state", "route")) {
      assertTrue(s.path("peers").get(0).has(f), f);
    }
  }

  @Test
  void peersAreATableWithTheSpecColumns() {
    agent.answer("GET /v1/peers", 200, "{\"peers\":" + DEGRADED.substring(DEGRADED.indexOf("[{\"name\":\"node-far\""), DEGRADED.lastIndexOf('}')) + "}");
    assertEquals(0, meshctl("status", "peers"));
    List<String> lines = out().lines().toList();
    assertEquals("NAME       NODE-IP      SUBNET          STATE   ROUTE                                            LAST-SEEN", lines.get(0));
    assertEquals("node-far   172.16.9.9   10.244.9.0/24   down    none (unreachable: not on a shared L2 network)   1m ago", lines.get(1));
  }

  @Test
  void routesAreATableOfInstalledMissingForeignStale() {
    agent.answerChunked("GET /v1/routes", """
        {"routes":[
          {"destination":"10.244.0.0/16","type":"unreachable","state":"installed","peer":"(cluster)","detail":""},
          {"destination":"10.244.2.0/24","type":"unicast","gateway":"192.168.1.12","device":"eth0","state":"foreign","peer":"node-b","detail":"held by 10.244.2.0/24 via 192.168.1.99 proto 4; left alone"},
          {"destination":"10.244.7.0/24","type":"unicast","gateway":"192.168.1.17","device":"eth0","state":"stale","peer":"","detail":"adopted at start"}],
         "adoption":{"active":true}}
        """);
    assertEquals(0, meshctl("status", "routes"));
    List<String> lines = out().lines().toList();
    assertTrue(lines.get(0).startsWith("DESTINATION     TYPE          GATEWAY        DEVICE   STATE       PEER"), lines.get(0));
    assertTrue(lines.get(1).startsWith("10.244.0.0/16   unreachable   -              -        installed   (cluster)"), lines.get(1));
    assertTrue(lines.get(2).contains("foreign"), lines.get(2));
    assertTrue(lines.get(3).contains("stale"), lines.get(3));
  }

  @Test
  void ipamShowsTheSubnetAndTheAllocations() {
    agent.answer("GET /v1/ipam", 200, """
        {"subnet":"10.244.1.0/24","allocations":[{"address":"10.244.1.2","containerId":"abc","ifname":"eth0","pod":"default/web"}]}
        """);
    assertEquals(0, meshctl("status", "ipam"));
    assertTrue(out().contains("Subnet:     10.244.1.0/24"), out());
    assertTrue(out().contains("ADDRESS      CONTAINER-ID   IFNAME   POD"), out());
    assertTrue(out().contains("10.244.1.2   abc            eth0     default/web"), out());
  }

  @Test
  void ipamShowsUnknownOwnersAndWhatTheReconcileReleasedEachUnderItsTitle() {
    agent.answer("GET /v1/ipam", 200, """
        {"subnet":"10.244.1.0/24","lastReconcile":"2026-12-01T20:00:00Z","allocations":[],
         "unknownOwner":[{"address":"10.244.1.7","problem":"unreadable allocation file /s/10.244.1.7: garbled"}],
         "releasedByReconcile":[{"address":"10.244.1.9","containerId":"gone","ifname":"eth0","pod":"",
           "at":"2026-12-01T20:00:00Z","why":"no host veth weft01234567"}]}
        """);
    assertEquals(0, meshctl("status", "ipam"));
    assertTrue(out().contains("Allocations: none"), out());
    assertTrue(out().contains("Unknown owner:\nADDRESS      PROBLEM\n10.244.1.7   unreadable allocation file"), out());
    assertTrue(out().contains("Released by reconcile:\nADDRESS      CONTAINER-ID"), out());
    assertTrue(out().contains("no host veth weft01234567"), out());
  }

  @Test
  void forgetPostsTheNodeAndReportsTheAgentsRefusal() {
    agent.answer("POST /v1/forget", 200, "{\"forgotten\":\"node-c\"}");
    assertEquals(0, meshctl("forget", "node-c"));
    assertEquals("POST /v1/forget?node=node-c", agent.requests.get(agent.requests.size() - 1));
    assertTrue(out().contains("forgot node-c"), out());
    agent.answer("POST /v1/forget", 404, "{\"error\":\"no peer named node-z (see meshctl status peers)\"}");
    assertEquals(1, meshctl("forget", "node-z"));
    assertTrue(err().contains("no peer named node-z"), err());
  }

  @Test
  void usageErrorsExitTwoAndHelpTeaches() {
    assertEquals(2, meshctl("status", "bogus"));
    assertTrue(err().contains("unknown status view 'bogus'"), err());
    assertEquals(2, meshctl("-o", "yaml", "status"));
    assertEquals(2, meshctl("forget"));
    assertEquals(2, meshctl());
    assertEquals(0, meshctl("--help"));
    assertTrue(out().contains("Examples:") && out().contains("meshctl status peers"), out());
    assertEquals(0, meshctl("--version"));
  }

  @Test
  void doctorRunsWithoutAnAgentAndSaysSo() throws Exception {
    agent.close();
    int code = meshctl("doctor", "-o", "json");
    assertEquals(1, code, "the agent check fails");
    JsonNode checks = new ObjectMapper().readTree(out()).path("checks");
    assertEquals("agent", checks.get(0).path("name").asText());
    assertEquals("FAIL", checks.get(0).path("result").asText());
    assertTrue(checks.get(0).path("fix").asText().contains("start weft-agent"));
  }
}
