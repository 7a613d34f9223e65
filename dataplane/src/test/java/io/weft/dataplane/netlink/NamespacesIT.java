package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.Link;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
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
  void aMissingNamespaceIsNotFound() {
    NotFoundException e = assertThrows(NotFoundException.class, () -> NetlinkDataplane.in(Path.of("/run/netns/wdp-missing")));
    assertEquals(true, e.getMessage().contains("/run/netns/wdp-missing"), e.getMessage());
  }
}
