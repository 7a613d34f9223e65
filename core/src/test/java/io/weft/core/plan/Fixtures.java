package io.weft.core.plan;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Small builders shared by the plan tests. */
final class Fixtures {
  static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");

  private Fixtures() {}

  /** The claims renamed {@code prefix + position}: generated claims, each its own node. */
  static List<Claim> named(String prefix, List<Claim> claims) {
    List<Claim> named = new ArrayList<>();
    for (int i = 0; i < claims.size(); i++) {
      Claim c = claims.get(i);
      named.add(new Claim(prefix + i, c.subnet(), c.source(), c.claimedAtMillis(), c.pinned()));
    }
    return named;
  }

  static Cidr cidr(String text) {
    return Cidr.parse(text);
  }

  static InetAddress ip(String text) {
    return IpAddresses.parse(text);
  }

  /** 10.244.{index}.0/24. */
  static Cidr podSubnet(int index) {
    return CLUSTER.subnet(24, index);
  }

  static NodeRecord node(String name, String nodeIp, String podSubnet) {
    return node(name, ip(nodeIp), cidr(podSubnet));
  }

  static NodeRecord node(String name, InetAddress nodeIp, Cidr podSubnet) {
    return new NodeRecord(name, name, nodeIp, macFor(name), podSubnet, SubnetSource.ALLOCATED, 1, 1,
        "0.1.0", 0);
  }

  /** A locally administered MAC derived from the name, so each fixture node has its own. */
  static MacAddress macFor(String name) {
    byte[] b = Arrays.copyOf(name.getBytes(StandardCharsets.UTF_8), 6);
    b[0] = 0x02;
    return MacAddress.of(b);
  }
}
