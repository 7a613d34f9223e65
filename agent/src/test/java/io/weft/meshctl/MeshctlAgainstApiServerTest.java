package io.weft.meshctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.api.ApiServer;
import io.weft.agent.converge.EgressSettings;
import io.weft.agent.converge.ReconcileReport;
import io.weft.agent.converge.TunnelSettings;
import io.weft.agent.status.StatusApi;
import io.weft.agent.status.StatusService;
import io.weft.agent.status.StatusServiceTest;
import io.weft.core.model.Peer;
import io.weft.core.model.Route;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * meshctl against the agent's real API server with the real status endpoints mounted. It lives with the agent
 * (which depends on meshctl only to package it), so meshctl itself never depends on the agent.
 */
class MeshctlAgainstApiServerTest {
  @TempDir
  Path tmp;

  @Test
  void statusTravelsFromTheServiceThroughTheSocketToTheTable() throws Exception {
    Cidr cluster = Cidr.parse("10.244.0.0/16");
    Route toB = Route.via(StatusServiceTest.B.podSubnet(), StatusServiceTest.B.nodeIp(), "eth0");
    List<Route> desired = List.of(Route.unreachable(cluster), toB);
    ReconcileReport report = StatusServiceTest.report(desired, desired, List.of());
    StatusService status = new StatusService(
        () -> StatusServiceTest.snapshot(Map.of("node-b", Peer.up(StatusServiceTest.B, 1)), 2), () -> report, List::of, List.of(),
        cluster, Duration.ofMinutes(2), TunnelSettings.of(TunnelMode.AUTO, 87, 4789), new EgressSettings(true, List.of()),
        System::currentTimeMillis);
    Path socket = tmp.resolve("run/weft.sock");
    ApiServer.Builder builder = ApiServer.on(socket);
    new StatusApi(status, n -> false, "node-a").handlers()
        .forEach((k, h) -> builder.route(k.split(" ")[0], k.split(" ")[1], h));
    try (ApiServer server = builder.start()) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Meshctl meshctl = new Meshctl(new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8), System.currentTimeMillis(), tmp);
      assertEquals(0, meshctl.run(new String[] {"status", "--socket", socket.toString()}, null), err.toString());
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("node-b   192.168.1.12   10.244.2.0/24   up      direct (installed)"),
          out.toString(StandardCharsets.UTF_8));

      out.reset();
      assertEquals(0, meshctl.run(new String[] {"status", "-o", "json"}, socket.toString()));
      JsonNode json = new ObjectMapper().readTree(out.toByteArray());
      assertEquals("10.244.1.0/24", json.path("node").path("podSubnet").asText());
      assertEquals("installed", json.path("peers").get(0).path("route").asText());
      assertEquals("direct", json.path("peers").get(0).path("path").asText());

      out.reset();
      err.reset();
      assertEquals(1, meshctl.run(new String[] {"forget", "node-z", "--socket", socket.toString()}, null));
      assertTrue(err.toString(StandardCharsets.UTF_8).contains("no peer named node-z"), err.toString(StandardCharsets.UTF_8));
    }
  }
}
