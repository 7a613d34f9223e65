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
      Allocation a = ipam.allocate(key(i), "default/p" + i, "", Optional.empty());
      if (i == 0) {
        assertEquals(IpAddresses.parse("10.244.3.2"), a.address());
      }
      assertTrue(seen.add(a.address()));
    }
    assertFalse(seen.contains(IpAddresses.parse("10.244.3.0")));
    assertFalse(seen.contains(IpAddresses.parse("10.244.3.1")));
    assertFalse(seen.contains(IpAddresses.parse("10.244.3.255")));
    IpamException full = assertThrows(IpamException.class, () -> ipam.allocate(key(999), "", "", Optional.empty()));
    assertEquals(IpamException.Reason.EXHAUSTED, full.reason());
    assertEquals("no free address left in pod subnet 10.244.3.0/24 (253 allocated)", full.getMessage());
  }

  @Test
  void sameAttachmentGetsTheSameAddress() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    Allocation a = ipam.allocate(key(1), "", "", Optional.empty());
    assertEquals(a, ipam.allocate(key(1), "", "", Optional.empty()));
    assertNotEquals(a.address(), ipam.allocate(new AttachmentKey("c1", "net1"), "", "", Optional.empty()).address());
  }

  @Test
  void aReleasedAddressIsNotHandedOutAgainAtOnce() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    Allocation first = ipam.allocate(key(1), "", "", Optional.empty());
    ipam.allocate(key(2), "", "", Optional.empty());
    assertEquals(Optional.of(first), ipam.release(key(1)));
    assertEquals(IpAddresses.parse("10.244.3.4"), ipam.allocate(key(3), "", "", Optional.empty()).address());
    assertEquals(Optional.empty(), ipam.release(key(1)), "a second release is a no-op");
  }

  @Test
  void roundRobinWrapsToFreedAddresses() throws Exception {
    Ipam ipam = Ipam.open(state, Cidr.parse("10.244.3.0/29"), CLOCK); // .2 .. .6
    for (int i = 0; i < 5; i++) {
      ipam.allocate(key(i), "", "", Optional.empty());
    }
    ipam.release(key(1)); // .3
    assertEquals(IpAddresses.parse("10.244.3.3"), ipam.allocate(key(9), "", "", Optional.empty()).address());
  }

  @Test
  void requestedAddresses() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    InetAddress want = IpAddresses.parse("10.244.3.77");
    assertEquals(want, ipam.allocate(key(1), "", "", Optional.of(want)).address());
    assertEquals(IpamException.Reason.UNAVAILABLE,
        assertThrows(IpamException.class, () -> ipam.allocate(key(2), "", "", Optional.of(want))).reason());
    assertThrows(IpamException.class, () -> ipam.allocate(key(3), "", "", Optional.of(IpAddresses.parse("10.244.3.1"))));
    assertThrows(IpamException.class, () -> ipam.allocate(key(3), "", "", Optional.of(IpAddresses.parse("10.244.3.255"))));
    assertThrows(IpamException.class, () -> ipam.allocate(key(3), "", "", Optional.of(IpAddresses.parse("10.244.4.7"))));
    assertThrows(IpamException.class, () -> ipam.allocate(key(1), "", "", Optional.of(IpAddresses.parse("10.244.3.78"))));
    assertEquals(IpAddresses.parse("10.244.3.2"), ipam.allocate(key(4), "", "", Optional.empty()).address(),
        "a requested address does not move the round-robin position");
  }

  @Test
  void survivesAReload() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    List<Allocation> made = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      made.add(ipam.allocate(key(i), "ns/p" + i, "", Optional.empty()));
    }
    ipam.release(key(3));
    made.remove(3);
    Ipam reloaded = Ipam.open(state, SUBNET, CLOCK);
    assertEquals(made, reloaded.list());
    assertEquals(IpAddresses.parse("10.244.3.12"), reloaded.allocate(key(20), "", "", Optional.empty()).address(),
        "the round-robin position survives too");
  }

  @Test
  void leftoversOfACrashAreCleanedUp() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    ipam.allocate(key(1), "", "", Optional.empty());
    Path dir = state.resolve("ipam/10.244.3.0_24");
    Files.writeString(dir.resolve("10.244.3.9.tmp"), "{\"contain");   // killed mid-write
    Files.writeString(dir.resolve("10.244.3.1"), "{\"containerId\":\"x\",\"ifname\":\"eth0\"}"); // the gateway
    Ipam reloaded = Ipam.open(state, SUBNET, CLOCK);
    assertEquals(1, reloaded.list().size());
    assertFalse(Files.exists(dir.resolve("10.244.3.9.tmp")));
    assertFalse(Files.exists(dir.resolve("10.244.3.1")));
  }

  @Test
  void anUnreadableRecordKeepsItsAddressReservedUntilReleasedByName() throws Exception {
    Ipam ipam = Ipam.open(state, Cidr.parse("10.244.3.0/29"), CLOCK); // .2 .. .6
    Allocation a = ipam.allocate(key(1), "ns/p1", "/run/netns/p1", Optional.empty());
    Allocation b = ipam.allocate(key(2), "", "", Optional.empty());
    Path dir = state.resolve("ipam/10.244.3.0_29");
    byte[] whole = Files.readAllBytes(dir.resolve(a.address().getHostAddress()));
    Files.write(dir.resolve(a.address().getHostAddress()), java.util.Arrays.copyOf(whole, whole.length / 2)); // truncated
    Files.writeString(dir.resolve(b.address().getHostAddress()), "\u0000\u0007garbage\n");                     // garbled
    Files.write(dir.resolve("10.244.3.6"), new byte[0]);                                                    // empty

    Ipam reloaded = Ipam.open(state, Cidr.parse("10.244.3.0/29"), CLOCK);
    assertEquals(List.of(), reloaded.list());
    assertEquals(List.of(a.address(), b.address(), IpAddresses.parse("10.244.3.6")),
        reloaded.unknownOwners().stream().map(UnknownOwner::address).toList());
    assertTrue(reloaded.unknownOwners().get(0).problem().contains("unreadable allocation file"), reloaded.unknownOwners().toString());
    // Never handed out again: the two free addresses are .4 and .5, then the subnet is full.
    Set<InetAddress> fresh = new HashSet<>();
    for (int i = 3; i < 5; i++) {
      fresh.add(reloaded.allocate(key(i), "", "", Optional.empty()).address());
    }
    assertEquals(Set.of(IpAddresses.parse("10.244.3.4"), IpAddresses.parse("10.244.3.5")), fresh);
    IpamException full = assertThrows(IpamException.class, () -> reloaded.allocate(key(9), "", "", Optional.empty()));
    assertEquals("no free address left in pod subnet 10.244.3.0/29 (2 allocated, 3 reserved with an unreadable record)",
        full.getMessage());
    assertEquals(IpamException.Reason.UNAVAILABLE,
        assertThrows(IpamException.class, () -> reloaded.allocate(key(9), "", "", Optional.of(a.address()))).reason());
    // The file stays (a restart keeps the reservation) until the address is released by name.
    assertEquals(3, Ipam.open(state, Cidr.parse("10.244.3.0/29"), CLOCK).unknownOwners().size());
    assertTrue(reloaded.releaseUnknown(a.address()).isPresent());
    assertTrue(reloaded.releaseUnknown(a.address()).isEmpty());
    assertFalse(Files.exists(dir.resolve(a.address().getHostAddress())));
    assertEquals(a.address(), reloaded.allocate(key(9), "", "", Optional.empty()).address());
  }

  @Test
  void theNamespaceIsKeptWithTheAllocation() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    Allocation a = ipam.allocate(key(1), "ns/p1", "/var/run/netns/p1", Optional.empty());
    assertEquals(List.of(a), Ipam.open(state, SUBNET, CLOCK).list());
    assertEquals("/var/run/netns/p1", a.netns());
  }

  @Test
  void staleAttachmentsAreThoseNotListed() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    for (int i = 0; i < 4; i++) {
      ipam.allocate(key(i), "", "", Optional.empty());
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
            Allocation a = ipam.allocate(k, "", "", Optional.empty());
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
