package io.weft.agent.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.egress.EgressPlan;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.dataplane.Vxlan;
import io.weft.dataplane.memory.InMemoryDataplane;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CleanupTest {
  @TempDir
  Path tmp;

  @Test
  void removesOnlyWeftRoutesTheBridgeAndTheCniFiles() throws Exception {
    InMemoryDataplane kernel = new InMemoryDataplane();
    kernel.addLink("eth0", null, 1500);
    kernel.links().ensureBridge("v-net-0", 1500);
    kernel.links().createVxlan(new Vxlan("weft.vxlan", 87, 4789, (Inet4Address) IpAddresses.parse("192.168.1.11"),
        false, 1450, null));
    Route ours = Route.via(Cidr.parse("10.244.2.0/24"), IpAddresses.parse("192.168.1.12"), "eth0");
    Route unreachable = Route.unreachable(Cidr.parse("10.244.0.0/16"));
    Route foreign = new Route(Cidr.parse("10.244.3.0/24"), Route.Type.UNICAST, IpAddresses.parse("192.168.1.13"), "eth0", 4, 254);
    kernel.routes().add(ours);
    kernel.routes().add(unreachable);
    kernel.addForeignRoute(foreign);
    Path conf = Files.writeString(tmp.resolve("10-weft.conflist"), "{}");
    Path bin = Files.writeString(tmp.resolve("weft"), "#!/bin/sh");
    Path other = Files.writeString(tmp.resolve("10-other.conflist"), "{}");

    kernel.packetFilter().converge(new EgressPlan(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.244.0.0/16"), List.of(), true));

    Cleanup.Result r = Cleanup.run(kernel, "v-net-0", List.of(conf, bin));

    assertEquals(List.of(foreign), kernel.routesSnapshot());
    assertEquals(1, r.filterTablesCleaned());
    assertTrue(kernel.filterPlan().isEmpty());
    assertEquals(2, r.routesRemoved().size());
    assertTrue(r.bridgeRemoved());
    assertTrue(kernel.links().byName("v-net-0").isEmpty());
    assertTrue(r.tunnelRemoved());
    assertTrue(kernel.links().byName("weft.vxlan").isEmpty());
    assertTrue(kernel.links().byName("eth0").isPresent());
    assertFalse(Files.exists(conf) || Files.exists(bin));
    assertTrue(Files.exists(other));
    assertTrue(r.errors().isEmpty(), r.errors().toString());

    Cleanup.Result again = Cleanup.run(kernel, "v-net-0", List.of(conf, bin));
    assertTrue(again.routesRemoved().isEmpty() && !again.bridgeRemoved() && again.filesRemoved().isEmpty()
        && again.errors().isEmpty(), "a second run finds nothing and fails nothing");
  }

  @Test
  void aLinkOfThatNameThatIsNotABridgeIsLeftAlone() {
    InMemoryDataplane kernel = new InMemoryDataplane();
    kernel.addLink("v-net-0", "dummy", 1500);
    kernel.addLink("weft.vxlan", "veth", 1500);
    Cleanup.Result r = Cleanup.run(kernel, "v-net-0", List.of());
    assertFalse(r.bridgeRemoved());
    assertFalse(r.tunnelRemoved());
    assertTrue(kernel.links().byName("v-net-0").isPresent());
    assertTrue(kernel.links().byName("weft.vxlan").isPresent());
    assertEquals(2, r.notes().size());
  }
}
