package io.weft.agent;

import static io.weft.agent.converge.FakeMesh.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.converge.PlanningInput;
import io.weft.core.model.Peer;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.dataplane.Addresses;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Links;
import io.weft.dataplane.Neighbours;
import io.weft.dataplane.NetworkEvents;
import io.weft.dataplane.PacketFilter;
import io.weft.dataplane.RouteTable;
import io.weft.dataplane.Sysctls;
import io.weft.dataplane.memory.InMemoryDataplane;
import io.weft.gossip.MeshSnapshot;
import io.weft.gossip.MeshSnapshot.SeedStatus;
import io.weft.gossip.MeshSnapshot.SubnetConflict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preflight, the node bridge, rt_protos.d and the mesh adapter, against the in-memory kernel. */
class NodePreparationTest {
  static final Cidr CLUSTER = Cidr.parse("10.244.0.0/16");

  @TempDir
  Path tmp;

  InMemoryDataplane node() {
    InMemoryDataplane k = new InMemoryDataplane();
    k.addLink("eth0", null, 1500);
    k.addresses().add("eth0", IpAddresses.parse("192.168.1.11"), 24);
    return k;
  }

  @Test
  void preflightTurnsOnForwardingAndReportsStrictRpFilter() {
    InMemoryDataplane k = node();
    k.sysctls().set("net.ipv4.conf.eth0.rp_filter", "1");
    Preflight.Result r = Preflight.run(k, IpAddresses.parseV4("192.168.1.11"));
    assertEquals("1", k.sysctls().get("net.ipv4.ip_forward"));
    assertEquals("eth0", r.uplink());
    assertEquals(k.links().byName("eth0").orElseThrow().mac(), r.mac());
    assertEquals(1, r.problems().size());
    assertTrue(r.problems().get(0).startsWith("strict rp_filter on eth0"), r.problems().get(0));
    assertEquals("1", k.sysctls().get("net.ipv4.conf.eth0.rp_filter"), "reported, not changed");
  }

  @Test
  void forwardingThatCannotBeTurnedOnIsAProblemNotACrash() {
    InMemoryDataplane k = node();
    k.sysctls().set("net.ipv4.ip_forward", "0");
    Sysctls readOnly = new Sysctls() {
      @Override
      public String get(String key) {
        return k.sysctls().get(key);
      }

      @Override
      public void set(String key, String value) {
        throw new IllegalStateException("could not write /proc/sys/net/ipv4/ip_forward: Read-only file system");
      }
    };
    Dataplane container = new Dataplane() {
      @Override
      public RouteTable routes() {
        return k.routes();
      }

      @Override
      public Neighbours neighbours() {
        return k.neighbours();
      }

      @Override
      public PacketFilter packetFilter() {
        return k.packetFilter();
      }

      @Override
      public Links links() {
        return k.links();
      }

      @Override
      public Addresses addresses() {
        return k.addresses();
      }

      @Override
      public Sysctls sysctls() {
        return readOnly;
      }

      @Override
      public NetworkEvents events() {
        return k.events();
      }

      @Override
      public void close() {
        k.close();
      }
    };
    Preflight.Result r = Preflight.run(container, IpAddresses.parseV4("192.168.1.11"));
    assertEquals(1, r.problems().size());
    assertTrue(r.problems().get(0).startsWith("net.ipv4.ip_forward is 0 and could not be turned on (could not write"),
        r.problems().get(0));
    assertTrue(r.problems().get(0).contains("fix: sysctl -w net.ipv4.ip_forward=1"), r.problems().get(0));
  }

