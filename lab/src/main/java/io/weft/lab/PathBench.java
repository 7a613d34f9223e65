package io.weft.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Data-path figures for docs/benchmarks.md (run by {@code sudo lab/bench.sh}): what Weft's direct and
 * VXLAN paths and its masquerade cost against the same kernel objects made by hand with {@code ip},
 * {@code bridge} and {@code iptables}, in the same run, between real pods of a real lab.
 *
 * <ul>
 *   <li>pod-to-pod TCP throughput (iperf3, {@value #IPERF_SECONDS} s) and ping round trip
 *       ({@value #PINGS} pings) across two nodes: Weft direct against a plain {@code ip route add ... via};
 *       Weft VXLAN ({@code --tunnel always}) against a hand-made VXLAN device with static FDB and
 *       neighbour entries, as flannel programs it. The agents program their state, then stop (SIGTERM
 *       keeps it); the route is then switched between Weft's objects and the hand-made ones, in
 *       {@value #ROUNDS} alternating rounds, medians reported;</li>
 *   <li>pod to the outside host through masquerade: {@value #CONNECTIONS} short TCP connections and
 *       iperf3 throughput, Weft's rules against one hand-written {@code MASQUERADE} rule;</li>
 *   <li>join to first ping: a new node's agent start until a pod on the first node pings the new node's
 *       gateway, direct (same segment) against tunnel (behind the router), {@value #JOINS} joins each.</li>
 * </ul>
 * Prints markdown on stdout, progress on stderr.
 */
public final class PathBench {
  private static final int IPERF_SECONDS = 5;
  private static final int PINGS = 200;
  private static final int CONNECTIONS = 1000;
  private static final int JOINS = 3;
  private static final int ROUNDS = 5;
  private static final Pattern RTT = Pattern.compile("= [0-9.]+/([0-9.]+)/");
  private static final Pattern CONNECT = Pattern.compile("connections \\d+ in (\\d+) ms");

  private final Progress progress = Progress.timed(System.err);
  private final ObjectMapper mapper = new ObjectMapper();
  private final List<String> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  public static void main(String[] args) {
    PathBench bench = new PathBench();
    bench.run();
    bench.print();
    System.exit(0);
  }

  private void run() {
    step("direct path", this::directPath);
    step("VXLAN path", this::vxlanPath);
    step("join to first ping", this::joinToPing);
  }

  private void step(String name, Runnable body) {
    try {
      body.run();
    } catch (RuntimeException e) {
      notes.add(name + " failed: " + e.getMessage());
      progress.step(name + " failed: " + e.getMessage());
    }
  }

  private static LabConfig twoNodes(String name) {
    return LabConfig.defaults(name).withNodes(2).withPodsPerNode(1).withPeerGrace(Duration.ofMinutes(5));
  }

  private void directPath() {
    try (Lab lab = Lab.start(twoNodes("PathBench-direct"), progress)) {
      Pod a = lab.node(1).pods().get(0);
      Pod b = lab.node(2).pods().get(0);
      stopAgents(lab);
      // Weft's route and the hand-made one are the same route but for the protocol; swapped in place.
      Runnable weftRoutes = () -> lab.nodes().forEach(n -> routeToPeer(lab, n, "proto", "87"));
      Runnable handRoutes = () -> lab.nodes().forEach(n -> routeToPeer(lab, n));
      Runnable weftMasquerade = () -> lab.nodes().forEach(n -> {
        iptables(n, "-t", "nat", "-D", "POSTROUTING", "-s", n.subnet().orElseThrow(), "!", "-d", "10.244.0.0/16",
            "-j", "MASQUERADE");
        iptables(n, "-t", "nat", "-I", "POSTROUTING", "1", "-j", "WEFT-POSTROUTING");
      });
      Runnable handMasquerade = () -> lab.nodes().forEach(n -> {
        iptables(n, "-t", "nat", "-D", "POSTROUTING", "-j", "WEFT-POSTROUTING");
        iptables(n, "-t", "nat", "-A", "POSTROUTING", "-s", n.subnet().orElseThrow(), "!", "-d", "10.244.0.0/16",
            "-j", "MASQUERADE");
      });
      Pair pods = rounds(weftRoutes, handRoutes, () -> measure(a, b));
      Pair out = rounds(() -> { }, handMasquerade, () -> egress(lab, a), weftMasquerade);
      row("pod-to-pod TCP throughput, direct", pods, Sample::gbits, "Gbit/s",
          "`ip route add SUBNET via NODE-IP`");
      row("pod-to-pod ping round trip, direct", pods, Sample::rttMillis, "ms",
          "the same route by hand");
      row("pod to outside host, " + CONNECTIONS + " short TCP connections", out, Sample::connectMillis, "ms", "`iptables -t nat -A POSTROUTING -s SUBNET ! -d 10.244.0.0/16 -j MASQUERADE`");
      row("pod to outside host, TCP throughput", out, Sample::gbits, "Gbit/s",
          "the same MASQUERADE rule");
    }
  }

  private static void routeToPeer(Lab lab, LabNode node, String... protocol) {
    LabNode peer = node.index() == 1 ? lab.node(2) : lab.node(1);
    List<String> args = new ArrayList<>(List.of("route", "replace", peer.subnet().orElseThrow(), "via", peer.ip(),
        "dev", Topology.NODE_UPLINK));
    args.addAll(List.of(protocol));
    Ip.in(node.name(), args.toArray(String[]::new));
  }

  private void vxlanPath() {
    try (Lab lab = Lab.start(twoNodes("PathBench-vxlan").withAgentArgs(List.of("--tunnel", "always")), progress)) {
      Pod a = lab.node(1).pods().get(0);
      Pod b = lab.node(2).pods().get(0);
      stopAgents(lab);
      // A second VXLAN device beside Weft's (another VNI and port), made as flannel makes its own.
      for (LabNode node : lab.nodes()) {
        LabNode peer = node.index() == 1 ? lab.node(2) : lab.node(1);
        String own = node.subnet().orElseThrow();
        String vtep = vtep(peer);
        String peerMac = String.format(Locale.ROOT, "02:58:00:00:00:%02x", peer.index());
        Ip.in(node.name(), "link", "add", "vxhand", "address", String.format(Locale.ROOT, "02:58:00:00:00:%02x",
            node.index()), "mtu", "1450", "type", "vxlan", "id", "88", "local", node.ip(), "dstport", "4790", "nolearning");
        Ip.in(node.name(), "addr", "add", own.substring(0, own.indexOf('/')) + "/32", "dev", "vxhand");
        Ip.in(node.name(), "link", "set", "vxhand", "up");
        Ip.in(node.name(), "neigh", "add", vtep, "lladdr", peerMac, "dev", "vxhand", "nud", "permanent");
        Command.of("bridge", "-n", node.name(), "fdb", "append", peerMac, "dev", "vxhand", "dst", peer.ip(), "self",
            "permanent").run().check();
      }
      Runnable weftDevice = () -> lab.nodes().forEach(n -> tunnelRoute(lab, n, KernelRoute.TUNNEL_DEVICE, "proto", "87"));
      Runnable handDevice = () -> lab.nodes().forEach(n -> tunnelRoute(lab, n, "vxhand"));
      Pair pods = rounds(weftDevice, handDevice, () -> measure(a, b));
      row("pod-to-pod TCP throughput, VXLAN", pods, Sample::gbits, "Gbit/s",
          "hand-made VXLAN device, static FDB and neighbour entries (flannel's layout)");
      row("pod-to-pod ping round trip, VXLAN", pods, Sample::rttMillis, "ms",
          "the same device by hand");
    }
  }

  private static String vtep(LabNode node) {
    String subnet = node.subnet().orElseThrow();
    return subnet.substring(0, subnet.indexOf('/'));
  }

  private static void tunnelRoute(Lab lab, LabNode node, String device, String... protocol) {
    LabNode peer = node.index() == 1 ? lab.node(2) : lab.node(1);
    List<String> args = new ArrayList<>(List.of("route", "replace", peer.subnet().orElseThrow(), "via", vtep(peer),
        "dev", device, "onlink"));
    args.addAll(List.of(protocol));
    Ip.in(node.name(), args.toArray(String[]::new));
  }

  /**
   * Samples of both sides, taken in alternation ({@value #ROUNDS} rounds, the first side alternating too) so
   * drift on the machine hits both.
   */
  private record Pair(List<Sample> weftSamples, List<Sample> handSamples) {
    double weft(ToDoubleFunction<Sample> f) {
      return medianOf(weftSamples, f);
    }

    double hand(ToDoubleFunction<Sample> f) {
      return medianOf(handSamples, f);
    }

    private static double medianOf(List<Sample> samples, ToDoubleFunction<Sample> f) {
      double[] v = samples.stream().mapToDouble(f).sorted().toArray();
      return v[v.length / 2];
    }
  }

  private Pair rounds(Runnable toWeft, Runnable toHand, Supplier<Sample> sample, Runnable... back) {
    List<Sample> weft = new ArrayList<>();
    List<Sample> hand = new ArrayList<>();
    Runnable undoHand = back.length > 0 ? back[0] : toWeft;
    for (int i = 0; i < ROUNDS; i++) {
      // Which side goes first alternates too: a warm-up or a slow spell then favours neither.
      // Each round starts and ends on Weft's objects.
      toWeft.run();
      if (i % 2 == 0) {
        weft.add(sample.get());
        toHand.run();
        hand.add(sample.get());
        undoHand.run();
      } else {
        toHand.run();
        hand.add(sample.get());
        undoHand.run();
        weft.add(sample.get());
      }
    }
    return new Pair(weft, hand);
  }

  private void joinToPing() {
    List<Long> direct = joins(1);
    List<Long> tunnel = joins(2);
    row("join to first ping through the tunnel, p50 of " + JOINS, median(tunnel), median(direct), "ms",
        "the same join on node 1's own segment (direct path)");
    notes.add("join to first ping, each run: direct " + direct + " ms; tunnel " + tunnel + " ms (agent process start"
        + " of the new node until a pod on node 1 pings the new node's gateway; includes the JVM start)");
  }

  /** Joins of a new node on segment {@code segment} (1: node 1's, 2: behind the router) into a 2-node lab. */
  private List<Long> joins(int segments) {
    List<Long> out = new ArrayList<>();
    try (Lab lab = Lab.start(twoNodes("PathBench-join" + segments).withSegments(segments), progress)) {
      Pod from = lab.node(1).pods().get(0);
      for (int i = 0; i < JOINS; i++) {
        long t0 = System.nanoTime();
        LabNode joiner = lab.addNode(List.of());
        String subnet = pollSubnet(joiner);
        String gateway = subnet.substring(0, subnet.lastIndexOf('.')) + ".1";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Command.of(from.exec("ping", "-n", "-q", "-c", "1", "-W", "0.2", gateway)).run().ok()) {
          if (System.nanoTime() > deadline) {
            throw new LabException(joiner + ": no ping to " + gateway + " within 60 s");
          }
        }
        out.add((System.nanoTime() - t0) / 1_000_000);
        lab.removeNode(joiner);
        lab.node(1).meshctl("forget", joiner.name());
      }
    }
    return out;
  }

  private static String pollSubnet(LabNode node) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      var subnet = node.podSubnet();
      if (subnet.isPresent() && !subnet.get().isEmpty()) {
        return subnet.get();
      }
      sleep(20);
    }
    throw new LabException(node + " reported no subnet within 60 s");
  }

  private record Sample(double gbits, double rttMillis, double connectMillis) {}

  private Sample measure(Pod from, Pod to) {
    progress.step("measuring " + from + " -> " + to);
    return new Sample(iperf(from, to.exec("iperf3", "-s", "-1"), to.ip()), rtt(from, to.ip()), 0);
  }

  private Sample egress(Lab lab, Pod from) {
    progress.step("measuring " + from + " -> outside host " + lab.outside().ip());
    Command.Result r = Command.of(Ip.exec(from.name(), Pod.probeJava(TcpProbe.class, "connect", lab.outside().ip(),
        Integer.toString(OutsideHost.TCP_PORT), Integer.toString(CONNECTIONS)))).run();
    Matcher m = CONNECT.matcher(r.stdout());
    if (!m.find()) {
      throw new LabException("short connections to the outside host failed: " + r.stdout() + r.stderr());
    }
    double gbits = iperf(from, Ip.exec(lab.outside().name(), List.of("iperf3", "-s", "-1")), lab.outside().ip());
    return new Sample(gbits, 0, Double.parseDouble(m.group(1)));
  }

  private double iperf(Pod from, List<String> server, String ip) {
    try {
      Process s = new ProcessBuilder(server).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try {
        sleep(300);
        Command.Result r = Command.of(from.exec("iperf3", "-c", ip, "-t", Integer.toString(IPERF_SECONDS), "-J")).run();
        JsonNode json = mapper.readTree(r.stdout());
        double bps = json.path("end").path("sum_received").path("bits_per_second").asDouble();
        if (bps <= 0) {
          throw new LabException("iperf3 to " + ip + " measured nothing: " + r.stdout() + r.stderr());
        }
        return bps / 1e9;
      } finally {
        s.destroyForcibly();
      }
    } catch (IOException e) {
      throw new LabException("iperf3 to " + ip + ": " + e.getMessage(), e);
    }
  }

  private static double rtt(Pod from, String ip) {
    Command.Result r = Command.of(from.exec("ping", "-n", "-q", "-c", Integer.toString(PINGS), "-i", "0.01", ip)).run();
    Matcher m = RTT.matcher(r.stdout());
    if (!m.find()) {
      throw new LabException("ping to " + ip + " failed: " + r.stdout());
    }
    return Double.parseDouble(m.group(1));
  }

  /** SIGTERM: the agents leave and keep every kernel object, so both sides are switched by hand from here on. */
  private static void stopAgents(Lab lab) {
    lab.nodes().forEach(n -> n.stopAgent(Duration.ofSeconds(20)));
  }

  private static void iptables(LabNode node, String... args) {
    List<String> argv = new ArrayList<>(List.of("iptables-nft"));
    argv.addAll(List.of(args));
    Command.of(node.exec(argv)).run().check();
  }

  /** A row of medians, and the spread of both sides' rounds under the table (the machine's noise). */
  private void row(String what, Pair pair, ToDoubleFunction<Sample> f, String unit, String reference) {
    row(what, pair.weft(f), pair.hand(f), unit, reference);
    notes.add(String.format(Locale.ROOT, "%s, %d alternating rounds: Weft %s, by hand %s %s", what, ROUNDS,
        spread(pair.weftSamples(), f), spread(pair.handSamples(), f), unit));
  }

  private static String spread(List<Sample> samples, ToDoubleFunction<Sample> f) {
    double[] v = samples.stream().mapToDouble(f).sorted().toArray();
    return String.format(Locale.ROOT, "%.3f-%.3f", v[0], v[v.length - 1]);
  }

  private void row(String what, double weft, double hand, String unit, String reference) {
    boolean higherIsBetter = unit.equals("Gbit/s");
    double ratio = higherIsBetter ? weft / hand : hand / weft;
    rows.add(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %s | %s | %.3f |", what, weft, hand, unit, reference, ratio));
  }

  private void print() {
    System.out.println("| figure | Weft | by hand | unit | reference (same kernel objects, made by hand) | Weft ÷ hand (1 = equal; above 1 = Weft better) |");
    System.out.println("|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.out.println();
    System.out.println("Goal (issues #12, #13): each Weft path and the masquerade within 5% of the hand-built twin (ratio at"
        + " least 0.95); the tunnel join no slower than the direct one.");
    notes.forEach(n -> System.out.println("- " + n));
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    }
  }
}
