package io.weft.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A container start through a real runtime, for docs/benchmarks.md (run by {@code sudo lab/bench.sh}): the
 * wall time of {@code podman run -d} (podman 4.3, libcni) on a one-node lab with Weft's network
 * ({@code weft} then {@code portmap}), with Debian's {@code bridge} + {@code host-local} (then {@code portmap},
 * the same chain) and with {@code --network none}, {@value #RUNS} runs each. The three alternate run by run,
 * the first of each round rotating, so a neighbour's burst of load on this shared machine hits all alike;
 * each container is removed (untimed) before the next start. A network's share is its time minus the
 * none time: what the network costs a container start. Prints markdown on stdout, progress on stderr.
 */
public final class PodmanBench {
  private static final int RUNS = 20;
  private static final List<String> NETWORKS = List.of("weft", "bridge+host-local", "none");
  private static final Map<String, String> PODMAN_NETWORK = Map.of("weft", "weft", "bridge+host-local", "ref", "none", "none");

  private PodmanBench() {}

  public static void main(String[] args) throws IOException {
    Progress progress = Progress.timed(System.err);
    Map<String, List<Double>> millis = new TreeMap<>();
    NETWORKS.forEach(n -> millis.put(n, new ArrayList<>()));
    try (Lab lab = Lab.create(LabConfig.defaults("PodmanBench").withNodes(1).withPodsPerNode(0), progress)) {
      Podman podman = lab.node(1).startPodman();
      lab.startAgents(progress);
      // host-local keeps its leases in /var/lib/cni/networks: inside the node's overlay, in the lab.
      Files.writeString(podman.networkConfigDir().resolve("20-ref.conflist"),
          "{\"cniVersion\":\"1.0.0\",\"name\":\"ref\",\"plugins\":["
              + "{\"type\":\"bridge\",\"bridge\":\"cni0\",\"isGateway\":true,"
              + "\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.88.0.0/24\"}]]}},"
              + "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}]}\n");
      // One untimed start each: first-use costs (page cache, the bridge's creation) are not a network's.
      NETWORKS.forEach(n -> startAndRemove(podman, n));
      for (int run = 0; run < RUNS; run++) {
        for (int i = 0; i < NETWORKS.size(); i++) {
          String network = NETWORKS.get((run + i) % NETWORKS.size());
          millis.get(network).add(startAndRemove(podman, network));
        }
      }
      progress.step(RUNS + " runs of each network done");
    }
    print(millis);
    System.exit(0);
  }

  /** Times {@code podman run -d} on {@code network}, then removes the container; returns milliseconds. */
  private static double startAndRemove(Podman podman, String network) {
    long start = System.nanoTime();
    Command.Result run = podman.run(List.of("--network", PODMAN_NETWORK.get(network)), "sleep", "3600").check();
    double elapsed = (System.nanoTime() - start) / 1e6;
    podman.podman("rm", "-f", "-t", "0", run.stdout().strip()).check();
    return elapsed;
  }

  private static void print(Map<String, List<Double>> millis) {
    double noneMean = mean(millis.get("none"));
    double noneP50 = p50(millis.get("none"));
    System.out.println("| network | mean ms | p50 ms | min ms | share: mean − none | share: p50 − none |");
    System.out.println("|---|---|---|---|---|---|");
    for (String network : NETWORKS) {
      List<Double> v = millis.get(network);
      System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f |%n", network, mean(v), p50(v),
          v.stream().mapToDouble(Double::doubleValue).min().orElseThrow(), mean(v) - noneMean, p50(v) - noneP50);
    }
    double weftShare = mean(millis.get("weft")) - noneMean;
    double refShare = mean(millis.get("bridge+host-local")) - noneMean;
    double weftShareP50 = p50(millis.get("weft")) - noneP50;
    double refShareP50 = p50(millis.get("bridge+host-local")) - noneP50;
    System.out.println();
    System.out.printf(Locale.ROOT, "Weft's share ÷ the reference's: %.2f (means), %.2f (p50s). Goal (issue #16): at most 1.5.%n",
        weftShare / refShare, weftShareP50 / refShareP50);
    System.out.printf(Locale.ROOT, "- `podman run -d --rootfs <busybox> sleep 3600`, %d runs per network, alternating; "
        + "both networks chain portmap after their plugin; the container is removed (untimed) after each run.%n", RUNS);
  }

  private static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  private static double p50(List<Double> v) {
    List<Double> sorted = v.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
