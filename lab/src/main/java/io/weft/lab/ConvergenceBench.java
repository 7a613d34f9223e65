package io.weft.lab;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Lab convergence figures for docs/benchmarks.md (run by {@code sudo lab/bench.sh}):
 * <ul>
 *   <li>join: a new agent process is started on a new node; the time until its subnet is routed on
 *       every other node and every other node's subnet on it (kernel routes), p50/max over 5 joins
 *       into an N-node mesh, at N = 3 and at the largest N asked for. Reference: the bare start of
 *       the same launcher ({@code weft-agent --version}), the JVM floor inside that figure.</li>
 *   <li>drift: a weft route deleted with {@code ip route del} until it is back. Reference: one
 *       {@code ip route replace} by hand, what repairing it without an agent costs at best.</li>
 * </ul>
 * Prints markdown table rows on stdout; progress on stderr.
 */
public final class ConvergenceBench {
  private static final int JOINS = 5;
  private static final int DRIFTS = 5;

  private ConvergenceBench() {}

  public static void main(String[] args) {
    int maxNodes = 8;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--max-nodes")) {
        maxNodes = Integer.parseInt(args[++i]);
      }
    }
    PrintStream out = System.out;
    Progress progress = Progress.timed(System.err);
    List<String> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    WeftDist dist = WeftDist.locate();
    Stats floor = new Stats();
    Stats rss = new Stats();
    for (int i = 0; i < JOINS; i++) {
      long start = System.nanoTime();
      Command.of(dist.agent().toString(), "--version").run().check();
      floor.add(System.nanoTime() - start);
    }
    for (int n : maxNodes > 3 ? List.of(3, maxNodes) : List.of(3)) {
      LabConfig config = LabConfig.defaults("bench-n" + n).withNodes(n).withPodsPerNode(0);
      try (Lab lab = startWithRetries(config, progress, notes)) {
        lab.nodes().forEach(node -> node.agentRssKib().ifPresent(kib -> rss.add(kib * 1024)));
        Stats joins = new Stats();
        List<String> failedJoins = new ArrayList<>();
        for (int j = 0; j < JOINS; j++) {
          long start = System.nanoTime();
          LabNode joiner = lab.addNode(List.of());
          try {
            lab.awaitReady(joiner, Lab.READY_TIMEOUT);
            lab.awaitConverged(Lab.CONVERGE_TIMEOUT);
            joins.add(System.nanoTime() - start);
            progress.step("join " + (j + 1) + " into " + n + " nodes: " + ms(joins.last()) + " ms");
          } catch (LabException e) {
            // A join that never converges is a finding to report, not a reason to lose the others.
            failedJoins.add(e.getMessage().replace('\n', ' '));
            progress.step("join " + (j + 1) + " into " + n + " nodes: did not converge: " + e.getMessage());
          }
          // Out again, and forgotten, so every join meets the same N-node mesh.
          lab.removeNode(joiner);
          long removed = System.nanoTime();
          while (lab.node(1).peerState(joiner.name()).orElse("down").equals("up")) {
            if (System.nanoTime() - removed > Duration.ofSeconds(60).toNanos()) {
              throw new LabException(joiner + " still shown up on " + lab.node(1) + " 60s after it was killed");
            }
            Lab.pause(Duration.ofMillis(100));
          }
          Command.Result forget = lab.node(1).meshctl("forget", joiner.name());
          if (!forget.ok() && lab.node(1).peerState(joiner.name()).isPresent()) {
            forget.check();
          }
          lab.awaitConverged(Lab.CONVERGE_TIMEOUT);
        }
        rows.add(row("lab: join convergence, new agent process -> routes both ways, N=" + n
            + (failedJoins.isEmpty() ? "" : " (" + joins.count() + " of " + JOINS + " joins converged)"),
            joins, "`weft-agent --version` (JVM start floor)", floor));
        if (!failedJoins.isEmpty()) {
          notes.add("N=" + n + ": " + failedJoins.size() + " of " + JOINS + " joins did not converge; the first: "
              + failedJoins.get(0));
        }
        if (n == 3) {
          Stats drift = new Stats();
          Stats byHand = new Stats();
          LabNode observer = lab.node(1);
          LabNode target = lab.node(2);
          String subnet = target.subnet().orElseThrow();
          for (int d = 0; d < DRIFTS; d++) {
            Ip.in(observer.name(), "route", "del", subnet);
            long deleted = System.nanoTime();
            while (observer.weftRouteTo(subnet).isEmpty()) {
              if (System.nanoTime() - deleted > Duration.ofSeconds(30).toNanos()) {
                throw new LabException("drift: route " + subnet + " on " + observer + " not repaired within 30s");
              }
              Lab.pause(Duration.ofMillis(5));
            }
            drift.add(System.nanoTime() - deleted);
            long start = System.nanoTime();
            Ip.in(observer.name(), "route", "replace", subnet, "via", target.ip(), "proto", KernelRoute.WEFT_PROTOCOL_NUMBER);
            byHand.add(System.nanoTime() - start);
          }
          rows.add(row("lab: drift repair, `ip route del` -> route back", drift,
              "one `ip route replace` by hand", byHand));
        }
      } catch (LabException e) {
        // Keep the figures of the other N: this one is reported instead of measured.
        notes.add("N=" + n + ": no figures: " + e.getMessage().replace('\n', ' '));
        progress.step("N=" + n + " abandoned: " + e.getMessage());
      }
    }
    out.println("Real `weft-agent` processes in network namespaces on one LAN bridge (the lab of `lab/demo.sh`),");
    out.println("secret set, --peer-grace 5s. Join: from starting a new node's agent process until its pod subnet");
    out.println("is routed on every other node and every other node's subnet on it (kernel routes, polled every");
    out.println("200 ms), " + JOINS + " joins into the same N-node mesh (each joiner is removed and forgotten");
    out.println("after). Drift: `ip route del` of a weft route until the kernel has it back (polled every 5 ms),");
    out.println(DRIFTS + " times.");
    out.println();
    out.println("| benchmark | Weft p50 | Weft max | reference | ref p50 | ref max |");
    out.println("|---|---|---|---|---|---|");
    rows.forEach(out::println);
    notes.forEach(note -> out.println("\n" + note));
    out.println();
    if (rss.count() > 0) {
      long totalKib = totalMemoryKib();
      out.printf(Locale.ROOT, "Agent resident memory right after the lab came up (%d agents): p50 %d MiB, max %d MiB"
          + " (bin/weft-agent runs with -Xmx64m, SerialGC); by memory alone this machine would hold about %d"
          + " agents. The two cores are what limits N here: every agent is a JVM start.%n",
          rss.count(), rss.p50() >> 20, rss.max() >> 20, totalKib * 1024 / Math.max(1, rss.max()));
    }
  }

  /**
   * Starts the lab, up to 3 times: a start that does not converge is reported as a finding (in
   * {@code notes}) and the lab built again, so one bad start does not cost the whole run's figures.
   */
  private static Lab startWithRetries(LabConfig config, Progress progress, List<String> notes) {
    for (int attempt = 1; ; attempt++) {
      try {
        return Lab.start(config, progress);
      } catch (LabException e) {
        notes.add("N=" + config.nodes() + ": lab start " + attempt + " did not converge: " + e.getMessage().replace('\n', ' '));
        if (attempt == 3) {
          throw e;
        }
        progress.step("lab start " + attempt + " failed, building it again: " + e.getMessage());
      }
    }
  }

  private static long totalMemoryKib() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException e) {
      // Unknown memory: report no estimate rather than a wrong one.
    }
    return 0;
  }

  private static String row(String what, Stats weft, String reference, Stats ref) {
    return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |",
        what, cell(weft, weft.p50()), cell(weft, weft.max()), reference, cell(ref, ref.p50()), cell(ref, ref.max()));
  }

  private static String cell(Stats stats, long nanos) {
    return stats.count() == 0 ? "—" : ms(nanos) + " ms";
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  /** Samples in nanoseconds. */
  private static final class Stats {
    private final List<Long> samples = new ArrayList<>();

    void add(long nanos) {
      samples.add(nanos);
    }

    int count() {
      return samples.size();
    }

    long last() {
      return samples.get(samples.size() - 1);
    }

    long p50() {
      if (samples.isEmpty()) {
        return 0;
      }
      List<Long> sorted = samples.stream().sorted().toList();
      return sorted.get((sorted.size() - 1) / 2);
    }

    long max() {
      return samples.stream().mapToLong(Long::longValue).max().orElse(0);
    }
  }
}
