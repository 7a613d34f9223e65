package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.cidr;
import static io.weft.core.plan.Fixtures.ip;
import static io.weft.core.plan.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordValidatorTest {
  private final RecordValidator validator = new RecordValidator();
  private final NodeRecord self = node("node-1", "192.168.1.11", "10.244.1.0/24");
  private final ValidationContext context = ValidationContext.of(CLUSTER, 24, self,
      Map.of("node-1", cidr("10.244.1.0/24"), "node-2", cidr("10.244.2.0/24"), "node-3", cidr("10.244.3.0/24")));

  private Verdict check(NodeRecord r) {
    return validator.validate(r, context);
  }

  private static NodeRecord named(String name, String hostname, String agentVersion) {
    return new NodeRecord(name, hostname, ip("192.168.1.12"), Fixtures.macFor("x"), cidr("10.244.2.0/24"),
        SubnetSource.ALLOCATED, 1, 1, agentVersion, 0);
  }

  @Test
  void acceptsAGoodPeerIncludingItsOwnLiveEntry() {
    assertEquals(Verdict.accept(), check(node("node-2", "192.168.1.12", "10.244.2.0/24")));
    assertEquals(Verdict.accept(), check(node("node-4.example.com", "192.168.1.14", "10.244.4.0/24")));
  }

  @Test
  void refusesSubnetsThatWouldHijackTraffic() {
    assertEquals(RecordValidator.SUBNET_OUTSIDE_CLUSTER, check(node("evil", "192.168.1.66", "0.0.0.0/0")).code());
    assertEquals(RecordValidator.SUBNET_OUTSIDE_CLUSTER, check(node("evil", "192.168.1.66", "10.245.0.0/24")).code());
    assertEquals(RecordValidator.SUBNET_WRONG_SIZE, check(node("evil", "192.168.1.66", "10.244.0.0/16")).code());
    assertEquals(RecordValidator.SUBNET_WRONG_SIZE, check(node("evil", "192.168.1.66", "10.244.9.128/25")).code());

    Verdict ours = check(node("evil", "192.168.1.66", "10.244.1.0/24"));
    assertEquals(RecordValidator.SUBNET_OVERLAP, ours.code());
    assertEquals("pod subnet 10.244.1.0/24 of evil overlaps this node's subnet 10.244.1.0/24", ours.reason());
    Verdict theirs = check(node("evil", "192.168.1.66", "10.244.3.0/24"));
    assertEquals("pod subnet 10.244.3.0/24 of evil overlaps node-3's subnet 10.244.3.0/24", theirs.reason());
  }

  @Test
  void refusesNodeIpsThatAreNoUnicastHost() {
    for (String bad : new String[] {"0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255",
        "240.0.0.1", "127.0.0.1", "169.254.169.254", "10.244.7.1", "192.168.1.11", "fd00::1"}) {
      Verdict v = check(node("node-9", bad, "10.244.9.0/24"));
      assertEquals(RecordValidator.BAD_NODE_IP, v.code(), bad + " -> " + v);
      assertTrue(v.reason().startsWith("node IP "), v.reason());
    }
  }

  @Test
  void loopbackIsAllowedOnlyWhenTheContextSaysSo() {
    NodeRecord local = node("node-9", "127.0.0.9", "10.244.9.0/24");
    assertFalse(check(local).accepted());
    assertTrue(validator.validate(local, context.withLoopbackAllowed(true)).accepted());
  }

  @Test
  void refusesBadNamesAndVersions() {
    assertEquals(RecordValidator.BAD_NAME, check(named("", "h", "0.1")).code());
    assertEquals(RecordValidator.BAD_NAME, check(named("Node-2", "h", "0.1")).code());
    assertEquals(RecordValidator.BAD_NAME, check(named("-node", "h", "0.1")).code());
    assertEquals(RecordValidator.BAD_NAME, check(named("a".repeat(254), "h", "0.1")).code());
    assertEquals(RecordValidator.BAD_NAME, check(named("node-1", "h", "0.1")).code(), "this node's own name");
    assertEquals(RecordValidator.BAD_HOSTNAME, check(named("node-2", "host name", "0.1")).code());
    assertEquals(RecordValidator.BAD_AGENT_VERSION, check(named("node-2", "h", "")).code());
    assertEquals(RecordValidator.BAD_AGENT_VERSION, check(named("node-2", "h", "1.0\n[INFO] forged")).code());
    assertEquals(RecordValidator.BAD_AGENT_VERSION, check(named("node-2", "h", "v".repeat(65))).code());
    Verdict v = check(named("node\u001b[2J", "h", "0.1"));
    assertTrue(v.reason().contains("\\u001b"), "control characters are escaped in the reason: " + v.reason());
  }
}
