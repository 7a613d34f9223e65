package io.weft.agent.cni;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.agent.ipam.Ipam;
import io.weft.agent.api.ApiRequest;
import io.weft.agent.api.ApiResponse;
import io.weft.agent.cni.protocol.CniCommand;
import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniPlugin;
import io.weft.agent.cni.protocol.Json;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.NetworkConfig;
import io.weft.agent.ipam.IpamHealth;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.memory.InMemoryDataplane;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniEndpointTest {
  static final Cidr SUBNET = Cidr.parse("10.244.5.0/24");
  @TempDir Path tmp;

  private final InMemoryDataplane node = new InMemoryDataplane();
  private final Map<Path, InMemoryDataplane> pods = new HashMap<>();
  private final AtomicReference<Optional<Cidr>> subnet = new AtomicReference<>(Optional.of(SUBNET));
  private CniEndpoint endpoint;

  @BeforeEach
  void start() {
    endpoint = new CniEndpoint(() -> node, this::pod, namespaceCheck(), LoopBridge.on(node, subnet::get, 1450), subnet::get, () -> 1450, tmp.resolve("state"), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    endpoint.close();
  }

  /** The pod side of the fake kernel: a veth end made "into" a namespace appears there. */
  private synchronized InMemoryDataplane pod(Path netns) {
    InMemoryDataplane pod = pods.computeIfAbsent(netns, p -> new InMemoryDataplane());
    if (pod.links().byName("eth0").isEmpty() && node.hasVethPeerIn("eth0", netns)) {
      pod.addLink("eth0", "veth", 1500);
      pod.links().setDown("eth0");
    }
    return pod;
  }

  /**
   * The fake pod namespaces are plain files in the test's directory, so the "own namespace" the check compares
   * them with is one more such file there (same file system, another inode).
   */
  private PodNamespace namespaceCheck() {
    try {
      return new PodNamespace(netns("agent-itself"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private Path netns(String name) throws Exception {
    Path p = tmp.resolve("netns").resolve(name);
    Files.createDirectories(p.getParent());
    if (!Files.exists(p)) {
      Files.createFile(p);
    }
    return p;
  }

  private static CniRequest request(CniCommand command, String id, Path netns) {
    return new CniRequest(command, "1.0.0", "weft", id, netns == null ? null : netns.toString(), "eth0", Map.of(
        "K8S_POD_NAMESPACE", "default", "K8S_POD_NAME", id), 1500, List.of(), List.of(), null, null);
  }

  private Map<String, Object> call(CniRequest r) {
    return endpoint.execute(r).map(CniResult::toJson).orElse(null);
  }

  private CniError callFails(CniRequest r) {
    return assertThrows(CniError.class, () -> call(r));
  }

  @Test
  void addWiresThePodToTheBridge() throws Exception {
    Path ns = netns("p1");
    Map<String, Object> result = call(request(CniCommand.ADD, "c1", ns));
    String host = CniEndpoint.hostInterfaceName("c1", "eth0");

    Link bridge = node.links().byName("v-net-0").orElseThrow();
    assertTrue(bridge.up());
    assertEquals(List.of(IpAddresses.parse("10.244.5.1")), node.addresses().list("v-net-0").stream().map(a -> a.address()).toList());
    Link hostLink = node.links().byName(host).orElseThrow();
    assertEquals(bridge.index(), hostLink.masterIndex());
    assertTrue(hostLink.up());
    assertTrue(node.hairpin(host));
    assertTrue(node.hasVethPeerIn("eth0", ns));

    InMemoryDataplane pod = pods.get(ns);
    assertTrue(pod.links().byName("eth0").orElseThrow().up());
    assertEquals("10.244.5.2/24", pod.addresses().list("eth0").get(0).toString().replace(" dev eth0", ""));
    assertTrue(pod.arpNotify("eth0"));
    assertEquals(List.of(Route.via(Cidr.parse("0.0.0.0/0"), IpAddresses.parse("10.244.5.1"), "eth0")),
        pod.routes().list(RouteFilter.weft()));

    List<?> interfaces = (List<?>) result.get("interfaces");
    assertEquals(3, interfaces.size());
    assertEquals(host, ((Map<?, ?>) interfaces.get(1)).get("name"));
    assertEquals(ns.toString(), ((Map<?, ?>) interfaces.get(2)).get("sandbox"));
    assertEquals(List.of(Map.of("address", "10.244.5.2/24", "gateway", "10.244.5.1", "interface", 2L)), result.get("ips"));
    assertEquals(List.of(Map.of("dst", "0.0.0.0/0", "gw", "10.244.5.1")), result.get("routes"));

    List<Allocation> allocations = endpoint.allocations();
    assertEquals(1, allocations.size());
    assertEquals("default/c1", allocations.get(0).pod());
  }

  @Test
  void aNamespaceFileThatIsNoNamespaceOrTheAgentsOwnIsRefusedBeforeAnythingIsMade() throws Exception {
    // A regular file on another file system than the namespace files (nsfs in the agent).
    CniError plain = callFails(request(CniCommand.ADD, "c1", Path.of("/proc/self/status")));
    assertEquals(CniError.INVALID_ENVIRONMENT, plain.code());
    assertTrue(plain.getMessage().contains("is not a network namespace"), plain.getMessage());
    CniError own = callFails(request(CniCommand.ADD, "c2", netns("agent-itself")));
    assertEquals(CniError.INVALID_ENVIRONMENT, own.code());
    assertTrue(own.getMessage().contains("the weft agent's own network namespace"), own.getMessage());
    assertEquals(List.of(), endpoint.allocations(), "no address handed out");
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c1", "eth0")).isEmpty());
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c2", "eth0")).isEmpty());
  }

  @Test
  void aNetworkConfigThatIsNotUtf8IsRefusedWithTheDecodingCode() throws Exception {
    // What the forwarder sends: CNI_* variables, NUL-terminated, an empty one, then stdin as it came.
    byte[] vars = ("CNI_COMMAND=ADD\0CNI_CONTAINERID=c1\0CNI_NETNS=" + netns("p1") + "\0CNI_IFNAME=eth0\0\0")
        .getBytes(StandardCharsets.UTF_8);
    byte[] config = {'{', '"', 'n', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    byte[] body = new byte[vars.length + config.length];
    System.arraycopy(vars, 0, body, 0, vars.length);
    System.arraycopy(config, 0, body, vars.length, config.length);
    ApiResponse r = new CniApi(new CniPlugin(endpoint)).handle(new ApiRequest("POST", "/v1/cni", Map.of(), body));
    assertEquals("1", r.headers().get(CniApi.EXIT_HEADER));
    Map<String, Object> error = Json.parseObject(new String(r.body(), StandardCharsets.UTF_8));
    assertEquals((long) CniError.DECODING_FAILURE, error.get("code"), error.toString());
    assertEquals(List.of(), endpoint.allocations());
  }

  @Test
  void aRepeatedAddAnswersTheSameResult() throws Exception {
    Path ns = netns("p1");
    Map<String, Object> first = call(request(CniCommand.ADD, "c1", ns));
    assertEquals(first, call(request(CniCommand.ADD, "c1", ns)));
    assertEquals(1, endpoint.allocations().size());
  }

  @Test
  void aFailedAddLeavesNothingBehind() throws Exception {
    Path ns = netns("p1");
    pod(ns).failWhen(op -> true, NetlinkException.EPERM, "no");
    CniError e = callFails(request(CniCommand.ADD, "c1", ns));
    assertEquals(CniError.NETLINK_FAILURE, e.code());
    assertTrue(e.details().contains("add route 0.0.0.0/0"), e.details());
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c1", "eth0")).isEmpty(), "veth removed");
    assertEquals(List.of(), endpoint.allocations(), "address released");
    Path ns2 = netns("p2");
    assertEquals("10.244.5.3/24", ((Map<?, ?>) ((List<?>) call(request(CniCommand.ADD, "c2", ns2)).get("ips")).get(0)).get("address"),
        "round robin moved on");
  }

  @Test
  void delIsIdempotentAndWorksWithoutTheNamespace() throws Exception {
    Path ns = netns("p1");
    call(request(CniCommand.ADD, "c1", ns));
    Files.delete(ns);
    assertNull(call(request(CniCommand.DEL, "c1", null)));
    // The address is released before the reply; the veth delete runs afterwards on the delete thread.
    assertEquals(List.of(), endpoint.allocations());
    await().atMost(Duration.ofSeconds(5))
        .until(() -> node.links().byName(CniEndpoint.hostInterfaceName("c1", "eth0")).isEmpty());
    assertNull(call(request(CniCommand.DEL, "c1", ns)));
    assertNull(call(request(CniCommand.DEL, "never-added", null)));
  }

  @Test
  void anAddRightAfterTheDelOfTheSameAttachmentFindsTheOldVethGone() throws Exception {
    Path ns = netns("p1");
    for (int i = 0; i < 20; i++) {
      call(request(CniCommand.ADD, "c1", ns));
      assertNull(call(request(CniCommand.DEL, "c1", ns)));
    }
    Map<String, Object> last = call(request(CniCommand.ADD, "c1", ns));
    assertEquals(1, endpoint.allocations().size());
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c1", "eth0")).isPresent());
    assertEquals(3, ((List<?>) last.get("interfaces")).size());
  }

  @Test
  void addGivesTheContainerInterfaceTheRequestedMacAndCheckComparesIt() throws Exception {
    Path ns = netns("p1");
    Map<String, Object> result = call(withMac(request(CniCommand.ADD, "c1", ns), "0a:58:0a:f4:05:02"));
    assertEquals(MacAddress.parse("0a:58:0a:f4:05:02"), pods.get(ns).links().byName("eth0").orElseThrow().mac());
    assertEquals("0a:58:0a:f4:05:02", ((Map<?, ?>) ((List<?>) result.get("interfaces")).get(2)).get("mac"));
    assertNull(call(withMac(request(CniCommand.CHECK, "c1", ns), "0a:58:0a:f4:05:02")));
    CniError e = callFails(withMac(request(CniCommand.CHECK, "c1", ns), "0a:58:0a:f4:05:03"));
    assertEquals(CniError.CHECK_FAILED, e.code());
    assertEquals("interface eth0 has MAC address 0a:58:0a:f4:05:02, not 0a:58:0a:f4:05:03", e.details());

    CniError refused = callFails(withMac(request(CniCommand.ADD, "c2", netns("p2")), "01:00:5e:00:00:01"));
    assertEquals(CniError.NETLINK_FAILURE, refused.code());
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c2", "eth0")).isEmpty(), "rolled back");
    assertEquals(1, endpoint.allocations().size());
    assertEquals(CniError.INVALID_NETWORK_CONFIG, callFails(withMac(request(CniCommand.ADD, "c3", netns("p3")), "nope")).code());
  }

  private static CniRequest withMac(CniRequest r, String mac) {
    return new CniRequest(r.command(), r.cniVersion(), r.network(), r.containerId(), r.netns(), r.ifname(), r.args(),
        r.mtu(), r.requestedIps(), r.prevIps(), r.validAttachments(), mac);
  }

  @Test
  void checkNamesEveryDifference() throws Exception {
    Path ns = netns("p1");
    call(request(CniCommand.ADD, "c1", ns));
    CniRequest check = new CniRequest(CniCommand.CHECK, "1.0.0", "weft", "c1", ns.toString(), "eth0", Map.of(), 1500,
        List.of(), List.of("10.244.5.2/24"), null, null);
    assertNull(call(check));

    pods.get(ns).addresses().delete("eth0", IpAddresses.parse("10.244.5.2"), 24);
    node.links().setDown(CniEndpoint.hostInterfaceName("c1", "eth0"));
    CniRequest wrongPrev = new CniRequest(CniCommand.CHECK, "1.0.0", "weft", "c1", ns.toString(), "eth0", Map.of(), 1500,
        List.of(), List.of("10.244.5.9/24"), null, null);
    CniError e = callFails(wrongPrev);
    assertEquals(CniError.CHECK_FAILED, e.code());
    assertEquals("prevResult address 10.244.5.9/24 is not the allocated 10.244.5.2/24; host interface "
        + CniEndpoint.hostInterfaceName("c1", "eth0") + " is down; address 10.244.5.2/24 is missing on eth0", e.details());

    CniError unknown = callFails(request(CniCommand.CHECK, "c9", ns));
    assertEquals("no address is allocated to it", unknown.details());
  }

  @Test
  void gcReleasesWhatTheRuntimeNoLongerLists() throws Exception {
    for (int i = 1; i <= 3; i++) {
      call(request(CniCommand.ADD, "c" + i, netns("p" + i)));
    }
    node.links().createVeth("weft0badc0de", "peer0", null, 1500);
    node.links().setMaster("weft0badc0de", "v-net-0");
    CniRequest gc = new CniRequest(CniCommand.GC, "1.1.0", "weft", null, null, null, Map.of(), 1500, List.of(), List.of(),
        List.of(new NetworkConfig.Attachment("c2", "eth0")), null);
    assertNull(call(gc));
    assertEquals(List.of("c2"), endpoint.allocations().stream().map(Allocation::containerId).toList());
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c1", "eth0")).isEmpty());
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c2", "eth0")).isPresent());
    assertTrue(node.links().byName("weft0badc0de").isEmpty(), "orphan veth on the bridge removed");
  }

  @Test
  void statusNeedsSubnetAndBridge() throws Exception {
    CniRequest status = new CniRequest(CniCommand.STATUS, "1.1.0", "weft", null, null, null, Map.of(), 1500, List.of(), List.of(), null, null);
    subnet.set(Optional.empty());
    CniError e = callFails(status);
    assertEquals(CniError.PLUGIN_NOT_AVAILABLE, e.code());
    assertTrue(e.details().contains("no pod subnet"), e.details());
    assertEquals(CniError.TRY_AGAIN_LATER, callFails(request(CniCommand.ADD, "c1", netns("p1"))).code());

    subnet.set(Optional.of(SUBNET));
    e = callFails(status);
    assertEquals("bridge v-net-0 does not exist yet", e.details());
    call(request(CniCommand.ADD, "c1", netns("p1")));
    assertNull(call(status));
  }

  @Test
  void addNeverChangesTheBridgeItsOwnerMade() throws Exception {
    CniRequest jumbo = new CniRequest(CniCommand.ADD, "1.0.0", "weft", "c1", netns("p1").toString(), "eth0", Map.of(),
        9000, List.of(), List.of(), null, null);
    call(jumbo);
    assertEquals(1450, node.links().byName("v-net-0").orElseThrow().mtu(), "the node's pod MTU, not the config's");
    assertEquals(9000, node.links().byName(CniEndpoint.hostInterfaceName("c1", "eth0")).orElseThrow().mtu());
  }

  @Test
  void addBeforeTheOwnerMadeTheBridgeIsTryAgainLaterAndLeavesNothing() throws Exception {
    endpoint.close();
    OwnedBridge absent = new OwnedBridge() {
      @Override
      public String name() {
        return "v-net-0";
      }

      @Override
      public boolean ensuredFor(Cidr subnet) {
        return false;
      }

      @Override
      public boolean awaitEnsure(Cidr subnet, java.time.Duration timeout) {
        return false; // an owner that never gets to it
      }
    };
    endpoint = new CniEndpoint(() -> node, this::pod, namespaceCheck(), absent, subnet::get, () -> 1450, tmp.resolve("state"), Clock.systemUTC());
    CniError e = callFails(request(CniCommand.ADD, "c1", netns("p1")));
    assertEquals(CniError.TRY_AGAIN_LATER, e.code());
    assertTrue(e.getMessage().startsWith("bridge v-net-0 is not ready yet"), e.getMessage());
    assertTrue(node.links().byName("v-net-0").isEmpty(), "the CNI side never creates the bridge");
    assertEquals(List.of(), endpoint.allocations());
  }

  @Test
  void addIntoAMissingNamespaceIsContainerUnknown() {
    assertEquals(CniError.UNKNOWN_CONTAINER, callFails(request(CniCommand.ADD, "c1", tmp.resolve("gone"))).code());
  }

  @Test
  void exhaustionNamesTheSubnet() throws Exception {
    subnet.set(Optional.of(Cidr.parse("10.244.7.0/30")));
    call(request(CniCommand.ADD, "c1", netns("p1")));
    CniError e = callFails(request(CniCommand.ADD, "c2", netns("p2")));
    assertEquals(CniError.ADDRESSES_EXHAUSTED, e.code());
    assertTrue(e.details().contains("10.244.7.0/30"), e.details());
    assertTrue(node.links().byName(CniEndpoint.hostInterfaceName("c2", "eth0")).isEmpty());
  }

  @Test
  void requestedAddressIsHonoured() throws Exception {
    CniRequest r = new CniRequest(CniCommand.ADD, "1.0.0", "weft", "c1", netns("p1").toString(), "eth0", Map.of(), 1500,
        List.of("10.244.5.99/24"), List.of(), null, null);
    assertEquals("10.244.5.99/24", ((Map<?, ?>) ((List<?>) call(r).get("ips")).get(0)).get("address"));
    CniRequest outside = new CniRequest(CniCommand.ADD, "1.0.0", "weft", "c2", netns("p2").toString(), "eth0", Map.of(), 1500,
        List.of("10.9.9.9/24"), List.of(), null, null);
    assertEquals(CniError.INVALID_NETWORK_CONFIG, callFails(outside).code());
  }

  @Test
  void parallelAddsGetDistinctAddresses() throws Exception {
    Set<String> addresses = new HashSet<>();
    List<CompletableFuture<Map<String, Object>>> adds = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Path ns = netns("q" + i);
      String id = "d" + i;
      adds.add(CompletableFuture.supplyAsync(() -> call(request(CniCommand.ADD, id, ns))));
    }
    for (CompletableFuture<Map<String, Object>> f : adds) {
      addresses.add((String) ((Map<?, ?>) ((List<?>) f.get().get("ips")).get(0)).get("address"));
    }
    assertEquals(40, addresses.size());
    assertEquals(40, endpoint.allocations().size());
  }

  @Test
  void allocationsOfPodsGoneWithoutADelAreReleasedByTheReconcileAtStart() throws Exception {
    // What a kill -9 between "allocation saved" and "veth made" leaves, and a DEL lost while the agent
    // was down: allocations on disk, no veths. One pod's namespace still exists (its ADD may be retried).
    Path alive = netns("alive");
    Ipam before = Ipam.open(tmp.resolve("state"), SUBNET, Clock.systemUTC());
    before.allocate(new AttachmentKey("dead1", "eth0"), "default/dead1", tmp.resolve("netns/gone").toString(), Optional.empty());
    before.allocate(new AttachmentKey("dead2", "eth0"), "", "", Optional.empty());
    Allocation waiting = before.allocate(new AttachmentKey("alive", "eth0"), "", alive.toString(), Optional.empty());

    assertEquals(List.of(waiting), endpoint.allocations(), "the first use of the IPAM reconciles it");
    IpamHealth health = endpoint.ipamHealth();
    assertEquals(2, health.releasedTotal());
    assertEquals(List.of("dead2", "dead1"), health.released().stream().map(r -> r.attachment().containerId()).toList());
    assertTrue(health.released().get(1).why().contains("namespace " + tmp.resolve("netns/gone") + " is gone"),
        health.released().toString());
    assertEquals(List.of(), health.problems());

    // Its namespace goes too: the periodic pass releases it.
    Files.delete(alive);
    endpoint.reconcileIpam();
    assertEquals(List.of(), endpoint.allocations());
    assertEquals(3, health.releasedTotal());
    String ipam = new String(endpoint.ipamHandler().handle(new ApiRequest("GET", "/v1/ipam", Map.of(), new byte[0])).body(),
        StandardCharsets.UTF_8);
    assertTrue(ipam.contains("\"releasedByReconcile\":[{\"address\":\"" + waiting.address().getHostAddress() + "\""), ipam);
  }

  @Test
  void anUnreadableRecordOfALivePodKeepsItsAddressUntilItsDelNamesIt() throws Exception {
    Path ns = netns("p1");
    Map<String, Object> added = call(request(CniCommand.ADD, "c1", ns));
    String address = "10.244.5.2";
    assertEquals(List.of(Map.of("address", address + "/24", "gateway", "10.244.5.1", "interface", 2L)), added.get("ips"));
    endpoint.close();
    Files.writeString(tmp.resolve("state/ipam/10.244.5.0_24/" + address), "{\"containerId\":\"c1\",\"ifn");
    endpoint = new CniEndpoint(() -> node, this::pod, namespaceCheck(), LoopBridge.on(node, subnet::get, 1450), subnet::get, () -> 1450, tmp.resolve("state"), Clock.systemUTC());

    assertEquals(List.of(), endpoint.allocations());
    IpamHealth health = endpoint.ipamHealth();
    assertEquals(List.of(address), health.unknownOwners().stream().map(u -> u.address().getHostAddress()).toList());
    assertEquals(Set.of(CniEndpoint.hostInterfaceName("c1", "eth0")), health.unaccountedVeths());
    assertTrue(health.problems().get(0).startsWith("IPAM: 1 address(es) reserved with an unreadable allocation record (10.244.5.2)"),
        health.problems().toString());
    // The veth is there and unaccounted: the next pod gets another address, also after a reconcile.
    endpoint.reconcileIpam();
    assertEquals("10.244.5.3/24", ((Map<?, ?>) ((List<?>) call(request(CniCommand.ADD, "c2", netns("p2"))).get("ips")).get(0)).get("address"));

    // The runtime's DEL of the pod names the address in its prevResult.
    CniRequest del = new CniRequest(CniCommand.DEL, "1.0.0", "weft", "c1", ns.toString(), "eth0", Map.of(), 1500,
        List.of(), List.of(address + "/24"), null, null);
    assertNull(call(del));
    assertEquals(List.of(), health.unknownOwners());
    assertFalse(Files.exists(tmp.resolve("state/ipam/10.244.5.0_24/" + address)));
  }

  @Test
  void anUnreadableRecordIsFreedOnceEveryVethOnTheNodeIsAccountedFor() throws Exception {
    call(request(CniCommand.ADD, "c1", netns("p1")));
    call(request(CniCommand.ADD, "c2", netns("p2")));
    endpoint.close();
    Files.writeString(tmp.resolve("state/ipam/10.244.5.0_24/10.244.5.2"), "garbage");
    endpoint = new CniEndpoint(() -> node, this::pod, namespaceCheck(), LoopBridge.on(node, subnet::get, 1450), subnet::get, () -> 1450, tmp.resolve("state"), Clock.systemUTC());
    assertEquals(1, endpoint.allocations().size());
    assertEquals(1, endpoint.ipamHealth().unknownOwners().size());

    // The pod went away without a DEL (its veth went with its namespace).
    node.links().delete(CniEndpoint.hostInterfaceName("c1", "eth0"));
    endpoint.reconcileIpam();
    assertEquals(1, endpoint.allocations().size(), "c2 is untouched");
    assertEquals(List.of(), endpoint.ipamHealth().unknownOwners());
    assertEquals("10.244.5.2", endpoint.ipamHealth().released().get(0).address().getHostAddress());
  }

  @Test
  void aGcWithoutValidAttachmentsIsRefusedAndCollectsNothing() throws Exception {
    call(request(CniCommand.ADD, "c1", netns("p1")));
    CniRequest gc = new CniRequest(CniCommand.GC, "1.1.0", "weft", null, null, null, Map.of(), 1500, List.of(), List.of(), null, null);
    CniError e = callFails(gc);
    assertEquals(CniError.INVALID_NETWORK_CONFIG, e.code());
    assertTrue(e.getMessage().startsWith("GC needs cni.dev/valid-attachments"), e.getMessage());
    assertEquals(1, endpoint.allocations().size());
  }

  @Test
  void aStateDirThatCannotBeWrittenFailsAddWithCode5AndIsAProblemUntilItIsWritable() throws Exception {
    call(request(CniCommand.ADD, "c1", netns("p1")));
    Path dir = tmp.resolve("state/ipam/10.244.5.0_24");
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(dir), "root writes anywhere: the lab IT covers it");
      CniError e = callFails(request(CniCommand.ADD, "c2", netns("p2")));
      assertEquals(CniError.IO_FAILURE, e.code());
      assertTrue(endpoint.ipamHealth().notReady().orElseThrow().contains("every CNI ADD fails with code 5"));
    } finally {
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    endpoint.reconcileIpam();
    endpoint.allocations();
    assertEquals(Optional.empty(), endpoint.ipamHealth().notReady());
  }

  @Test
  void hostInterfaceNamesAreStableAndShort() {
    String a = CniEndpoint.hostInterfaceName("c1", "eth0");
    assertEquals(a, CniEndpoint.hostInterfaceName("c1", "eth0"));
    assertTrue(a.matches("weft[0-9a-f]{8}"), a);
    assertFalse(a.equals(CniEndpoint.hostInterfaceName("c1", "eth1")));
  }
}
