package io.weft.agent.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpamTest {
  static final Cidr SUBNET = Cidr.parse("10.244.3.0/24");
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
  @TempDir Path state;

  static AttachmentKey key(int i) {
    return new AttachmentKey("c" + i, "eth0");
  }

  @Test
  void handsOutFromDot2AndNeverTheReservedOnes() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    Set<InetAddress> seen = new HashSet<>();
    for (int i = 0; i < 253; i++) {
      Allocation a = ipam.allocate(key(i), "default/p" + i, Optional.empty());
      if (i == 0) {
        assertEquals(IpAddresses.parse("10.244.3.2"), a.address());
      }
      assertTrue(seen.add(a.address()));
    }
    assertFalse(seen.contains(IpAddresses.parse("10.244.3.0")));
    assertFalse(seen.contains(IpAddresses.parse("10.244.3.1")));
    assertFalse(seen.contains(IpAddresses.parse("10.244.3.255")));
    IpamException full = assertThrows(IpamException.class, () -> ipam.allocate(key(999), "", Optional.empty()));
    assertEquals(IpamException.Reason.EXHAUSTED, full.reason());
    assertEquals("no free address left in pod subnet 10.244.3.0/24 (253 allocated)", full.getMessage());
  }

  @Test
  void sameAttachmentGetsTheSameAddress() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    Allocation a = ipam.allocate(key(1), "", Optional.empty());
    assertEquals(a, ipam.allocate(key(1), "", Optional.empty()));
    assertNotEquals(a.address(), ipam.allocate(new AttachmentKey("c1", "net1"), "", Optional.empty()).address());
  }

  @Test
  void aReleasedAddressIsNotHandedOutAgainAtOnce() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    Allocation first = ipam.allocate(key(1), "", Optional.empty());
    ipam.allocate(key(2), "", Optional.empty());
    assertEquals(Optional.of(first), ipam.release(key(1)));
    assertEquals(IpAddresses.parse("10.244.3.4"), ipam.allocate(key(3), "", Optional.empty()).address());
    assertEquals(Optional.empty(), ipam.release(key(1)), "a second release is a no-op");
  }

  @Test
  void roundRobinWrapsToFreedAddresses() throws Exception {
    Ipam ipam = Ipam.open(state, Cidr.parse("10.244.3.0/29"), CLOCK); // .2 .. .6
    for (int i = 0; i < 5; i++) {
      ipam.allocate(key(i), "", Optional.empty());
    }
    ipam.release(key(1)); // .3
    assertEquals(IpAddresses.parse("10.244.3.3"), ipam.allocate(key(9), "", Optional.empty()).address());
  }

  @Test
  void requestedAddresses() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    InetAddress want = IpAddresses.parse("10.244.3.77");
    assertEquals(want, ipam.allocate(key(1), "", Optional.of(want)).address());
    assertEquals(IpamException.Reason.UNAVAILABLE,
        assertThrows(IpamException.class, () -> ipam.allocate(key(2), "", Optional.of(want))).reason());
    assertThrows(IpamException.class, () -> ipam.allocate(key(3), "", Optional.of(IpAddresses.parse("10.244.3.1"))));
    assertThrows(IpamException.class, () -> ipam.allocate(key(3), "", Optional.of(IpAddresses.parse("10.244.3.255"))));
    assertThrows(IpamException.class, () -> ipam.allocate(key(3), "", Optional.of(IpAddresses.parse("10.244.4.7"))));
    assertThrows(IpamException.class, () -> ipam.allocate(key(1), "", Optional.of(IpAddresses.parse("10.244.3.78"))));
    assertEquals(IpAddresses.parse("10.244.3.2"), ipam.allocate(key(4), "", Optional.empty()).address(),
        "a requested address does not move the round-robin position");
  }

  @Test
  void survivesAReload() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    List<Allocation> made = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      made.add(ipam.allocate(key(i), "ns/p" + i, Optional.empty()));
    }
    ipam.release(key(3));
    made.remove(3);
    Ipam reloaded = Ipam.open(state, SUBNET, CLOCK);
    assertEquals(made, reloaded.list());
    assertEquals(IpAddresses.parse("10.244.3.12"), reloaded.allocate(key(20), "", Optional.empty()).address(),
        "the round-robin position survives too");
  }

  @Test
  void leftoversOfACrashAreCleanedUp() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    ipam.allocate(key(1), "", Optional.empty());
    Path dir = state.resolve("ipam/10.244.3.0_24");
    Files.writeString(dir.resolve("10.244.3.9.tmp"), "{\"contain");   // killed mid-write
    Files.writeString(dir.resolve("10.244.3.10"), "not json");        // damaged by hand
    Files.writeString(dir.resolve("10.244.3.1"), "{\"containerId\":\"x\",\"ifname\":\"eth0\"}"); // the gateway
    Ipam reloaded = Ipam.open(state, SUBNET, CLOCK);
    assertEquals(1, reloaded.list().size());
    assertFalse(Files.exists(dir.resolve("10.244.3.9.tmp")));
    assertTrue(Files.exists(dir.resolve("10.244.3.10.bad")));
    assertFalse(Files.exists(dir.resolve("10.244.3.1")));
  }

  @Test
  void staleAttachmentsAreThoseNotListed() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    for (int i = 0; i < 4; i++) {
      ipam.allocate(key(i), "", Optional.empty());
    }
    assertEquals(Set.of(key(1), key(3)), ipam.stale(Set.of(key(0), key(2), key(7))));
  }

  @Test
  void randomAllocationsAndReleasesNeverDuplicateAndSurviveReloads() throws Exception {
    Cidr small = Cidr.parse("10.244.9.0/27"); // 29 assignable: exhaustion happens often
    for (long seed = 0; seed < 4; seed++) {
      Path dir = Files.createTempDirectory(state, "seed" + seed);
      Random random = new Random(seed);
      Ipam ipam = Ipam.open(dir, small, CLOCK);
      Map<AttachmentKey, InetAddress> model = new HashMap<>();
      for (int step = 0; step < 150; step++) {
        AttachmentKey k = key(random.nextInt(40));
        int action = random.nextInt(10);
        if (action < 6) {
          try {
            Allocation a = ipam.allocate(k, "", Optional.empty());
            InetAddress before = model.putIfAbsent(k, a.address());
            if (before != null) {
              assertEquals(before, a.address(), "an attachment keeps its address");
            }
          } catch (IpamException e) {
            assertEquals(IpamException.Reason.EXHAUSTED, e.reason());
            assertEquals(29, model.size(), "exhausted only when every assignable address is held");
          }
        } else if (action < 9) {
          assertEquals(Optional.ofNullable(model.remove(k)), ipam.release(k).map(Allocation::address));
        } else {
          ipam = Ipam.open(dir, small, CLOCK);
        }
        Set<InetAddress> distinct = new HashSet<>();
        for (Allocation a : ipam.list()) {
          assertTrue(distinct.add(a.address()), "duplicate " + a.address() + " at seed " + seed + " step " + step);
          long offset = small.offsetOf(a.address());
          assertTrue(offset >= 2 && offset <= 30, "reserved address handed out: " + a.address());
        }
        assertEquals(model.size(), distinct.size());
      }
    }
  }
}
