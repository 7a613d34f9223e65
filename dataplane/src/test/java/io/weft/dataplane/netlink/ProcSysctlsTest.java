package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProcSysctlsTest {

  @Test
  void dottedKeysBecomeProcPaths() {
    assertEquals(Path.of("/proc/sys/net/ipv4/ip_forward"), ProcSysctls.path("net.ipv4.ip_forward"));
    assertEquals(Path.of("/proc/sys/net/ipv4/conf/v-net-0/arp_notify"), ProcSysctls.path("net.ipv4.conf.v-net-0.arp_notify"));
  }

  @Test
  void slashedKeysKeepDotsInInterfaceNames() {
    assertEquals(Path.of("/proc/sys/net/ipv4/conf/eth0.100/rp_filter"), ProcSysctls.path("net/ipv4/conf/eth0.100/rp_filter"));
  }

  @Test
  void onlyNetworkKeysWithoutEscapes() {
    assertThrows(IllegalArgumentException.class, () -> ProcSysctls.path("kernel.hostname"));
    assertThrows(IllegalArgumentException.class, () -> ProcSysctls.path("net/../../etc/passwd"));
    assertThrows(IllegalArgumentException.class, () -> ProcSysctls.path(null));
  }
}
