package io.weft.agent.cni;

import io.weft.agent.api.ApiServer;
import io.weft.dataplane.Dataplane;
import io.weft.agent.cni.protocol.CniPlugin;
import io.weft.agent.cni.protocol.CniCommand;
import io.weft.agent.cni.protocol.CniRequest;
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
import java.util.function.Consumer;

/**
 * Not a test: ADD and DEL latency of the real {@code bin/weft} (against an in-JVM agent endpoint) side by
 * side with Debian's reference {@code bridge} + {@code host-local}, both run as executables the same way
 * (nsenter into the node namespace {@code wcni2-bench-node}), sequentially and with {@code parallel} in
 * flight. The sequential phases alternate the plugins pod by pod, so a neighbour's burst of load on this
 * shared machine hits all alike; after each call (untimed) the bench waits until no host veth of weft's is
 * still being deleted (weft answers DEL first and deletes the veth right after), so that kernel work (it
 * holds the RTNL lock) is not billed to the next plugin's call. {@code cpu ms} is the CPU time (user + system) of the plugin
 * processes per call, from this JVM's reaped-children counters. Needs root. Arguments:
 * {@code [pods=100] [parallel=10]}; {@code -Dweft.dist=DIR} for the tree. With {@code -Dweft.compare.dist=DIR}
 * a second build of the forwarder runs too, alternating with the others against the same agent: before/after
 * figures from one run. VERSION runs the forwarder directly, as a runtime does, beside {@code /bin/cat}: the
 * floor of starting any process from this JVM.
 */
