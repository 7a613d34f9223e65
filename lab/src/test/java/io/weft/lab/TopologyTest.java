package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopologyTest {
  private final Topology topology = Topology.DEFAULT;

  @Test
  void namesAndAddressesFollowTheSeedPicture() {
    assertEquals("wlab-lan", topology.lanNetns());
    assertEquals("wlab-n1", topology.nodeName(1));
    assertEquals("192.168.1.11", topology.nodeIp(1));
    assertEquals("192.168.1.13", topology.nodeIp(3));
    assertEquals("wlab-n2-p1", topology.podName(2, 1));
  }

  @Test
  void everythingTheLabNamesCarriesThePrefix() {
    for (String name : new String[] {topology.lanNetns(), topology.nodeName(7), topology.podName(7, 3)}) {
      assertTrue(topology.owns(name), name);
    }
    assertFalse(topology.owns("vm"));
    assertFalse(topology.owns("wlab"));
  }

  @Test
  void macsAreUniqueAndLocallyAdministered() {
    Set<String> macs = new HashSet<>();
    for (int i = 1; i <= 200; i++) {
      String mac = topology.nodeMac(i);
      assertTrue(macs.add(mac), mac);
      // Bit 1 of the first octet set, bit 0 clear: locally administered unicast.
      assertEquals(2, Integer.parseInt(mac.substring(0, 2), 16) & 3);
    }
  }

  @Test
  void nodeIndexOutsideTheLanIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> topology.nodeIp(0));
    assertThrows(IllegalArgumentException.class, () -> topology.nodeIp(246));
  }
}
