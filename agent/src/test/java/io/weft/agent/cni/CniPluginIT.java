package io.weft.agent.cni;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.agent.api.ApiServer;
import io.weft.agent.cni.protocol.CniPlugin;
import io.weft.agent.cni.protocol.CniCommand;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.Json;
import io.weft.core.net.Cidr;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.NetlinkDataplane;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real {@code bin/weft} executable, driven as a container runtime drives it (CNI_* environment, config
 * on stdin), against an in-JVM API server and CNI endpoint doing real netlink work in a node namespace
 * {@code wcni2-node} with pods in {@code wcni2-pod-N}. Needs the assembled tree (the agent module's package
 * phase; {@code -Dweft.dist=DIR} points elsewhere).
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CniPluginIT {
  static final String NODE = "wcni2-node";
  static final Cidr SUBNET = Cidr.parse("10.244.1.0/24");
  static final String GATEWAY = "10.244.1.1";
  static final String REFERENCE_PLUGINS = "/usr/lib/cni";

  private Path weft;
  private Path dir;
  private Path socket;
  private NetlinkDataplane node;
  private CniEndpoint endpoint;
  private ApiServer server;
  private int pods;

  @BeforeAll
  void start() throws Exception {
    Netns.removeAllWithPrefix();
    Netns.add(NODE);
    weft = Path.of(System.getProperty("weft.dist", "target/weft")).resolve("bin/weft").toAbsolutePath();
    assertTrue(Files.isExecutable(weft), weft + " is missing: run the agent module's package phase first");
    dir = Files.createTempDirectory("wcni2-");
    socket = dir.resolve("run/weft.sock");
    node = NetlinkDataplane.in(Netns.path(NODE));
    endpoint = new CniEndpoint(() -> NetlinkDataplane.in(Netns.path(NODE)), NetlinkDataplane::in, PodNamespace.ofThisProcess(),
        LoopBridge.on(node, () -> Optional.of(SUBNET), 1500), () -> Optional.of(SUBNET), () -> 1500,
        dir.resolve("state"), Clock.systemUTC());
    server = ApiServer.on(socket).route("POST", "/v1/cni", new CniApi(new CniPlugin(endpoint))).workers(8).start();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
      if (endpoint != null) {
        endpoint.close();
      }
      if (node != null) {
        node.close();
      }
    } finally {
      Netns.removeAllWithPrefix();
      if (dir != null) {
        try (Stream<Path> files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  // ---- helpers ----

  private String newPod() throws IOException {
    String name = "wcni2-pod-" + (++pods);
    Netns.add(name);
    return name;
  }

  private String config(String version, String extra) {
    return "{\"cniVersion\":\"" + version + "\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\"" + socket + "\"" + extra + "}";
  }

  private static Map<String, String> env(String command, String containerId, String pod, String ifname) {
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", command);
    if (containerId != null) {
      env.put("CNI_CONTAINERID", containerId);
    }
    if (pod != null) {
      env.put("CNI_NETNS", Netns.path(pod).toString());
    }
    if (ifname != null) {
      env.put("CNI_IFNAME", ifname);
    }
    env.put("CNI_PATH", REFERENCE_PLUGINS);
    env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=test;K8S_POD_NAME=" + (containerId == null ? "none" : containerId));
    return env;
  }

  private Netns.Result weft(Map<String, String> env, String config) throws IOException {
    return Netns.start(List.of(weft.toString()), env, config);
  }

  /** A reference plugin, run in the node namespace as a runtime on that node would run it. */
  private static Netns.Result reference(String plugin, Map<String, String> env, String config) throws IOException {
    return Netns.start(List.of("ip", "netns", "exec", NODE, REFERENCE_PLUGINS + "/" + plugin), env, config);
  }

  private Map<String, Object> add(String containerId, String pod, String version) throws IOException {
    Netns.Result r = weft(env("ADD", containerId, pod, "eth0"), config(version, ""));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    return Json.parseObject(r.stdout());
  }

  private static Map<String, Object> error(Netns.Result r, long code) {
    assertEquals(1, r.exit(), "expected an error, got: " + r.stdout());
    Map<String, Object> e = Json.parseObject(r.stdout());
    assertEquals(code, e.get("code"), r.stdout());
    return e;
  }

  private static String address(Map<String, Object> result) {
    return (String) ((Map<?, ?>) ((List<?>) result.get("ips")).get(0)).get("address");
  }

  /** A DEL's veth delete runs right after its answer. */
  private void awaitGone(String link) {
    await().atMost(Duration.ofSeconds(10)).until(() -> node.links().byName(link).isEmpty());
  }

  private static String host(String containerId) {
    return CniEndpoint.hostInterfaceName(containerId, "eth0");
  }

  private int allocationCount() {
    return endpoint.allocations().size();
  }

  // ---- tests ----

  @ParameterizedTest
  @ValueSource(strings = {"0.4.0", "1.0.0", "1.1.0"})
  void addCheckDel(String version) throws Exception {
    int before = allocationCount();
    String pod = newPod();
    String id = "cycle-" + version.replace('.', '-');
    Map<String, Object> result = add(id, pod, version);
    assertEquals(version, result.get("cniVersion"));
    Map<?, ?> ip = (Map<?, ?>) ((List<?>) result.get("ips")).get(0);
    assertEquals(version.equals("0.4.0"), ip.containsKey("version"), result.toString());
    assertEquals(GATEWAY, ip.get("gateway"));
    String cidr = address(result);
    assertTrue(SUBNET.contains(io.weft.core.net.IpAddresses.parse(cidr.substring(0, cidr.indexOf('/')))), cidr);

    assertTrue(Netns.exec(pod, "ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout().contains(cidr));
    assertTrue(Netns.exec(pod, "ip", "-4", "route", "show", "default").stdout().contains("via " + GATEWAY));
    assertTrue(node.links().byName(host(id)).orElseThrow().up());
    assertEquals(before + 1, allocationCount());

    String withPrev = config(version, ",\"prevResult\":" + Json.write(result));
    Netns.Result check = weft(env("CHECK", id, pod, "eth0"), withPrev);
    assertEquals(0, check.exit(), check.stdout());
    assertEquals("", check.stdout());

    Netns.Result del = weft(env("DEL", id, pod, "eth0"), withPrev);
    assertEquals(0, del.exit(), del.stdout());
    // DEL answers once the address is released; the agent deletes the veth right after.
    assertEquals(before, allocationCount());
    awaitGone(host(id));
    assertFalse(Netns.exec(pod, "ip", "link", "show", "eth0").exit() == 0, "container end gone with the pair");
  }

  @Test
  void cniArgsIpGivesExactlyThatAddressAndATakenOneIsRefused() throws Exception {
    String pod = newPod();
    Map<String, String> env = env("ADD", "static-ip", pod, "eth0");
    env.put("CNI_ARGS", env.get("CNI_ARGS") + ";IP=10.244.1.200");
    Netns.Result r = weft(env, config("1.0.0", ""));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    assertEquals("10.244.1.200/24", address(Json.parseObject(r.stdout())));
    assertTrue(Netns.exec(pod, "ip", "-o", "addr", "show", "dev", "eth0").stdout().contains("inet 10.244.1.200/24"));
    Map<String, String> other = env("ADD", "static-ip-2", newPod(), "eth0");
    other.put("CNI_ARGS", "IP=10.244.1.200");
    error(weft(other, config("1.0.0", "")), 7);
    Netns.Result del = weft(env("DEL", "static-ip", pod, "eth0"), config("1.0.0", ""));
    assertEquals(0, del.exit(), del.stdout());
  }

  @Test
  void aNetnsThatIsNotAPodNamespaceIsRefusedAtOnce() throws Exception {
    error(weft(withNetns(env("ADD", "ns-self", null, "eth0"), "/proc/self/ns/net"), config("1.0.0", "")), 4);
    error(weft(withNetns(env("ADD", "ns-etc", null, "eth0"), "/etc/passwd"), config("1.0.0", "")), 4);
    error(weft(withNetns(env("ADD", "ns-dots", null, "eth0"), "/var/run/netns/../../etc/passwd"), config("1.0.0", "")), 4);
    // A FIFO where a namespace file should be: opening it would block the verb for good.
    Path fifo = Path.of("/var/run/netns/wcni2-fifo");
    Netns.run(List.of("mkfifo", fifo.toString()));
    try {
      error(weft(withNetns(env("ADD", "ns-fifo", null, "eth0"), fifo.toString()), config("1.0.0", "")), 4);
    } finally {
      Files.deleteIfExists(fifo);
    }
    // A plain file where a namespace file should be: not on nsfs, so no namespace.
    Path plain = Path.of("/var/run/netns/wcni2-plain");
    Files.deleteIfExists(plain);
    Files.createFile(plain);
    try {
      error(weft(withNetns(env("ADD", "ns-plain", null, "eth0"), plain.toString()), config("1.0.0", "")), 4);
    } finally {
      Files.deleteIfExists(plain);
    }
    assertTrue(node.links().byName(host("ns-self")).isEmpty() && node.links().byName(host("ns-fifo")).isEmpty()
        && node.links().byName(host("ns-plain")).isEmpty());
  }

  private static Map<String, String> withNetns(Map<String, String> env, String netns) {
    env.put("CNI_NETNS", netns);
    return env;
  }

  @Test
  void theMacCapabilityAndTheMacArgSetTheContainerInterfaceAddress() throws Exception {
    String pod = newPod();
    String withMac = config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"0A:58:0A:F4:01:42\"}");
    Netns.Result r = weft(env("ADD", "mac-cap", pod, "eth0"), withMac);
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    Map<String, Object> result = Json.parseObject(r.stdout());
    assertEquals("0a:58:0a:f4:01:42", ((Map<?, ?>) ((List<?>) result.get("interfaces")).get(2)).get("mac"));
    assertTrue(Netns.exec(pod, "ip", "-o", "link", "show", "dev", "eth0").stdout().contains("link/ether 0a:58:0a:f4:01:42 "));
    String prev = ",\"prevResult\":" + Json.write(result);
    Netns.Result check = weft(env("CHECK", "mac-cap", pod, "eth0"),
        config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"0a:58:0a:f4:01:42\"}" + prev));
    assertEquals(0, check.exit(), check.stdout());
    Map<String, Object> e = error(weft(env("CHECK", "mac-cap", pod, "eth0"),
        config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"0a:58:0a:f4:01:43\"}" + prev)), 100);
    assertEquals("interface eth0 has MAC address 0a:58:0a:f4:01:42, not 0a:58:0a:f4:01:43", e.get("details"));
    assertEquals(0, weft(env("DEL", "mac-cap", pod, "eth0"), withMac).exit());

    // CNI_ARGS MAC (the reference bridge plugin's argument) when the config names none
    String other = newPod();
    Map<String, String> env = env("ADD", "mac-arg", other, "eth0");
    env.put("CNI_ARGS", env.get("CNI_ARGS") + ";MAC=0a:58:0a:f4:01:44");
    Netns.Result byArg = weft(env, config("1.0.0", ""));
    assertEquals(0, byArg.exit(), byArg.stdout());
    assertTrue(Netns.exec(other, "ip", "-o", "link", "show", "dev", "eth0").stdout().contains("link/ether 0a:58:0a:f4:01:44 "));
    env.put("CNI_COMMAND", "DEL");
    assertEquals(0, weft(env, config("1.0.0", "")).exit());

    // a multicast address never reaches the kernel
    Map<String, Object> refused = error(weft(env("ADD", "mac-bad", other, "eth0"),
        config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"01:00:5e:00:00:01\"}")), 7);
    assertTrue(((String) refused.get("details")).contains("multicast"), refused.toString());
  }

  @Test
  void addTwiceAnswersTheSameAndDelTwiceSucceeds() throws Exception {
    int before = allocationCount();
    String pod = newPod();
    Map<String, Object> first = add("twice", pod, "1.0.0");
    assertEquals(first, add("twice", pod, "1.0.0"));
    assertEquals(before + 1, allocationCount());
    assertEquals(0, weft(env("DEL", "twice", pod, "eth0"), config("1.0.0", "")).exit());
    Netns.Result again = weft(env("DEL", "twice", pod, "eth0"), config("1.0.0", ""));
    assertEquals(0, again.exit(), again.stdout());
    assertEquals(before, allocationCount());
  }

  @Test
  void delAfterTheNamespaceIsGone() throws Exception {
    int before = allocationCount();
    String pod = newPod();
    add("gone", pod, "1.0.0");
    Netns.delete(pod);
    Netns.Result del = weft(env("DEL", "gone", pod, "eth0"), config("1.0.0", ""));
    assertEquals(0, del.exit(), del.stdout());
    Netns.Result noNetns = weft(env("DEL", "gone", null, "eth0"), config("1.0.0", ""));
    assertEquals(0, noNetns.exit(), noNetns.stdout());
    assertEquals(before, allocationCount());
    awaitGone(host("gone"));
  }

  @Test
  void checkNamesWhatIsMissing() throws Exception {
    String pod = newPod();
    Map<String, Object> result = add("broken", pod, "1.0.0");
    assertEquals(0, Netns.exec(pod, "ip", "route", "del", "default").exit());
    Map<String, Object> e = error(weft(env("CHECK", "broken", pod, "eth0"),
        config("1.0.0", ",\"prevResult\":" + Json.write(result))), 100);
    assertEquals("default route via " + GATEWAY + " is missing in " + Netns.path(pod), e.get("details"));
    assertEquals(0, weft(env("DEL", "broken", pod, "eth0"), config("1.0.0", "")).exit());
  }

  @Test
  void malformedInvocationsGetTheSpecCodes() throws Exception {
    String pod = newPod();
    // The forwarder finds the socket in a config it cannot parse whole; the agent names the fault.
    error(weft(env("ADD", "m1", pod, "eth0"), "{\"cniVersion\":\"1.0.0\",\"apiSocket\":\"" + socket + "\",\"name\":"), 6);
    error(weft(env("ADD", "m1", null, "eth0"), config("1.0.0", "")), 4);
    error(weft(env("ADD", "m1", pod, "eth0/1"), config("1.0.0", "")), 4);
    error(weft(env("ADD", "m1", pod, "averyveryverylongname"), config("1.0.0", "")), 4);
    error(weft(env("ADD", "m1 x", pod, "eth0"), config("1.0.0", "")), 4);
    error(weft(env("FROB", "m1", pod, "eth0"), config("1.0.0", "")), 4);
    error(weft(env("ADD", "m1", pod, "eth0"), config("0.3.1", "")), 1);
    error(weft(env("ADD", "m1", pod, "eth0"), config("1.0.0", ",\"mtu\":\"big\"")), 7);
    error(weft(env("GC", null, null, null), config("1.0.0", ",\"cni.dev/valid-attachments\":[]")), 1);
    Map<String, Object> unreachable = error(weft(env("ADD", "m1", pod, "eth0"),
        "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\"" + dir.resolve("none.sock") + "\"}"), 11);
    assertTrue(((String) unreachable.get("msg")).contains(dir.resolve("none.sock").toString()), unreachable.toString());
    error(weft(env("ADD", "m1", "wcni2-no-such-pod", "eth0"), config("1.0.0", "")), 3);
    assertTrue(node.links().byName(host("m1")).isEmpty(), "no failed invocation left a veth");
  }

  @Test
  void versionStatusAndGc() throws Exception {
    Netns.Result version = weft(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.1.0\"}");
    assertEquals(0, version.exit());
    assertEquals(List.of("0.4.0", "1.0.0", "1.1.0"), Json.parseObject(version.stdout()).get("supportedVersions"));

    int before = allocationCount();
    String keep = newPod();
    String drop = newPod();
    add("gc-keep", keep, "1.1.0");
    add("gc-drop", drop, "1.1.0");
    Netns.Result status = weft(env("STATUS", null, null, null), config("1.1.0", ""));
    assertEquals(0, status.exit(), status.stdout());

    List<Map<String, Object>> valid = new ArrayList<>();
    for (Map<String, Object> a : endpoint.allocations().stream()
        .filter(a -> !a.containerId().equals("gc-drop"))
        .map(a -> Map.<String, Object>of("containerID", a.containerId(), "ifname", a.ifname())).toList()) {
      valid.add(a);
    }
    Netns.Result gc = weft(env("GC", null, null, null), config("1.1.0", ",\"cni.dev/valid-attachments\":" + Json.write(valid)));
    assertEquals(0, gc.exit(), gc.stdout());
    assertTrue(node.links().byName(host("gc-drop")).isEmpty());
    assertTrue(node.links().byName(host("gc-keep")).isPresent());
    assertEquals(before + 1, allocationCount());
    assertEquals(0, weft(env("DEL", "gc-keep", keep, "eth0"), config("1.1.0", "")).exit());
  }

  @Test
  void referencePluginsChainAfterWeft() throws Exception {
    for (String plugin : List.of("tuning", "portmap", "bandwidth")) {
      assumeTrue(Files.isExecutable(Path.of(REFERENCE_PLUGINS, plugin)),
          REFERENCE_PLUGINS + "/" + plugin + " is missing (apt-get install containernetworking-plugins)");
    }
    String pod = newPod();
    Map<String, String> env = env("ADD", "chain", pod, "eth0");
    Map<String, Object> result = add("chain", pod, "1.0.0");

    String tuning = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"tuning\","
        + "\"sysctl\":{\"net.ipv4.conf.eth0.accept_redirects\":\"0\"},\"prevResult\":" + Json.write(result) + "}";
    Netns.Result t = reference("tuning", env, tuning);
    assertEquals(0, t.exit(), t.stdout() + t.stderr());
    Map<String, Object> afterTuning = Json.parseObject(t.stdout());
    assertEquals(address(result), address(afterTuning));
    assertEquals("0", Netns.exec(pod, "cat", "/proc/sys/net/ipv4/conf/eth0/accept_redirects").stdout().trim());

    String portmap = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true},"
        + "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":18080,\"containerPort\":80,\"protocol\":\"tcp\"}]},"
        + "\"prevResult\":" + Json.write(afterTuning) + "}";
    Netns.Result p = reference("portmap", env, portmap);
    assertEquals(0, p.exit(), p.stdout() + p.stderr());
    Map<String, Object> afterPortmap = Json.parseObject(p.stdout());
    assertEquals(address(result), address(afterPortmap));

    String bandwidth = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"bandwidth\","
        + "\"ingressRate\":8000000,\"ingressBurst\":800000,\"egressRate\":8000000,\"egressBurst\":800000,"
        + "\"prevResult\":" + Json.write(afterPortmap) + "}";
    Netns.Result b = reference("bandwidth", env, bandwidth);
    assertEquals(0, b.exit(), b.stdout() + b.stderr());
    Map<String, Object> afterBandwidth = Json.parseObject(b.stdout());
    assertEquals(address(result), address(afterBandwidth));
    assertTrue(Netns.exec(NODE, "tc", "qdisc", "show", "dev", host("chain")).stdout().contains("tbf"),
        "bandwidth found Weft's host interface in the result and shaped it");

    // CHECK and DEL run the list as a runtime does: CHECK in order, DEL in reverse, each with the final result.
    String finalResult = Json.write(afterBandwidth);
    Map<String, String> checkEnv = env("CHECK", "chain", pod, "eth0");
    assertEquals(0, weft(checkEnv, config("1.0.0", ",\"prevResult\":" + finalResult)).exit());
    Netns.Result tc = reference("tuning", checkEnv, tuning.replace(Json.write(result), finalResult));
    assertEquals(0, tc.exit(), tc.stdout() + tc.stderr());
    Netns.Result bc = reference("bandwidth", checkEnv, bandwidth.replace(Json.write(afterPortmap), finalResult));
    assertEquals(0, bc.exit(), bc.stdout() + bc.stderr());

    Map<String, String> delEnv = env("DEL", "chain", pod, "eth0");
    Netns.Result bd = reference("bandwidth", delEnv, bandwidth.replace(Json.write(afterPortmap), finalResult));
    assertEquals(0, bd.exit(), bd.stdout() + bd.stderr());
    Netns.Result pd = reference("portmap", delEnv, portmap.replace(Json.write(afterTuning), finalResult));
    assertEquals(0, pd.exit(), pd.stdout() + pd.stderr());
    Netns.Result td = reference("tuning", delEnv, tuning.replace(Json.write(result), finalResult));
    assertEquals(0, td.exit(), td.stdout() + td.stderr());
    assertEquals(0, weft(delEnv, config("1.0.0", ",\"prevResult\":" + finalResult)).exit());
    awaitGone(host("chain"));
  }

  @Test
  void podsOnOneNodeReachEachOtherAndTheGateway() throws Exception {
    String a = newPod();
    String b = newPod();
    String ipA = address(add("ping-a", a, "1.0.0")).split("/")[0];
    String ipB = address(add("ping-b", b, "1.0.0")).split("/")[0];
    for (String[] probe : new String[][] {{a, ipB}, {b, ipA}, {a, GATEWAY}}) {
      await().atMost(Duration.ofSeconds(10)).until(() -> Netns.exec(probe[0], "ping", "-c1", "-W1", probe[1]).exit() == 0);
    }
    assertEquals(0, weft(env("DEL", "ping-a", a, "eth0"), config("1.0.0", "")).exit());
    assertEquals(0, weft(env("DEL", "ping-b", b, "eth0"), config("1.0.0", "")).exit());
  }

  @Test
  void twoHundredParallelAddsGetDistinctAddressesAndDelsFreeThemAll() throws Exception {
    int before = allocationCount();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      names.add("wcni2-par-" + i);
    }
    Netns.batch("add", names);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Map<String, Object>>> adds = new ArrayList<>();
      for (String n : names) {
        adds.add(pool.submit(() -> call(CniCommand.ADD, n)));
      }
      Set<String> addresses = new HashSet<>();
      for (Future<Map<String, Object>> f : adds) {
        addresses.add(address(f.get()));
      }
      assertEquals(200, addresses.size());
      assertEquals(before + 200, allocationCount());
      assertEquals(200, node.links().list().stream().filter(l -> l.name().startsWith("weft")).count() - countOtherWeftLinks());

      List<Future<Map<String, Object>>> dels = new ArrayList<>();
      for (String n : names) {
        dels.add(pool.submit(() -> call(CniCommand.DEL, n)));
      }
      for (Future<Map<String, Object>> f : dels) {
        assertNull(f.get());
      }
      assertEquals(before, allocationCount());
    } finally {
      pool.shutdownNow();
      Netns.batch("del", names);
    }
  }

  private long countOtherWeftLinks() {
    Set<String> ours = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      ours.add(host("wcni2-par-" + i));
    }
    return node.links().list().stream().filter(l -> l.name().startsWith("weft") && !ours.contains(l.name())).count();
  }

  private Map<String, Object> call(CniCommand command, String ns) throws IOException {
    CniRequest r = new CniRequest(command, "1.0.0", "weft", ns, Netns.path(ns).toString(), "eth0", new LinkedHashMap<>(),
        1500, List.of(), List.of(), null, null);
    return endpoint.execute(r).map(CniResult::toJson).orElse(null);
  }
}
