package io.weft.dataplane.netlink;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.Link;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A handle opened in another namespace works there and leaves the caller's thread where it was. */
@RequiresRoot
class NamespacesIT {
  TestNetns ns;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create("ns");
    ns.ip("link", "add", "only-here", "type", "bridge");
  }

  @AfterEach
  void cleanup() {
    if (ns != null) {
      ns.close();
    }
  }

  @Test
  void socketsLiveInTheNamespaceAndTheCallerNeverMoves() throws Exception {
    Path self = Path.of("/proc/thread-self/ns/net");
    Path before = Files.readSymbolicLink(self);
    try (NetlinkDataplane dp = NetlinkDataplane.in(ns.path())) {
      assertEquals(before, Files.readSymbolicLink(self));
      Set<String> kernel = StreamSupport.stream(ns.json("link", "show").spliterator(), false)
          .map(l -> l.get("ifname").asText()).collect(Collectors.toSet());
      assertEquals(kernel, dp.links().list().stream().map(Link::name).collect(Collectors.toSet()));
      dp.sysctls().get("net.ipv4.ip_forward");
      dp.events().close();
      assertEquals(before, Files.readSymbolicLink(self));
      // the handle's socket stays in the namespace whatever thread uses it
      Thread t = new Thread(() -> dp.links().byName("only-here").orElseThrow());
      t.start();
      t.join();
    }
    assertEquals(before, Files.readSymbolicLink(self));
  }

  @Test
  void aHandleOpensThroughTheNamespaceOfAProcess() throws Exception {
    // `ip netns exec` enters the namespace, then execs sleep in the same process: /proc/PID/ns/net is the namespace
    Process p = new ProcessBuilder("ip", "netns", "exec", ns.name(), "sleep", "60").start();
    try {
      Path procNs = Path.of("/proc", Long.toString(p.pid()), "ns", "net");
      Path mine = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
      await().atMost(Duration.ofSeconds(5)).until(() -> !Files.readSymbolicLink(procNs).equals(mine));
      try (NetlinkDataplane dp = NetlinkDataplane.in(procNs)) {
        assertTrue(dp.links().byName("only-here").isPresent(), "the handle sees the process's namespace");
        dp.sysctls().set("net.ipv4.conf.only-here.arp_notify", "1");
        assertEquals("1", ns.exec("sysctl", "-n", "net.ipv4.conf.only-here.arp_notify").trim());
      }
      assertEquals(mine, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")));
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aMissingNamespaceIsNotFound() {
    NotFoundException e = assertThrows(NotFoundException.class, () -> NetlinkDataplane.in(Path.of("/run/netns/wdp-missing")));
    assertEquals(true, e.getMessage().contains("/run/netns/wdp-missing"), e.getMessage());
  }
}
