package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Link;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NoSuchDeviceException;
import io.weft.dataplane.NotFoundException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Links against the kernel of namespaces made for each test; `ip -j -d link` is the oracle. */
@RequiresRoot
class NetlinkLinksIT {
  TestNetns host;
  TestNetns pod;
  NetlinkDataplane dp;

  @BeforeEach
  void namespaces() {
    host = TestNetns.create("links");
    pod = TestNetns.create("pod");
    dp = NetlinkDataplane.in(host.path());
  }

  @AfterEach
  void cleanup() {
    if (dp != null) {
      dp.close();
    }
    for (TestNetns ns : new TestNetns[] {host, pod}) {
      if (ns != null) {
        ns.close();
      }
    }
  }

  private static JsonNode link(TestNetns ns, String name) {
    return ns.json("-d", "link", "show", "dev", name).get(0);
  }

  private static boolean exists(TestNetns ns, String name) {
    return StreamSupport.stream(ns.json("link", "show").spliterator(), false)
        .anyMatch(l -> name.equals(l.get("ifname").asText()));
  }

  @Test
  void listAndLookupsAgreeWithTheKernel() {
    host.ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p");
    Set<String> kernel = StreamSupport.stream(host.json("link", "show").spliterator(), false)
        .map(l -> l.get("ifindex").asInt() + ":" + l.get("ifname").asText()).collect(Collectors.toSet());
    assertEquals(kernel, dp.links().list().stream().map(l -> l.index() + ":" + l.name()).collect(Collectors.toSet()));
    Link d0 = dp.links().byName("d0").orElseThrow();
    JsonNode k = link(host, "d0");
    assertEquals(k.get("ifindex").asInt(), d0.index());
    assertEquals("veth", d0.kind());
    assertEquals(k.get("address").asText(), d0.mac().toString());
    assertEquals(k.get("mtu").asInt(), d0.mtu());
    assertEquals(d0, dp.links().byIndex(d0.index()).orElseThrow());
    assertTrue(dp.links().byName("nope0").isEmpty());
    assertTrue(dp.links().byIndex(9999).isEmpty());
  }

  @Test
  void ensureBridgeCreatesOnceAndAcceptsItsOwnBridge() {
    Link first = dp.links().ensureBridge("v-net-0", 1450);
    Link again = dp.links().ensureBridge("v-net-0", 1450);
    assertEquals(first.index(), again.index());
    JsonNode k = link(host, "v-net-0");
    assertEquals("bridge", k.get("linkinfo").get("info_kind").asText());
    assertEquals(1450, k.get("mtu").asInt());
    assertEquals("bridge", first.kind());

    host.ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p");
    AlreadyExistsException e = assertThrows(AlreadyExistsException.class, () -> dp.links().ensureBridge("d0", 1500));
    assertEquals("could not create bridge d0: file exists (a link of kind veth already has that name)", e.getMessage());
  }

  @Test
  void vethPeerIsCreatedDirectlyInTheOtherNamespace() {
    dp.links().createVeth("weft0a1b2c3d", "eth0", pod.path(), 1400);
    assertTrue(exists(host, "weft0a1b2c3d"));
    assertFalse(exists(host, "eth0"));
    JsonNode peer = link(pod, "eth0");
    assertEquals("veth", peer.get("linkinfo").get("info_kind").asText());
    assertEquals(1400, peer.get("mtu").asInt());
    assertEquals(1400, link(host, "weft0a1b2c3d").get("mtu").asInt());

    dp.links().createVeth("v1", "v1p", null, 0);
    assertTrue(exists(host, "v1p"));

    assertThrows(AlreadyExistsException.class, () -> dp.links().createVeth("weft0a1b2c3d", "eth1", pod.path(), 1400));
    assertThrows(NotFoundException.class, () -> dp.links().createVeth("x0", "x1", Path.of("/run/netns/wdp-none"), 1400));
    assertFalse(exists(host, "x0"));
  }

  @Test
  void upDownMtuMasterHairpinAndDelete() {
    dp.links().ensureBridge("v-net-0", 1500);
    dp.links().createVeth("weft00000001", "eth0", pod.path(), 1500);

    dp.links().setUp("weft00000001");
    assertTrue(flags(host, "weft00000001").contains("UP"));
    assertTrue(dp.links().byName("weft00000001").orElseThrow().up());
    dp.links().setDown("weft00000001");
    assertFalse(flags(host, "weft00000001").contains("UP"));

    dp.links().setMtu("weft00000001", 1300);
    assertEquals(1300, link(host, "weft00000001").get("mtu").asInt());

    dp.links().setMaster("weft00000001", "v-net-0");
    assertEquals("v-net-0", link(host, "weft00000001").get("master").asText());
    assertEquals(dp.links().byName("v-net-0").orElseThrow().index(),
        dp.links().byName("weft00000001").orElseThrow().masterIndex());

    dp.links().setHairpin("weft00000001", true);
    assertTrue(link(host, "weft00000001").get("linkinfo").get("info_slave_data").get("hairpin").asBoolean());
    dp.links().setHairpin("weft00000001", false);
    assertFalse(link(host, "weft00000001").get("linkinfo").get("info_slave_data").get("hairpin").asBoolean());

    dp.links().setMaster("weft00000001", null);
    assertFalse(link(host, "weft00000001").has("master"));

    dp.links().delete("weft00000001");
    assertFalse(exists(host, "weft00000001"));
    assertFalse(exists(pod, "eth0"), "the peer goes with it");
    NoSuchDeviceException e = assertThrows(NoSuchDeviceException.class, () -> dp.links().delete("weft00000001"));
    assertEquals("could not delete link weft00000001: no such device (no link named weft00000001)", e.getMessage());
    assertThrows(NoSuchDeviceException.class, () -> dp.links().setMaster("v-net-0", "nope0"));
  }

  @Test
  void arpNotifyIsSetOverNetlinkInTheLinksOwnNamespace() {
    dp.links().createVeth("weft00000002", "eth0", pod.path(), 1500);
    try (NetlinkDataplane inPod = NetlinkDataplane.in(pod.path())) {
      inPod.links().setArpNotify("eth0", true);
      assertEquals("1", pod.exec("sysctl", "-n", "net.ipv4.conf.eth0.arp_notify").trim());
      assertEquals("0", host.exec("sysctl", "-n", "net.ipv4.conf.weft00000002.arp_notify").trim(), "only that link");
      inPod.links().setArpNotify("eth0", false);
      assertEquals("0", pod.exec("sysctl", "-n", "net.ipv4.conf.eth0.arp_notify").trim());
      NoSuchDeviceException e = assertThrows(NoSuchDeviceException.class, () -> inPod.links().setArpNotify("nope0", true));
      assertEquals("could not turn arp_notify on on link nope0: no such device (no link named nope0)", e.getMessage());
    }
  }

  private static List<String> flags(TestNetns ns, String name) {
    return StreamSupport.stream(link(ns, name).get("flags").spliterator(), false).map(JsonNode::asText).toList();
  }
}