public final class CniBenchmark {
  private static final String PREFIX = "wcni2-bench-";
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
        CniEndpoint endpoint = new CniEndpoint(() -> NetlinkDataplane.in(Netns.path(NODE)), NetlinkDataplane::in, PodNamespace.ofThisProcess(),
            LoopBridge.on(node, () -> Optional.of(Cidr.parse("10.244.1.0/24")), 1500), () -> Optional.of(Cidr.parse("10.244.1.0/24")), () -> 1500, dir.resolve("state"), Clock.systemUTC());
        ApiServer server = ApiServer.on(socket).route("POST", "/v1/cni", new CniApi(new CniPlugin(endpoint)))
            .workers(parallel).start()) {
      Plugin weftPlugin = new Plugin("weft", weft.toString(), weftConf, "eth0");
      Plugin ref = new Plugin("bridge+host-local", "/usr/lib/cni/bridge", refConf, "eth1");
      List<Plugin> plugins = new ArrayList<>(List.of(weftPlugin, ref));
      System.out.printf(Locale.ROOT, "%d pods, parallel=%d, bin/weft: %s%n", pods, parallel, weft);
      String compareDist = System.getProperty("weft.compare.dist");
      if (compareDist != null) {
        plugins.add(1, new Plugin("weft (compare)", Path.of(compareDist).resolve("bin/weft").toAbsolutePath().toString(),
            weftConf, "eth3"));
        System.out.printf(Locale.ROOT, "weft (compare): %s%n", compareDist);
      }
      System.out.printf(Locale.ROOT, "%-18s %-8s %8s %8s %8s %8s %9s %7s%n", "plugin", "phase", "p50 ms", "p99 ms", "min ms",
          "mean ms", "total s", "cpu ms");
      // The agent's share: the same verbs over the API socket from this JVM, without a plugin process.
      Plugin agent = new Plugin("weft (agent only)", null, null, "eth2");
      report(agent, "ADD seq", runInJvm(endpoint, CniCommand.ADD, names));
      report(agent, "DEL seq", runInJvm(endpoint, CniCommand.DEL, names));
      // weft answers DEL before its veth is deleted: wait (untimed) for that kernel work after each DEL.
      Consumer<String> settle = pod -> awaitGone(node, CniEndpoint.hostInterfaceName(pod, "eth0"));
      double weftAddDel = 0;
      double refAddDel = 0;
      for (String command : new String[] {"ADD", "DEL"}) {
        List<Samples> all = alternate(plugins, command, names, command.equals("DEL") ? settle : pod -> { });
        for (int i = 0; i < plugins.size(); i++) {
          double p50 = report(plugins.get(i), command + " seq", all.get(i));
          if (plugins.get(i) == weftPlugin) {
            weftAddDel += p50;
          } else if (plugins.get(i) == ref) {
            refAddDel += p50;
          }
        }
      }
      // VERSION is answered by the forwarder itself: no socket, no agent, no namespace.
      Plugin spawnFloor = new Plugin("/bin/cat", "/bin/cat", "{}", "eth0");
        List<Samples> version = alternate(List.of(new Plugin("weft", weft.toString(), weftConf, "eth0", false),
          new Plugin("/bin/cat", "/bin/cat", "{}", "eth0", false)), "VERSION", names, pod -> { });
      double versionP50 = report(weftPlugin, "VERSION", version.get(0));
      double spawnP50 = report(spawnFloor, "spawn", version.get(1));
      System.out.printf(Locale.ROOT, "ADD+DEL p50 seq: weft %.1f ms, bridge+host-local %.1f ms (%.2fx); "
          + "VERSION p50 %.1f ms, of which starting a process that reads stdin (/bin/cat) from this JVM %.1f ms%n", weftAddDel,
          refAddDel, weftAddDel / refAddDel, versionP50, spawnP50);
      String mode = "par" + parallel;
      for (String command : new String[] {"ADD", "DEL"}) {
        for (Plugin p : plugins) {
          report(p, command + " " + mode, run(p, command, names, parallel));
          if (command.equals("DEL")) {
            names.forEach(settle);
          }
        }
      }
    } finally {
      Netns.removeAllWithPrefix(PREFIX);
      Netns.run(List.of("rm", "-rf", dir.toString()));
    }
  }

  /** @param inNodeNamespace run through nsenter into the node's namespace, as the runtime on that node would */
  private record Plugin(String name, String executable, String config, String ifname, boolean inNodeNamespace) {
    Plugin(String name, String executable, String config, String ifname) {
      this(name, executable, config, ifname, true);
    }
  }

  /** Waits until the node has no link of this name (at most 2 s). */
  private static void awaitGone(Dataplane node, String link) {
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (System.nanoTime() < deadline && node.links().byName(link).isPresent()) {
      Thread.onSpinWait();
    }
  }

  /** @param cpuMillis CPU per call of the plugin processes, or NaN when they ran in this JVM */
  private record Samples(List<Double> millis, double totalSeconds, double cpuMillis) {}

  private static Samples run(Plugin plugin, String command, List<String> pods, int parallel) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    long cpu0 = childrenCpuMillis();
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
      return new Samples(out, (System.nanoTime() - start) / 1e9, (childrenCpuMillis() - cpu0) / (double) pods.size());
    } finally {
      pool.shutdownNow();
    }
  }

  /** One call of each plugin per pod, in turn; the plugins' samples in the order given. */
  private static List<Samples> alternate(List<Plugin> plugins, String command, List<String> pods, Consumer<String> settle)
      throws Exception {
    List<List<Double>> millis = new ArrayList<>();
    double[] seconds = new double[plugins.size()];
    long[] cpu = new long[plugins.size()];
    for (int i = 0; i < plugins.size(); i++) {
      millis.add(new ArrayList<>());
    }
    for (String pod : pods) {
      for (int i = 0; i < plugins.size(); i++) {
        long cpu0 = childrenCpuMillis();
        double ms = once(plugins.get(i), command, pod);
        cpu[i] += childrenCpuMillis() - cpu0;
        millis.get(i).add(ms);
        seconds[i] += ms / 1e3;
        settle.accept(pod);
      }
    }
    List<Samples> out = new ArrayList<>();
    for (int i = 0; i < plugins.size(); i++) {
      out.add(new Samples(millis.get(i), seconds[i], cpu[i] / (double) pods.size()));
    }
    return out;
  }

  /**
   * User + system CPU of this JVM's waited-for children ({@code cutime + cstime} of /proc/self/stat, in
   * clock ticks of 10 ms: coarse per call, exact enough summed over a phase).
   */
  private static long childrenCpuMillis() throws java.io.IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // fields 16 and 17 of the man page; f[0] is field 3 (state)
    return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10;
  }

  /** The agent's own share: the endpoint called in this JVM, with no process start and no socket. */
  private static Samples runInJvm(CniEndpoint endpoint, CniCommand command, List<String> pods) {
    List<Double> out = new ArrayList<>();
    long start = System.nanoTime();
    for (String pod : pods) {
      CniRequest r = new CniRequest(command, "1.0.0", "weft", pod, Netns.path(pod).toString(), "eth2", Map.of(), 1500,
          List.of(), List.of(), null, null);
      long t0 = System.nanoTime();
      endpoint.execute(r);
      out.add((System.nanoTime() - t0) / 1e6);
    }
    return new Samples(out, (System.nanoTime() - start) / 1e9, Double.NaN);
  }

  private static double once(Plugin plugin, String command, String pod) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", pod);
    env.put("CNI_NETNS", Netns.path(pod).toString());
    env.put("CNI_IFNAME", plugin.ifname());
    env.put("CNI_PATH", "/usr/lib/cni");
    List<String> argv = plugin.inNodeNamespace()
        ? List.of("nsenter", "--net=" + Netns.path(NODE), plugin.executable()) : List.of(plugin.executable());
    long t0 = System.nanoTime();
    Netns.Result r = Netns.start(argv, env, plugin.config());
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.exit() != 0) {
      throw new IllegalStateException(plugin.name() + " " + command + " " + pod + " failed: " + r.stdout() + r.stderr());
    }
    return ms;
  }

  /** Prints one row; returns its p50. */
  private static double report(Plugin plugin, String phase, Samples s) {
    List<Double> sorted = new ArrayList<>(s.millis());
    Collections.sort(sorted);
    double mean = sorted.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    System.out.printf(Locale.ROOT, "%-18s %-8s %8.1f %8.1f %8.1f %8.1f %9.2f %7s%n", plugin.name(), phase,
        percentile(sorted, 50), percentile(sorted, 99), sorted.get(0), mean, s.totalSeconds(),
        Double.isNaN(s.cpuMillis()) ? "-" : String.format(Locale.ROOT, "%.1f", s.cpuMillis()));
    return percentile(sorted, 50);
  }

  private static double percentile(List<Double> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
