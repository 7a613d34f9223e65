package io.weft.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CidrTest {
  @Test
  void parsesCanonicalPrefixes() {
    Cidr c = Cidr.parse("10.244.1.0/24");
    assertEquals("10.244.1.0/24", c.toString());
    assertEquals(24, c.prefixLength());
    assertEquals("10.244.1.1", c.host(1).getHostAddress());
    assertEquals(1, c.offsetOf(c.host(1)));
  }

  @Test
  void refusesHostBitsAndGarbage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.244.1.5/24"));
    assertTrue(e.getMessage().contains("10.244.1.0/24"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.244.1.0"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("banana/24"));
  }

  @Test
  void splitsAndIndexesSubnets() {
    Cidr cluster = Cidr.parse("10.244.0.0/16");
    assertEquals(256, cluster.subnetCount(24));
    assertEquals(Cidr.parse("10.244.3.0/24"), cluster.subnet(24, 3));
    assertEquals(3, Cidr.parse("10.244.3.0/24").indexWithin(cluster));
    assertEquals(256, cluster.subnets(24).count());
    assertTrue(cluster.contains(Cidr.parse("10.244.3.0/24")));
    assertFalse(Cidr.parse("10.244.3.0/24").contains(cluster));
    assertTrue(cluster.overlaps(Cidr.parse("10.244.3.0/24")));
    assertFalse(Cidr.parse("10.244.3.0/24").overlaps(Cidr.parse("10.244.4.0/24")));
  }
}
