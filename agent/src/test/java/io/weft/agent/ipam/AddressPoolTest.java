package io.weft.agent.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Cidr;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AddressPoolTest {
  static final Cidr SUBNET = Cidr.parse("10.244.1.0/24");

  @Test
  void reservedOffsets() {
    assertFalse(AddressPool.assignable(SUBNET, 0));
    assertFalse(AddressPool.assignable(SUBNET, 1));
    assertTrue(AddressPool.assignable(SUBNET, 2));
    assertTrue(AddressPool.assignable(SUBNET, 254));
    assertFalse(AddressPool.assignable(SUBNET, 255));
  }

  @Test
  void nextSearchesAfterTheLastAndWraps() {
    assertEquals(2, AddressPool.next(SUBNET, 1, Set.of()));
    assertEquals(5, AddressPool.next(SUBNET, 4, Set.of()));
    assertEquals(7, AddressPool.next(SUBNET, 4, Set.of(5L, 6L)));
    assertEquals(2, AddressPool.next(SUBNET, 254, Set.of()));
    assertEquals(3, AddressPool.next(SUBNET, 254, Set.of(2L)));
  }

  @Test
  void noneWhenFull() {
    Cidr tiny = Cidr.parse("10.244.1.0/30"); // only .2
    assertEquals(2, AddressPool.next(tiny, 2, Set.of()));
    assertEquals(-1, AddressPool.next(tiny, 2, Set.of(2L)));
  }
}
