package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.MacAddress;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NoSuchDeviceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code Links.setMac} against the kernel of a namespace made for each test ({@code wcni2-mac-*}, the CNI
 * plugin's prefix); {@code ip -j link} is the oracle.
 */
@RequiresRoot
class NetlinkLinkMacIT {
  private static final String PREFIX = "wcni2-";
  TestNetns node;
  TestNetns pod;
  NetlinkDataplane dp;

  @BeforeEach
  void namespaces() {
    node = TestNetns.create(PREFIX, "mac");
    pod = TestNetns.create(PREFIX, "macpod");
    dp = NetlinkDataplane.in(node.path());
  }

  @AfterEach
  void cleanup() {
    if (dp != null) {
      dp.close();
    }
    for (TestNetns ns : new TestNetns[] {node, pod}) {
      if (ns != null) {
        ns.close();
      }
    }
  }

  private static String kernelMac(TestNetns ns, String name) {
    return ns.json("link", "show", "dev", name).get(0).get("address").asText();
  }

  @Test
  void setsTheAddressOfADownAndOfAnUpLink() {
    dp.links().createVeth("weft0000mac0", "eth0", null, 1500);
    MacAddress first = MacAddress.parse("0a:58:0a:f4:01:05");
    dp.links().setMac("eth0", first);
    assertEquals(first.toString(), kernelMac(node, "eth0"));
    assertEquals(first, dp.links().byName("eth0").orElseThrow().mac());

    dp.links().setUp("eth0");
    MacAddress second = MacAddress.parse("0a:58:0a:f4:01:06");
    dp.links().setMac("eth0", second);
    assertEquals(second.toString(), kernelMac(node, "eth0"));
    assertNotEquals(second.toString(), kernelMac(node, "weft0000mac0"), "the peer keeps its own");
  }

  @Test
  void setsTheAddressOfAVethEndInAPodNamespace() {
    dp.links().createVeth("weft0000mac1", "eth0", pod.path(), 1500);
    try (NetlinkDataplane inPod = NetlinkDataplane.in(pod.path())) {
      inPod.links().setMac("eth0", MacAddress.parse("02:00:00:00:be:ef"));
      assertEquals("02:00:00:00:be:ef", kernelMac(pod, "eth0"));
    }
  }

  @Test
  void refusesWhatTheKernelRefusesAndNamesTheStep() {
    dp.links().createVeth("weft0000mac2", "eth0", null, 1500);
    NetlinkException multicast = assertThrows(NetlinkException.class,
        () -> dp.links().setMac("eth0", MacAddress.parse("01:00:5e:00:00:01")));
    assertEquals(NetlinkException.EADDRNOTAVAIL, multicast.errno());
    assertTrue(multicast.getMessage().startsWith(
        "could not set address 01:00:5e:00:00:01 on link eth0: cannot assign requested address"), multicast.getMessage());
    NoSuchDeviceException missing = assertThrows(NoSuchDeviceException.class,
        () -> dp.links().setMac("nope0", MacAddress.parse("02:00:00:00:00:01")));
    assertEquals("could not set address 02:00:00:00:00:01 on link nope0: no such device (no link named nope0)",
        missing.getMessage());
  }
}
