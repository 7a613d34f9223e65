package io.weft.agent.cni;

import io.weft.agent.api.ApiServer;
import io.weft.cni.AgentClient;
import io.weft.cni.CniCommand;
import io.weft.cni.CniReply;
import io.weft.cni.CniRequest;
import io.weft.core.net.Cidr;
import io.weft.dataplane.NetlinkDataplane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Not a test: ADD and DEL latency of the real {@code bin/weft} (against an in-JVM agent endpoint) side by
 * side with Debian's reference {@code bridge} + {@code host-local}, both run as executables the same way
 * (nsenter into the node namespace {@code wcni-bench-node}), sequentially and with {@code parallel} in
 * flight. Needs root. Arguments: {@code [pods=100] [parallel=10]}; {@code -Dweft.dist=DIR} for the tree.
 */
public final class CniBenchmark {
  private static final String PREFIX = "wcni-bench-";
  private static final String NODE = PREFIX + "node";

  private CniBenchmark() {}

  public static void main(String[] args) throws Exception {
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int parallel = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path weft = Path.of(System.getProperty("weft.dist", "target/weft")).resolve("bin/weft").toAbsolutePath();
    Netns.removeAllWithPrefix(PREFIX);
    Path dir = Files.createTempDirectory(PREFIX);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < pods; i++) {
      names.add(PREFIX + "pod-" + i);
    }
    Netns.add(NODE);
    Netns.batch("add", names);
    Path socket = dir.resolve("weft.sock");
    String weftConf = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\"" + socket + "\"}";
    String refConf = "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"bridge\",\"bridge\":\"cni0\",\"isGateway\":true,"
        + "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.244.2.0/24\",\"dataDir\":\"" + dir.resolve("host-local") + "\"}}";
    try (NetlinkDataplane node = NetlinkDataplane.in(Netns.path(NODE));
        CniEndpoint endpoint = new CniEndpoint(node, NetlinkDataplane::in, "v-net-0",
            () -> Optional.of(Cidr.parse("10.244.1.0/24")), dir.resolve("state"), Clock.systemUTC());
        ApiServer server = ApiServer.on(socket).route("POST", "/v1/cni", endpoint).workers(parallel).start()) {
      Plugin weftPlugin = new Plugin("weft", weft.toString(), weftConf, "eth0");
      Plugin ref = new Plugin("bridge+host-local", "/usr/lib/cni/bridge", refConf, "eth1");
      System.out.printf(Locale.ROOT, "%d pods, parallel=%d, JVM for bin/weft: %s%n", pods, parallel,
          System.getenv().getOrDefault("WEFT_JAVA", "java on PATH"));
      System.out.printf(Locale.ROOT, "%-18s %-8s %8s %8s %8s %9s%n", "plugin", "phase", "p50 ms", "p99 ms", "mean ms", "total s");
      // The agent's share: the same verbs over the API socket from this JVM, without a plugin process.
      Plugin agent = new Plugin("weft (agent only)", null, null, "eth2");
      report(agent, "ADD seq", runInJvm(socket, CniCommand.ADD, names));
      report(agent, "DEL seq", runInJvm(socket, CniCommand.DEL, names));
      for (int p : new int[] {1, parallel}) {
        String mode = p == 1 ? "seq" : "par" + p;
        report(weftPlugin, "ADD " + mode, run(weftPlugin, "ADD", names, p));
        report(ref, "ADD " + mode, run(ref, "ADD", names, p));
        report(weftPlugin, "DEL " + mode, run(weftPlugin, "DEL", names, p));
        report(ref, "DEL " + mode, run(ref, "DEL", names, p));
      }
    } finally {
      Netns.removeAllWithPrefix(PREFIX);
      Netns.run(List.of("rm", "-rf", dir.toString()));
    }
  }

  private record Plugin(String name, String executable, String config, String ifname) {}

  private record Samples(List<Double> millis, double totalSeconds) {}

  private static Samples run(Plugin plugin, String command, List<String> pods, int parallel) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    long start = System.nanoTime();
    try {
      List<Future<Double>> futures = new ArrayList<>();
      for (String pod : pods) {
        futures.add(pool.submit(() -> once(plugin, command, pod)));
      }
      List<Double> out = new ArrayList<>();
      for (Future<Double> f : futures) {
        out.add(f.get());
      }
      return new Samples(out, (System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  private static Samples runInJvm(Path socket, CniCommand command, List<String> pods) throws Exception {
    AgentClient client = new AgentClient(60_000);
    List<Double> out = new ArrayList<>();
    long start = System.nanoTime();
    for (String pod : pods) {
      CniRequest r = new CniRequest(command, "1.0.0", "weft", pod, Netns.path(pod).toString(), "eth2", Map.of(), 1500,
          List.of(), List.of(), null);
      long t0 = System.nanoTime();
      AgentClient.Response response = client.post(socket, "/v1/cni", r.toJson());
      out.add((System.nanoTime() - t0) / 1e6);
      CniReply.read(response.body());
    }
    return new Samples(out, (System.nanoTime() - start) / 1e9);
  }

  private static double once(Plugin plugin, String command, String pod) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", pod);
    env.put("CNI_NETNS", Netns.path(pod).toString());
    env.put("CNI_IFNAME", plugin.ifname());
    env.put("CNI_PATH", "/usr/lib/cni");
    long t0 = System.nanoTime();
    Netns.Result r = Netns.start(List.of("nsenter", "--net=" + Netns.path(NODE), plugin.executable()), env, plugin.config());
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.exit() != 0) {
      throw new IllegalStateException(plugin.name() + " " + command + " " + pod + " failed: " + r.stdout() + r.stderr());
    }
    return ms;
  }

  private static void report(Plugin plugin, String phase, Samples s) {
    List<Double> sorted = new ArrayList<>(s.millis());
    Collections.sort(sorted);
    double mean = sorted.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    System.out.printf(Locale.ROOT, "%-18s %-8s %8.1f %8.1f %8.1f %9.2f%n", plugin.name(), phase,
        percentile(sorted, 50), percentile(sorted, 99), mean, s.totalSeconds());
  }

  private static double percentile(List<Double> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
