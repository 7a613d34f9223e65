package io.weft.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.testing.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broken state under one real weft-agent (the assembled launcher) in a node namespace {@code wsf-node},
 * with pods in {@code wsf-pod-N} made by the real CNI executable exactly as a runtime calls it (CNI_*
 * environment, config on stdin): garbled and truncated allocation files, a DEL lost while the agent is
 * down, a corrupt lease, 100 concurrent ADDs with a kill -9 in the middle, and a state dir that turns
 * read-only or full while the agent runs (a tiny tmpfs in a mount namespace of the agent's own).
 * Figures are logged with the prefix "state-fault:" (docs/operations.md quotes them).
 */
@RequiresRoot
class StateFaultIT {
  private static final Logger log = LoggerFactory.getLogger(StateFaultIT.class);
  static final String PREFIX = "wsf-";
  static final String NODE = PREFIX + "node";
  static final Path DIST = Path.of("target/weft");
  static final Duration WAIT = Duration.ofSeconds(90);
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;
  Path state;
  Path socket;
  Process agent;
  final AtomicInteger pods = new AtomicInteger();
  final List<String> podNamespaces = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    removeNamespaces();
    run("ip", "netns", "add", NODE);
    run("ip", "-n", NODE, "link", "set", "lo", "up");
    run("ip", "-n", NODE, "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p");
    run("ip", "-n", NODE, "link", "set", "uplink0p", "up");
    run("ip", "-n", NODE, "addr", "add", "192.168.79.21/24", "dev", "uplink0");
    run("ip", "-n", NODE, "link", "set", "uplink0", "up");
    run("ip", "-n", NODE, "route", "add", "default", "via", "192.168.79.1");
    state = tmp.resolve("state");
    socket = tmp.resolve("weft.sock");
    Files.createDirectories(state);
  }

  @AfterEach
  void tearDown() throws Exception {
    killAgent();
    removeNamespaces();
  }

  // ---------------------------------------------------------------- the faults

  @Test
  void unreadableRecordsKeepTheirAddressAndALostDelIsReleasedByTheReconcile() throws Exception {
    startAgent(false);
    awaitReady();
    String a = newPod();
    String b = newPod();
    String c = newPod();
    String ipA = add(a);
    String ipB = add(b);
    String ipC = add(c);
    assertEquals(0, stopAgent(), "SIGTERM is a clean stop");

    Path dir = ipamDir();
    Files.writeString(dir.resolve(ipA), "\u0000\u0000garbage{{");                   // garbled
    byte[] whole = Files.readAllBytes(dir.resolve(ipB));
    Files.write(dir.resolve(ipB), java.util.Arrays.copyOf(whole, 9));              // truncated
    // Pod c is removed while the agent is down: its DEL fails with "try again later" and is never sent again.
    Result lost = cni("DEL", c, null);
    assertEquals(11, errorCode(lost), lost.stdout());
    deleteNamespace(c);

    long restarted = System.nanoTime();
    startAgent(false);
    awaitReady();
    JsonNode ipam = await().atMost(WAIT).until(() -> ipamView(), v -> v.path("releasedByReconcile").size() == 1);
    log.info("state-fault: lost DEL of {} released by the reconcile {} ms after the restart", ipC,
        (System.nanoTime() - restarted) / 1_000_000);
    assertEquals(ipC, ipam.path("releasedByReconcile").path(0).path("address").asText(), ipam.toString());
    assertEquals(c, ipam.path("releasedByReconcile").path(0).path("containerId").asText());
    assertEquals(Set.of(ipA, ipB), addresses(ipam.path("unknownOwner")), ipam.toString());
    assertEquals(Set.of(), addresses(ipam.path("allocations")), "a and b have no readable record: " + ipam);
    Result status = meshctl("status");
    assertEquals(1, status.exit(), "degraded: " + status.stdout());
    assertTrue(status.stdout().contains("reserved with an unreadable allocation record"), status.stdout());
    Result table = meshctl("status", "ipam");
    assertTrue(table.stdout().contains("Unknown owner:\nADDRESS"), table.stdout());
    assertTrue(table.stdout().contains("Released by reconcile:\nADDRESS"), table.stdout());
    assertTrue(log().contains("released " + ipC + " of " + c + "/eth0"), "the release is logged");
    assertTrue(metrics().contains("weft_ipam_released_by_reconcile_total 1.0"), metrics());
    assertTrue(metrics().contains("weft_ipam_unknown_owner_addresses 2.0"), metrics());

    // New pods never get a reserved address; c's address is free again.
    Set<String> fresh = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      fresh.add(add(newPod()));
    }
    assertFalse(fresh.contains(ipA) || fresh.contains(ipB), "no duplicate of a live pod's address: " + fresh);
    assertEquals(5, fresh.size());

    // The runtime's DEL of a names its address (prevResult): freed at once.
    Result delA = cni("DEL", a, ipA);
    assertEquals(0, delA.exit(), delA.stdout());
    assertEquals(Set.of(ipB), addresses(ipamView().path("unknownOwner")));
    // b goes without a DEL naming it (its namespace removed): once no veth is unaccounted for, it is freed.
    deleteNamespace(b);
    await().atMost(WAIT).until(() -> ipamView().path("unknownOwner").size() == 0);
    assertEquals(5, addresses(ipamView().path("allocations")).size());
    Result healthy = meshctl("status");
    assertEquals(0, healthy.exit(), "no problem left: " + healthy.stdout());
  }

  @Test
  void aCorruptLeaseIsRecoveredOrRefusedWithTheFix() throws Exception {
    startAgent(false);
    String subnet = awaitReady();
    String ip = add(newPod());
    assertEquals(0, stopAgent());
    Files.writeString(state.resolve("mesh-lease.json"), "{\"node\":\"it\",\"subnet\":\"10.244.");

    // The pod bridge still holds the gateway: the agent recovers the subnet from it, the pod keeps its address.
    startAgent(false);
    assertEquals(subnet, awaitReady());
    assertTrue(Files.exists(state.resolve("mesh-lease.json.bad")));
    assertTrue(log().contains("recovered from the pod bridge's address (" + subnet + ")"), log());
    assertTrue(addresses(ipamView().path("allocations")).contains(ip));
    assertEquals(0, stopAgent());
    assertTrue(JSON.readTree(state.resolve("mesh-lease.json").toFile()).path("subnet").asText().equals(subnet),
        "the lease is written again");

    // Without the bridge and any peer to ask, nothing records the subnet: exit 1 with the fix, at every start.
    Files.writeString(state.resolve("mesh-lease.json"), "garbage");
    run("ip", "-n", NODE, "link", "del", "v-net-0");
    startAgent(false);
    assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent stops");
    assertEquals(1, agent.exitValue());
    assertTrue(log().contains("start it with --pod-subnet set to the subnet it had"), log());
  }

  @Test
  void aHundredConcurrentAddsWithAKill9InTheMiddleLeaveNoDuplicateAndNoLeakOnceReconciled() throws Exception {
    startAgent(false);
    awaitReady();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      names.add(PREFIX + "pod-c" + i);
    }
    batchNamespaces("add", names);
    podNamespaces.addAll(names);
    Map<String, String> added = new TreeMap<>();
    Map<String, Integer> failed = new TreeMap<>();
    AtomicInteger done = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Result>> adds = new ArrayList<>();
      for (String n : names) {
        adds.add(pool.submit(() -> {
          Result r = cni("ADD", n, null);
          done.incrementAndGet();
          return r;
        }));
      }
      await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> done.get() >= 35);
      int killedAfter = done.get();
      agent.destroyForcibly();
      assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
      for (int i = 0; i < names.size(); i++) {
        Result r = adds.get(i).get(60, TimeUnit.SECONDS);
        if (r.exit() == 0) {
          added.put(names.get(i), address(r));
        } else {
          failed.put(names.get(i), errorCode(r));
        }
      }
      log.info("state-fault: kill -9 after {} of 100 ADDs had answered: {} succeeded, {} failed with codes {}",
          killedAfter, added.size(), failed.size(), new HashSet<>(failed.values()));
      assertEquals(added.size(), new HashSet<>(added.values()).size(), "distinct addresses: " + added);
      assertFalse(added.isEmpty());
      assertFalse(failed.isEmpty(), "the kill came in the middle");
      assertEquals(Set.of(11), new HashSet<>(failed.values()), "an ADD the agent could not answer is 'try again later': " + failed);

      // As a runtime does after a failed ADD: DEL (fails while the agent is down, and is lost), then the sandbox goes.
      for (String n : failed.keySet()) {
        assertEquals(11, errorCode(cni("DEL", n, null)));
      }
      batchNamespaces("del", new ArrayList<>(failed.keySet()));

      long restarted = System.nanoTime();
      startAgent(false);
      awaitReady();
      // Exactly the answered ADDs hold an address: whatever the kill left half-done is released.
      Map<String, String> expected = new TreeMap<>();
      added.forEach((n, ip) -> expected.put(ip, n));
      await().atMost(WAIT).until(() -> allocations(ipamView()).equals(expected));
      log.info("state-fault: after the restart the allocations equal the {} answered ADDs {} ms later ({} released by reconcile)",
          added.size(), (System.nanoTime() - restarted) / 1_000_000, ipamView().path("releasedByReconcile").size());
      for (Map.Entry<String, String> e : added.entrySet()) {
        String inPod = run("ip", "-n", e.getKey(), "-4", "-o", "addr", "show", "dev", "eth0");
        assertTrue(inPod.contains(" " + e.getValue() + "/24"), e.getKey() + " holds " + e.getValue() + ": " + inPod);
      }

      // Now 100 at once again: DEL of every surviving pod beside ADDs of new ones.
      List<String> second = new ArrayList<>();
      for (int i = 0; i < 100 - added.size(); i++) {
        second.add(PREFIX + "pod-d" + i);
      }
      batchNamespaces("add", second);
      podNamespaces.addAll(second);
      List<Future<Result>> mixed = new ArrayList<>();
      for (String n : added.keySet()) {
        mixed.add(pool.submit(() -> cni("DEL", n, null)));
      }
      List<Future<Result>> newAdds = new ArrayList<>();
      for (String n : second) {
        newAdds.add(pool.submit(() -> cni("ADD", n, null)));
      }
      for (Future<Result> f : mixed) {
        assertEquals(0, f.get(60, TimeUnit.SECONDS).exit());
      }
      Set<String> secondIps = new HashSet<>();
      for (Future<Result> f : newAdds) {
        Result r = f.get(60, TimeUnit.SECONDS);
        assertEquals(0, r.exit(), r.stdout());
        secondIps.add(address(r));
      }
      assertEquals(second.size(), secondIps.size(), "distinct");
      assertEquals(secondIps, allocations(ipamView()).keySet());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aStateDirThatTurnsReadOnlyOrFullIsReportedAndHealsWhenFixed() throws Exception {
    startAgent(true);
    awaitReady();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> readyz().status() == 200);
    add(newPod());

    // Read-only while running.
    nsenterAgent("mount", "-o", "remount,ro", state.toString());
    long broke = System.nanoTime();
    Http notReady = await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(this::readyz, r -> r.status() == 503);
    log.info("state-fault: read-only state dir: /readyz 503 {} ms later: {}", (System.nanoTime() - broke) / 1_000_000,
        notReady.body().strip());
    assertTrue(notReady.body().contains("cannot be written (Read-only file system"), notReady.body());
    assertTrue(notReady.body().contains("make --state-dir writable"), notReady.body());
    Result refused = cni("ADD", newPod(), null);
    assertEquals(5, errorCode(refused), refused.stdout());
    Result status = meshctl("status");
    assertEquals(1, status.exit());
    assertTrue(status.stdout().contains("cannot be written"), status.stdout());
    assertTrue(log().contains("every CNI ADD fails with code 5 until it can"), "logged with the fix");
    assertTrue(metrics().contains("weft_state_dir_writable 0.0"), metrics());

    nsenterAgent("mount", "-o", "remount,rw", state.toString());
    await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> readyz().status() == 200);
    add(newPod());

    // Full while running.
    nsenterAgent("sh", "-c", "cat /dev/zero > " + state.resolve("fill") + " 2>/dev/null; true");
    broke = System.nanoTime();
    notReady = await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(this::readyz, r -> r.status() == 503);
    log.info("state-fault: full state dir: /readyz 503 {} ms later: {}", (System.nanoTime() - broke) / 1_000_000,
        notReady.body().strip());
    assertTrue(notReady.body().contains("No space left on device"), notReady.body());
    assertEquals(5, errorCode(cni("ADD", newPod(), null)));

    nsenterAgent("rm", "-f", state.resolve("fill").toString());
    await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> readyz().status() == 200);
    assertNotEquals("", add(newPod()));
    assertEquals(0, meshctl("status").exit(), meshctl("status").stdout());
  }

  // ---------------------------------------------------------------- the agent

  /**
   * Starts weft-agent in the node namespace; with {@code tmpfs} its state dir is a 1 MiB tmpfs mounted in a
   * mount namespace of the agent's own ("slave": pod namespaces made later under /run/netns still show up
   * in it; nothing it mounts shows up outside).
   */
  private void startAgent(boolean tmpfs) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NODE));
    if (tmpfs) {
      cmd.addAll(List.of("unshare", "--mount", "--propagation", "slave", "--", "sh", "-c",
          "mount -t tmpfs -o size=1m weft-state \"$0\" && exec \"$@\"", state.toString()));
    }
    cmd.addAll(List.of(DIST.resolve("bin/weft-agent").toAbsolutePath().toString(),
        "--node-name", "it", "--node-ip", "192.168.79.21", "--state-dir", state.toString(),
        "--api-socket", socket.toString(), "--rt-protos-dir", "none", "--resync-interval", "2s",
        "--peer-grace", "5s", "--adopt-grace", "2s", "--insecure"));
    Files.writeString(tmp.resolve("agent.log"), "==== start " + String.join(" ", cmd) + "\n",
        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    agent = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("agent.log").toFile())).start();
  }

  /** Waits for /v1/status to show a pod subnet and returns it. */
  private String awaitReady() {
    return await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!agent.isAlive()) {
        throw new AssertionError("agent exited " + agent.exitValue() + ":\n" + log());
      }
      Result r = meshctl("status", "-o", "json");
      return r.exit() == 3 ? "" : JSON.readTree(r.stdout()).path("node").path("podSubnet").asText("");
    }, s -> !s.isEmpty() && !s.equals("null"));
  }

  private int stopAgent() throws InterruptedException {
    agent.destroy();
    assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
    return agent.exitValue();
  }

  private void killAgent() throws InterruptedException {
    if (agent != null && agent.isAlive()) {
      agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private void nsenterAgent(String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(agent.pid()), "-m", "--"));
    cmd.addAll(List.of(command));
    run(cmd.toArray(String[]::new));
  }

  private String log() throws IOException {
    return Files.readString(tmp.resolve("agent.log"));
  }

  private Path ipamDir() throws IOException {
    try (var dirs = Files.list(state.resolve("ipam"))) {
      return dirs.findFirst().orElseThrow();
    }
  }

  // ---------------------------------------------------------------- CNI, as a runtime calls it

  private String newPod() throws IOException, InterruptedException {
    String name = PREFIX + "pod-" + pods.incrementAndGet();
    run("ip", "netns", "add", name);
    podNamespaces.add(name);
    return name;
  }

  private void deleteNamespace(String name) throws IOException, InterruptedException {
    run("ip", "netns", "del", name);
  }

  /** ADD that must succeed; returns the pod's address. */
  private String add(String pod) throws IOException, InterruptedException {
    Result r = cni("ADD", pod, null);
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    return address(r);
  }

  /** Runs bin/weft for {@code verb} on {@code pod} (container ID = namespace name); {@code prevIp} goes in prevResult. */
  private Result cni(String verb, String pod, String prevIp) throws IOException, InterruptedException {
    String prev = prevIp == null ? "" : ",\"prevResult\":{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"" + prevIp
        + "/24\"}]}";
    String config = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\"" + socket + "\"" + prev + "}";
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", verb);
    env.put("CNI_CONTAINERID", pod);
    env.put("CNI_NETNS", "/var/run/netns/" + pod);
    env.put("CNI_IFNAME", "eth0");
    env.put("CNI_PATH", "/opt/cni/bin");
    ProcessBuilder pb = new ProcessBuilder(DIST.resolve("bin/weft").toAbsolutePath().toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
    pb.environment().putAll(env);
    return exchange(pb, config);
  }

  private static String address(Result r) throws IOException {
    String cidr = JSON.readTree(r.stdout()).path("ips").path(0).path("address").asText();
    return cidr.substring(0, cidr.indexOf('/'));
  }

  private static int errorCode(Result r) throws IOException {
    assertNotEquals(0, r.exit(), "expected an error: " + r.stdout());
    return JSON.readTree(r.stdout()).path("code").asInt();
  }

  // ---------------------------------------------------------------- what the agent shows

  private JsonNode ipamView() throws Exception {
    Result r = meshctl("status", "ipam", "-o", "json");
    assertEquals(0, r.exit(), r.stdout());
    return JSON.readTree(r.stdout());
  }

  private static Set<String> addresses(JsonNode list) {
    Set<String> out = new HashSet<>();
    list.forEach(n -> out.add(n.path("address").asText()));
    return out;
  }

  /** address → container ID of every allocation. */
  private static Map<String, String> allocations(JsonNode ipam) {
    Map<String, String> out = new TreeMap<>();
    ipam.path("allocations").forEach(n -> out.put(n.path("address").asText(), n.path("containerId").asText()));
    assertEquals(out.size(), ipam.path("allocations").size(), "an address held twice: " + ipam);
    return out;
  }

  private Result meshctl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(DIST.resolve("bin/meshctl").toAbsolutePath().toString(), "--socket", socket.toString()));
    cmd.addAll(List.of(args));
    return exchange(new ProcessBuilder(cmd), null);
  }

  record Http(int status, String body) {}

  private Http readyz() throws IOException, InterruptedException {
    Result r = exchange(new ProcessBuilder("ip", "netns", "exec", NODE, "curl", "-s", "-m", "5", "-w", "\n%{http_code}",
        "http://127.0.0.1:6782/readyz"), null);
    String out = r.stdout();
    int nl = out.lastIndexOf('\n');
    return new Http(Integer.parseInt(out.substring(nl + 1).trim()), out.substring(0, Math.max(nl, 0)));
  }

  private String metrics() throws IOException, InterruptedException {
    return exchange(new ProcessBuilder("ip", "netns", "exec", NODE, "curl", "-s", "-m", "5",
        "http://127.0.0.1:6782/metrics"), null).stdout();
  }

  // ---------------------------------------------------------------- processes and namespaces

  record Result(int exit, String stdout, String stderr) {}

  private static Result exchange(ProcessBuilder pb, String stdin) throws IOException, InterruptedException {
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    });
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", pb.command()) + " did not finish in 60 s");
    }
    return new Result(p.exitValue(), out, err.join());
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Result r = exchange(new ProcessBuilder(cmd), null);
    if (r.exit() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed (" + r.exit() + "): " + r.stdout() + r.stderr());
    }
    return r.stdout();
  }

  private void batchNamespaces(String verb, List<String> names) throws IOException, InterruptedException {
    if (names.isEmpty()) {
      return;
    }
    Path file = tmp.resolve("netns-" + verb + ".batch");
    StringBuilder b = new StringBuilder();
    names.forEach(n -> b.append("netns ").append(verb).append(' ').append(n).append('\n'));
    Files.writeString(file, b);
    run("ip", "-force", "-batch", file.toString());
  }

  /** Every namespace with the prefix: this run's and any left by an earlier, killed one. */
  private void removeNamespaces() throws IOException, InterruptedException {
    List<String> ours = new ArrayList<>();
    for (String line : run("ip", "netns", "list").split("\n")) {
      String n = line.split(" ")[0].trim();
      if (n.startsWith(PREFIX)) {
        ours.add(n);
      }
    }
    batchNamespaces("del", ours);
    podNamespaces.clear();
  }
}
