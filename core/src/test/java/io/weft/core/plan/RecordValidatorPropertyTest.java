package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.cidr;
import static io.weft.core.plan.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

class RecordValidatorPropertyTest {
  private static final Set<String> CODES = Set.of(RecordValidator.BAD_NAME, RecordValidator.BAD_HOSTNAME,
      RecordValidator.BAD_AGENT_VERSION, RecordValidator.BAD_NODE_IP, RecordValidator.SUBNET_OUTSIDE_CLUSTER,
      RecordValidator.SUBNET_WRONG_SIZE, RecordValidator.SUBNET_OVERLAP);
  private static final NodeRecord SELF = node("self", "192.168.1.11", "10.244.1.0/24");
  private static final Map<String, Cidr> OWNERS = Map.of("self", cidr("10.244.1.0/24"),
      "node-2", cidr("10.244.2.0/24"), "node-3", cidr("10.244.3.0/24"));
  private final RecordValidator validator = new RecordValidator();

  /** Mostly valid names, so that the later rules get exercised too. */
  @Provide
  Arbitrary<String> names() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.of("node-2", "node-3", "node-4", "a.b-c.d", "x", "n0")),
        Tuple.of(1, Arbitraries.of("self")),
        Tuple.of(2, Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-', '.')
            .ofMinLength(1).ofMaxLength(20)),
        Tuple.of(1, Arbitraries.strings().all().ofMaxLength(8)),
        Tuple.of(1, Arbitraries.strings().withCharRange('a', 'c').ofLength(254)));
  }

  @Provide
  Arbitrary<String> versions() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.of("0.1.0", "1.2.3-rc.1+abc")),
        Tuple.of(1, Arbitraries.strings().all().ofMaxLength(8)),
        Tuple.of(1, Arbitraries.strings().withCharRange('!', '~').ofMinLength(60).ofMaxLength(70)));
  }

  @Provide
  Arbitrary<InetAddress> addresses() {
    Arbitrary<byte[]> anyIp = Arbitraries.bytes().array(byte[].class).ofSize(4);
    Arbitrary<byte[]> lanIp = Arbitraries.bytes().map(b -> new byte[] {(byte) 192, (byte) 168, 1, b});
    Arbitrary<byte[]> v6 = Arbitraries.bytes().array(byte[].class).ofSize(16);
    return Arbitraries.frequencyOf(
            Tuple.of(5, lanIp), Tuple.of(4, anyIp), Tuple.of(1, v6))
        .map(bytes -> {
          try {
            return InetAddress.getByAddress(bytes);
          } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Provide
  Arbitrary<Cidr> subnets() {
    Arbitrary<Cidr> inside = Arbitraries.integers().between(0, 255).map(Fixtures::podSubnet);
    Arbitrary<Cidr> anywhere = Combinators.combine(addresses(), Arbitraries.integers().between(0, 32))
        .as((a, len) -> Cidr.of(a, a instanceof Inet4Address ? len : len * 4));
    Arbitrary<Cidr> anySize = Combinators.combine(inside, Arbitraries.integers().between(16, 30))
        .as((c, len) -> Cidr.of(c.network(), len));
    return Arbitraries.frequencyOf(Tuple.of(6, inside), Tuple.of(1, anySize), Tuple.of(1, anywhere));
  }

  @Property(tries = 1000)
  void acceptedRecordsKeepEveryRule(@ForAll("names") String name, @ForAll("names") String hostname,
      @ForAll("addresses") InetAddress nodeIp, @ForAll("subnets") Cidr subnet,
      @ForAll("versions") String agentVersion, @ForAll boolean allowLoopback) {
    NodeRecord r = new NodeRecord(name, hostname, nodeIp, Fixtures.macFor(name), subnet, SubnetSource.ALLOCATED,
        1, 1, agentVersion, 0);
    ValidationContext context = ValidationContext.of(CLUSTER, 24, SELF, OWNERS).withLoopbackAllowed(allowLoopback);
    Verdict verdict = validator.validate(r, context);
    // Guard against a generator that only ever produces rejected records.
    Statistics.label("verdict").collect(verdict.code()).coverage(c -> c.check(Verdict.OK).percentage(p -> p > 5));

    if (!verdict.accepted()) {
      assertTrue(CODES.contains(verdict.code()), verdict::toString);
      assertFalse(verdict.reason().isBlank());
      return;
    }
    assertTrue(isDnsName(name) && !name.equals("self"), () -> "bad name accepted: " + r);
    assertTrue(isDnsName(hostname), () -> "bad hostname accepted: " + r);
    assertTrue(!agentVersion.isEmpty() && agentVersion.length() <= 64
        && agentVersion.chars().allMatch(c -> c > 0x20 && c < 0x7f), () -> "bad version accepted: " + r);
    assertTrue(isUnicastHost(nodeIp, allowLoopback), () -> "bad node IP accepted: " + r);
    assertTrue(CLUSTER.contains(subnet) && subnet.prefixLength() == 24, () -> "bad subnet accepted: " + r);
    assertFalse(subnet.overlaps(SELF.podSubnet()), () -> "own subnet accepted: " + r);
    OWNERS.forEach((owner, s) -> assertTrue(owner.equals(name) || !s.overlaps(subnet),
        () -> "subnet of " + owner + " accepted: " + r));
  }

  /** The rules restated independently, on the raw bytes. */
  private static boolean isUnicastHost(InetAddress ip, boolean allowLoopback) {
    if (!(ip instanceof Inet4Address)) {
      return false;
    }
    byte[] b = ip.getAddress();
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    return first != 0 && first < 224 && (allowLoopback || first != 127) && !(first == 169 && second == 254)
        && !(first == 10 && second == 244) && !ip.equals(SELF.nodeIp());
  }

  private static boolean isDnsName(String s) {
    if (s.isEmpty() || s.length() > 253) {
      return false;
    }
    for (String label : s.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
          || !label.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }
}