  @Test
  void forwardingIsReportedAsItIsNowNotAsItWasAtStart() throws Exception {
    Path procSys = tmp.resolve("sys");
    Files.createDirectories(procSys.resolve("net/ipv4"));
    Path forward = Files.writeString(procSys.resolve("net/ipv4/ip_forward"), "1\n");
    Preflight.Result clean = new Preflight.Result("eth0", null, List.of("strict rp_filter on eth0 ..."));
    assertEquals(List.of("strict rp_filter on eth0 ..."), Preflight.problemsNow(clean, procSys));
    Files.writeString(forward, "0\n");
    List<String> off = Preflight.problemsNow(clean, procSys);
    assertEquals(2, off.size());
    assertTrue(off.get(1).startsWith("net.ipv4.ip_forward is 0 (turned off after weft-agent started)"), off.get(1));

    Preflight.Result failed = new Preflight.Result("eth0", null, List.of("net.ipv4.ip_forward is 0 and could not be turned on (...)"));
    assertEquals(failed.problems(), Preflight.problemsNow(failed, procSys), "still off: the start-up reason stays");
    Files.writeString(forward, "1\n");
    assertEquals(List.of(), Preflight.problemsNow(failed, procSys), "fixed by hand: no longer a problem");
  }

  @Test
  void preflightRefusesANodeIpThatIsNotHere() {
    Preflight.PreflightException e = assertThrows(Preflight.PreflightException.class,
        () -> Preflight.run(node(), IpAddresses.parseV4("192.168.1.99")));
    assertTrue(e.getMessage().contains("192.168.1.99 is not on any interface"), e.getMessage());
  }

  @Test
  void theBridgeHoldsTheGatewayAndFollowsASubnetMove() {
    InMemoryDataplane k = node();
    NodeBridge bridge = new NodeBridge("v-net-0", CLUSTER, () -> { });
    assertEquals(Optional.empty(), bridge.rememberedSubnet(k));
    bridge.ensure(k, Cidr.parse("10.244.1.0/24"), 1450);
    bridge.ensure(k, Cidr.parse("10.244.1.0/24"), 1450);
    assertEquals(List.of("10.244.1.1/24"), addresses(k));
    assertTrue(k.links().byName("v-net-0").orElseThrow().up());
    assertEquals(Optional.of(Cidr.parse("10.244.1.0/24")), bridge.rememberedSubnet(k));
    assertFalse(bridge.hasPods(k));

    bridge.ensure(k, Cidr.parse("10.244.5.0/24"), 1450);
    assertEquals(List.of("10.244.5.1/24"), addresses(k));
  }

  static List<String> addresses(InMemoryDataplane k) {
    return k.addresses().list("v-net-0").stream().map(InterfaceAddress::toString).map(s -> s.replace(" dev v-net-0", "")).toList();
  }

  @Test
  void rtProtosIsWrittenOnlyWhereIproute2Lives() throws Exception {
    assertEquals(Optional.empty(), RtProtos.install(Optional.of(tmp.resolve("no-iproute2/rt_protos.d"))));
    assertEquals(Optional.empty(), RtProtos.install(Optional.empty()));
    Files.createDirectories(tmp.resolve("iproute2"));
    Path file = RtProtos.install(Optional.of(tmp.resolve("iproute2/rt_protos.d"))).orElseThrow();
    assertEquals("87\tweft\n", Files.readString(file));
  }

  @Test
  void theMeshViewLeavesOutTheLosersOfASubnetConflict() {
    var self = record("node-a", "192.168.1.11", "10.244.1.0/24");
    var b = record("node-b", "192.168.1.12", "10.244.2.0/24");
    var c = record("node-c", "192.168.1.13", "10.244.2.0/24");
    MeshSnapshot s = new MeshSnapshot(self, Map.of("node-b", Peer.up(b, 1), "node-c", Peer.up(c, 1)), List.of(),
        List.of(new SubnetConflict(b.podSubnet(), "node-b", List.of("node-c"), "subnet-conflict", "node-c lost")),
        List.of(), new SeedStatus(SeedStatus.State.JOINED, List.of(), 1, 0, "joined"), List.of(), 3, "node-a",
        MeshSnapshot.Counters.ZERO, 1);
    PlanningInput state = GossipMeshView.of(s);
    assertEquals(List.of("node-b"), state.peers().stream().map(Peer::name).toList());
    assertFalse(state.settled(), "an open conflict means the view has not settled");
  }
}
