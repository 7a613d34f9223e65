package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NoSuchDeviceException;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Addresses against the kernel of a namespace made for each test; `ip -j addr` is the oracle. */
@RequiresRoot
class NetlinkAddressesIT {
  TestNetns ns;
  NetlinkDataplane dp;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create("addr");
    ns.ip("link", "add", "v-net-0", "type", "bridge");
    dp = NetlinkDataplane.in(ns.path());
  }

  @AfterEach
  void cleanup() {
    if (dp != null) {
      dp.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  private Set<String> kernel(String family) {
    Set<String> out = new TreeSet<>();
    for (JsonNode l : ns.json("-f", family, "addr", "show")) {
      for (JsonNode a : l.get("addr_info")) {
        out.add(a.get("local").asText() + "/" + a.get("prefixlen").asInt() + " dev " + l.get("ifname").asText());
      }
    }
    return out;
  }

  @Test
  void addListDelete() {
    dp.addresses().add("v-net-0", IpAddresses.parse("10.244.1.1"), 24);
    dp.addresses().add("v-net-0", IpAddresses.parse("10.245.0.1"), 16);
    dp.addresses().add("lo", IpAddresses.parse("fd00::1"), 64);
    assertEquals(kernel("inet"), dp.addresses().listIpv4().stream().map(InterfaceAddress::toString)
        .collect(Collectors.toCollection(TreeSet::new)));
    assertEquals(Set.of("10.244.1.1/24 dev v-net-0", "10.245.0.1/16 dev v-net-0"),
        dp.addresses().list("v-net-0").stream().map(InterfaceAddress::toString).collect(Collectors.toSet()));
    assertEquals(Set.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.245.0.0/16"), Cidr.parse("127.0.0.0/8")),
        dp.addresses().listIpv4().stream().map(InterfaceAddress::network).collect(Collectors.toSet()));
    assertEquals(true, dp.addresses().list(null).stream().anyMatch(a -> a.address().equals(IpAddresses.parse("fd00::1"))));

    assertThrows(AlreadyExistsException.class, () -> dp.addresses().add("v-net-0", IpAddresses.parse("10.244.1.1"), 24));
    assertThrows(NoSuchDeviceException.class, () -> dp.addresses().add("nope0", IpAddresses.parse("10.244.1.1"), 24));

    dp.addresses().delete("v-net-0", IpAddresses.parse("10.245.0.1"), 16);
    assertEquals(Set.of("10.244.1.1/24 dev v-net-0", "127.0.0.1/8 dev lo"), kernel("inet"));
  }
}
