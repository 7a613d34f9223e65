package io.weft.lab;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The README's main command ({@code sudo lab/demo.sh}): a 3-node mesh with 2 pods per node in
 * network namespaces, {@code meshctl status peers} from one node (with each peer's path), a ping matrix
 * between all pods with the source address each receiver saw, then teardown — or, with {@code --keep},
 * the lab stays up and the commands to explore it are printed. {@code --segments N} puts the nodes on N
 * LAN segments joined by a router, so peers on other segments are reached through the VXLAN tunnel.
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) {
    boolean keep = false;
    int nodes = 3;
    int pods = 2;
    int segments = 1;
    List<String> agentArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--keep" -> keep = true;
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--pods" -> pods = Integer.parseInt(args[++i]);
        case "--segments" -> segments = Integer.parseInt(args[++i]);
        case "--tunnel" -> agentArgs.addAll(List.of("--tunnel", args[++i]));
        case "-h", "--help" -> {
          System.out.println("usage: sudo lab/demo.sh [--keep] [--nodes N] [--pods M] [--segments S] [--tunnel auto|always|never]");
          System.out.println("  --segments S  nodes on S LAN segments joined by a router (peers elsewhere go through VXLAN)");
          System.out.println("  --tunnel      the agents' --tunnel mode (default auto)");
          return;
        }
        default -> {
          System.err.println("demo: unknown argument " + args[i] + " (try --help)");
          System.exit(2);
        }
      }
    }
    PrintStream out = System.out;
    Progress progress = Progress.timed(out);
    if (segments < 1 || segments > Math.min(nodes, 9)) {
      System.err.println("demo: --segments must be between 1 and min(--nodes, 9), got " + segments);
      System.exit(2);
    }
    LabConfig config = LabConfig.defaults("demo").withNodes(nodes).withPodsPerNode(pods).withSegments(segments)
        .withAgentArgs(agentArgs);
    boolean allGood;
    try {
      allGood = run(config, progress, keep, out);
    } catch (LabException e) {
      System.err.println("demo: " + e.getMessage());
      System.err.println("agent logs: " + config.logDir());
      System.exit(1);
      return;
    }
    progress.step(allGood ? "done: every pod reached every other pod with its own address (no NAT)"
        + " and the world with the node's"
        : "done, with failures (agent logs: " + config.logDir() + ")");
    System.exit(allGood ? 0 : 1);
  }

  private static boolean run(LabConfig config, Progress progress, boolean keep, PrintStream out) {
    boolean allGood;
    try (Lab lab = Lab.start(config, progress)) {
      LabNode first = lab.node(1);
      out.println();
      out.println("$ ip netns exec " + first.name() + " meshctl status peers");
      Command.Result peers = first.meshctl("status", "peers");
      out.print(peers.stdout());
      out.print(peers.stderr());
      out.println();
      progress.step("ping matrix: every pod to every other pod (ICMP), then a UDP echo reporting the source address");
      allGood = printMatrix(lab, out);
      out.println();
      progress.step("egress: one pod per node to the outside host " + lab.outside().ip()
          + " (a LAN server with no route to the pods)");
      allGood &= printEgress(lab, out);
      out.println();
      if (keep) {
        lab.keep();
        printExplore(lab, out);
      } else {
        progress.step("tearing down (use --keep to explore the lab)");
      }
    }
    return allGood;
  }

  private static boolean printMatrix(Lab lab, PrintStream out) {
    // Pods are listed as their CNI ADDs finished (in parallel); the matrix reads better by name.
    List<Pod> pods = lab.pods().stream()
        .sorted(Comparator.comparingInt((Pod p) -> p.node().index())
            .thenComparingInt(p -> p.name().length()).thenComparing(Pod::name)).toList();
    lab.inParallel(pods, p -> {
      p.ensureEcho();
      return p;
    });
    // One row per sender, measured in parallel (each sender's echo client is used by one thread).
    List<List<String>> cells = lab.inParallel(pods, from -> {
      List<String> row = new ArrayList<>();
      for (Pod to : pods) {
        if (to == from) {
          row.add("-");
          continue;
        }
        boolean pinged = from.ping(to.ip());
        String seen = from.sourceSeenBy(to, Duration.ofSeconds(2));
        row.add((pinged ? "ok " : "NO-PING ") + (seen == null ? "no-echo" : seen));
      }
      return row;
    });
    int width = 4 + pods.stream().mapToInt(p -> p.ip().length()).max().orElse(10);
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-26s", "from \\ to"));
    pods.forEach(p -> header.append(String.format(Locale.ROOT, "%-" + width + "s", p.ip())));
    out.println("cell: ping result and the source address the receiving pod saw");
    out.println(header.toString().stripTrailing());
    boolean allGood = true;
    for (int i = 0; i < pods.size(); i++) {
      Pod from = pods.get(i);
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-26s", from.name() + " " + from.ip()));
      for (int j = 0; j < pods.size(); j++) {
        String cell = cells.get(i).get(j);
        if (i != j && !cell.equals("ok " + from.ip())) {
          allGood = false;
        }
        line.append(String.format(Locale.ROOT, "%-" + width + "s", cell));
      }
      out.println(line.toString().stripTrailing());
    }
    long pairs = (long) pods.size() * (pods.size() - 1);
    out.println(allGood
        ? pairs + "/" + pairs + " pairs answered; every receiver saw the sender's own pod IP (no NAT)"
        : "some pairs failed: see the cells above");
    return allGood;
  }

  private static boolean printEgress(Lab lab, PrintStream out) {
    boolean allGood = true;
    for (LabNode node : lab.nodes()) {
      if (node.pods().isEmpty()) {
        continue;
      }
      Pod pod = node.pods().get(0);
      Command.Result r = pod.tcpSend(lab.outside().ip(), OutsideHost.TCP_PORT, 1024);
      String first = r.stdout().lines().findFirst().orElse("");
      String seen = first.startsWith("saw ") ? first.substring(4) : null;
      boolean masqueraded = node.ip().equals(seen);
      allGood &= r.exit() == 0 && masqueraded;
      out.println(String.format(Locale.ROOT, "%-26s -> %s:%d  %s", pod.name() + " " + pod.ip(), lab.outside().ip(),
          OutsideHost.TCP_PORT, seen == null ? "NO ANSWER: " + r.stdout().strip()
              : "the server saw " + seen + (masqueraded ? " (the node's address: masqueraded)" : " (NOT the node's address)")));
    }
    return allGood;
  }

  private static void printExplore(Lab lab, PrintStream out) {
    LabNode first = lab.node(1);
    Pod somePod = lab.pods().isEmpty() ? null : lab.pods().get(lab.pods().size() - 1);
    String meshctl = lab.dist().meshctl().toString();
    out.println("The lab is still up (--keep). Explore it:");
    out.println("  ip netns list | grep " + lab.config().topology().prefix());
    out.println("  ip netns exec " + first.name() + " " + meshctl + " --socket " + first.socket() + " status peers");
    out.println("  ip netns exec " + first.name() + " " + meshctl + " --socket " + first.socket() + " status routes");
    out.println("  ip -n " + first.name() + " route show proto 87");
    if (somePod != null) {
      out.println("  ip netns exec " + lab.pods().get(0).name() + " ping -c 3 " + somePod.ip());
    }
    out.println("  less " + first.logFile());
    out.println("Remove it: run the demo again (it clears a stale lab first), or:");
    out.println("  for ns in $(ip netns list | awk '/^" + lab.config().topology().prefix()
        + "/{print $1}'); do ip netns pids $ns | xargs -r kill -9; ip netns del $ns; done; rm -rf "
        + lab.config().runRoot());
  }
}
