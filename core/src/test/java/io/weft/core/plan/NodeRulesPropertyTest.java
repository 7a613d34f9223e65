package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The node-address rule, against the ranges it names, and as RecordValidator applies it to peers. */
class NodeRulesPropertyTest {
  private static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");

  /** The IANA special ranges the rule is about, by their leading octets. */
  private static Optional<NodeRules.Unroutable> expected(int a, int b) {
    if (a == 0) {
      return Optional.of(NodeRules.Unroutable.THIS_NETWORK);
    }
    if (a == 127) {
      return Optional.of(NodeRules.Unroutable.LOOPBACK);
    }
    if (a == 169 && b == 254) {
      return Optional.of(NodeRules.Unroutable.LINK_LOCAL);
    }
    if (a >= 224 && a <= 239) {
      return Optional.of(NodeRules.Unroutable.MULTICAST);
    }
    if (a >= 240) {
      return Optional.of(NodeRules.Unroutable.RESERVED);
    }
    return Optional.empty();
  }

  @Property(tries = 1000)
  void everyIpv4AddressFallsWhereItsRangeSays(@ForAll @IntRange(max = 255) int a, @ForAll @IntRange(max = 255) int b,
      @ForAll @IntRange(max = 255) int c, @ForAll @IntRange(max = 255) int d) throws Exception {
    InetAddress ip = InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    assertEquals(expected(a, b), NodeRules.unroutable(ip));
  }

  @Property(tries = 1000)
  void peersRefuseExactlyTheNodeIpsTheRuleRefuses(@ForAll @IntRange(max = 255) int a, @ForAll @IntRange(max = 255) int b,
      @ForAll @IntRange(max = 255) int d, @ForAll boolean allowLoopback) throws Exception {
    InetAddress ip = InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, 7, (byte) d});
    NodeRecord self = Fixtures.node("self", "192.168.1.1", "10.244.1.0/24");
    NodeRecord peer = Fixtures.node("peer", ip, Cidr.parse("10.244.2.0/24"));
    if (CLUSTER.contains(ip) || ip.equals(self.nodeIp())) {
      return;
    }
    ValidationContext context = ValidationContext.of(CLUSTER, 24, self, Map.of()).withLoopbackAllowed(allowLoopback);
    boolean refused = new RecordValidator().validate(peer, context).code().equals(RecordValidator.BAD_NODE_IP);
    boolean ruleRefuses = NodeRules.unroutable(ip).filter(w -> !(allowLoopback && w == NodeRules.Unroutable.LOOPBACK)).isPresent();
    assertEquals(ruleRefuses, refused, ip.getHostAddress());
  }
}
