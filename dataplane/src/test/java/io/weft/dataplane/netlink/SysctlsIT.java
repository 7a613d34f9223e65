package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * /proc/sys/net follows the network namespace of the thread that opens the file: a handle in namespace A
 * changes A's value, as {@code ip netns exec A sysctl} reads it, and neither B's nor the host's.
 */
@RequiresRoot
class SysctlsIT {
  TestNetns a;
  TestNetns b;
  NetlinkDataplane dp;

  @BeforeEach
  void namespaces() {
    a = TestNetns.create("sysa");
    b = TestNetns.create("sysb");
    a.ip("link", "add", "v-net-0", "type", "bridge");
    dp = NetlinkDataplane.in(a.path());
  }

  @AfterEach
  void cleanup() {
    if (dp != null) {
      dp.close();
    }
    for (TestNetns ns : new TestNetns[] {a, b}) {
      if (ns != null) {
        ns.close();
      }
    }
  }

  @Test
  void readsAndWritesTheNamespacesOwnValues() throws Exception {
    String hostBefore = Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).trim();
    assertEquals("0", dp.sysctls().get("net.ipv4.ip_forward"));

    dp.sysctls().set("net.ipv4.ip_forward", "1");
    assertEquals("1", a.exec("sysctl", "-n", "net.ipv4.ip_forward").trim());
    assertEquals("0", b.exec("sysctl", "-n", "net.ipv4.ip_forward").trim());
    assertEquals(hostBefore, Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).trim());
    assertEquals("1", dp.sysctls().get("net.ipv4.ip_forward"));

    dp.sysctls().set("net.ipv4.conf.v-net-0.arp_notify", "1");
    assertEquals("1", a.exec("sysctl", "-n", "net.ipv4.conf.v-net-0.arp_notify").trim());
    assertThrows(NotFoundException.class, () -> dp.sysctls().get("net.ipv4.conf.nope0.arp_notify"));
  }
}
