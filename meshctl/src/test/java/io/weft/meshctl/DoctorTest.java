package io.weft.meshctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.meshctl.Doctor.Check;
import io.weft.meshctl.Doctor.Facts;
import io.weft.meshctl.Doctor.ForwardFacts;
import io.weft.meshctl.Doctor.Iface;
import io.weft.meshctl.Doctor.PortState;
import io.weft.meshctl.Doctor.Result;
import io.weft.meshctl.Doctor.TunnelFacts;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DoctorTest {
  static final JsonNode STATUS = read("""
      {"node":{"name":"node-a","nodeIp":"192.168.1.11"},
       "problems":["duplicate mac: 02:00:00:00:00:01 is held by node-a, node-b"]}
      """);

  static JsonNode read(String s) {
    try {
      return new ObjectMapper().readTree(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Check check(List<Check> checks, String name) {
    return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name));
  }

  @Test
  void aHealthyNodePassesAndEveryProblemHasAFix() {
    Facts f = new Facts(List.of(new Iface("eth0", List.of("192.168.1.11"))), "0", Map.of("all", "1", "eth0", "0"),
        STATUS, "", PortState.LISTENING, PortState.FREE, Map.of("node-b", true, "node-c", false),
        PortState.LISTENING, new TunnelFacts("auto", 4789, true, true, false, null),
        List.of(new ForwardFacts("nft", "DROP", true, List.of())), List.of());
    List<Check> checks = Doctor.evaluate(f);
    assertEquals(Result.PASS, check(checks, "agent").result());
    assertEquals(Result.PASS, check(checks, "interface with an IP").result());
    assertEquals(Result.PASS, check(checks, "unique hostname").result());
    assertEquals(Result.FAIL, check(checks, "unique MAC").result());
    assertEquals(Result.FAIL, check(checks, "ip_forward").result());
    assertEquals(Result.WARN, check(checks, "rp_filter").result());
    assertTrue(check(checks, "rp_filter").detail().contains("all"));
    assertEquals(Result.PASS, check(checks, "port 6783/tcp (mesh)").result());
    assertEquals(Result.FAIL, check(checks, "peers reachable on 6783/tcp").result());
    assertTrue(check(checks, "peers reachable on 6783/tcp").detail().contains("node-c"));
    assertEquals(Result.WARN, check(checks, "port 6782/tcp (metrics)").result());
    assertEquals(Result.PASS, check(checks, "port 10250/tcp (kubelet)").result());
    assertEquals(Result.PASS, check(checks, "VXLAN in the kernel").result());
    assertEquals(Result.PASS, check(checks, "port 4789/udp (VXLAN)").result(), "the tunnel device holds it");
    assertEquals(Result.PASS, check(checks, "pod traffic forwarded").result(), "Weft's jump beats Docker's DROP");
    checks.stream().filter(c -> c.result() != Result.PASS).forEach(c -> assertTrue(!c.fix().isEmpty(), c.name()));
    String table = Meshctl.renderChecks(checks);
    assertTrue(table.startsWith("CHECK"), table);
    assertTrue(table.contains("Fixes:\n  unique MAC: cloned VM?"), table);
  }

  @Test
  void aTunnelDeviceTheAgentCannotUseFailsThePortCheck() {
    Facts f = new Facts(List.of(new Iface("eth0", List.of("192.168.1.11"))), "1", Map.of(), STATUS, "",
        PortState.LISTENING, PortState.LISTENING, Map.of(), PortState.LISTENING,
        new TunnelFacts("auto", 4789, true, true, false, "device weft.vxlan: could not set link weft.vxlan up: address in use"),
        List.of(), List.of());
    Check c = check(Doctor.evaluate(f), "port 4789/udp (VXLAN)");
    assertEquals(Result.FAIL, c.result());
    assertTrue(c.detail().contains("address in use") && c.fix().contains("--vxlan-port"), c.toString());
  }

  @Test
  void aDropPolicyWithoutWeftsJumpOrARuleBeforeItFailsWithTheFix() {
    Facts missing = new Facts(List.of(new Iface("eth0", List.of("192.168.1.11"))), "1", Map.of(), STATUS, "",
        PortState.LISTENING, PortState.LISTENING, Map.of(), PortState.LISTENING, new TunnelFacts("never", 4789, true, false, true, null),
        List.of(new ForwardFacts("nft", "DROP", false, List.of())), List.of());
    Check c = check(Doctor.evaluate(missing), "pod traffic forwarded");
    assertEquals(Result.FAIL, c.result());
    assertTrue(c.detail().contains("iptables-nft"), c.detail());
    Facts shadowed = new Facts(List.of(new Iface("eth0", List.of("192.168.1.11"))), "1", Map.of(), STATUS, "",
        PortState.LISTENING, PortState.LISTENING, Map.of(), PortState.LISTENING, new TunnelFacts("never", 4789, true, false, true, null),
        List.of(new ForwardFacts("legacy", "ACCEPT", true, List.of("-A FORWARD -s 10.0.0.0/8 -j DROP"))), List.of());
    Check s = check(Doctor.evaluate(shadowed), "pod traffic forwarded");
    assertEquals(Result.FAIL, s.result());
    assertTrue(s.detail().contains("-A FORWARD -s 10.0.0.0/8 -j DROP") && !s.fix().isEmpty(), s.toString());
    Facts firewalld = new Facts(List.of(new Iface("eth0", List.of("192.168.1.11"))), "1", Map.of(), STATUS, "",
        PortState.LISTENING, PortState.LISTENING, Map.of(), PortState.LISTENING, new TunnelFacts("never", 4789, true, false, true, null),
        List.of(new ForwardFacts("nft", "ACCEPT", true, List.of())), List.of("inet firewalld filter_FORWARD"));
    Check n = check(Doctor.evaluate(firewalld), "pod traffic forwarded");
    assertEquals(Result.FAIL, n.result());
    assertTrue(n.detail().contains("inet firewalld filter_FORWARD") && n.fix().contains("trusted zone"), n.toString());
  }

  @Test
  void withoutAnAgentTheMeshChecksWarnAndABusyPortFails() {
    Facts f = new Facts(List.of(), "1", Map.of(), null, "cannot reach the agent", PortState.LISTENING, PortState.FREE, Map.of(),
        PortState.FREE, new TunnelFacts("auto", 4789, false, false, false, null),
        List.of(new ForwardFacts("nft", "DROP", false, List.of())), List.of());
    List<Check> checks = Doctor.evaluate(f);
    assertEquals(Result.FAIL, check(checks, "agent").result());
    assertEquals(Result.FAIL, check(checks, "interface with an IP").result());
    assertEquals(Result.WARN, check(checks, "unique hostname").result());
    assertEquals(Result.PASS, check(checks, "ip_forward").result());
    assertEquals(Result.FAIL, check(checks, "port 6783/tcp (mesh)").result(), "someone else holds the mesh port");
    assertEquals(Result.PASS, check(checks, "port 6782/tcp (metrics)").result());
    assertEquals(Result.WARN, check(checks, "port 10250/tcp (kubelet)").result(), "no kubelet is not fatal");
    assertEquals(Result.FAIL, check(checks, "VXLAN in the kernel").result());
    assertEquals(Result.FAIL, check(checks, "port 4789/udp (VXLAN)").result(), "someone else holds the VXLAN port");
    assertTrue(check(checks, "port 4789/udp (VXLAN)").fix().contains("--vxlan-port"));
    assertEquals(Result.WARN, check(checks, "pod traffic forwarded").result(), "DROP policy, no agent yet");
  }
}
