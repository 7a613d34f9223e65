package io.weft.gossip;

import io.weft.core.model.PeerState;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Convergence in simulation (JGroups SHARED_LOOPBACK, N members in this JVM). Not a test: run it with
 * <pre>
 * mvn -B -o -q -pl gossip test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.weft.gossip.MeshBenchmark -Dexec.args="10 100"
 * </pre>
 * An argument like {@code 300:relaxed} runs with slower heartbeats and merge rounds (see {@link #tune}).
 * For each N: start N members (joins in batches), then measure (a) join: from {@code join()} of one
 * more node until every member holds its record, (b) crash: from a member's crash until every other
 * member has it down, (c) steady-state bytes per member per second over 10 s, (d) heap and threads per
 * member.
 *
 * <p>Up to N=100 each N runs twice: Weft's stack, then the reference, the same stack with the same
 * timings but JGroups' stock FD_ALL3 + MERGE3 in place of RingFailureDetector + MergeProbe
 * ({@link StockJGroups}). The last lines compare steady-state bytes and crash detection. Beyond 100 the
 * reference is skipped: its heartbeats and merge INFO are all-to-all, O(N^2) deliveries in this one JVM,
 * and at N=300 it never converged on a 2-core machine.
 */
public final class MeshBenchmark {
  private static final int BATCH = 25;
  private static final io.weft.core.net.Cidr WIDE = io.weft.core.net.Cidr.parse("10.0.0.0/12");

  private MeshBenchmark() {}

  /** The largest N with a stock JGroups reference run (see the class comment). */
  private static final int REFERENCE_MAX = 100;

  /** What the comparison needs from one run. */
  private record Result(double bytesPerMember, String crashMs) {}

  public static void main(String[] args) throws Exception {
    List<String> sizes = List.of(args.length == 0 ? new String[] {"10", "100"} : args);
    // Weft at every size first, then the references: a stock run's leftovers (threads winding down, garbage)
    // must not land in Weft's figures, least of all at the largest N.
    Map<String, Result> weft = new LinkedHashMap<>();
    for (String a : sizes) {
      weft.put(a, run(size(a), relaxed(a), false));
    }
    List<String> summary = new ArrayList<>();
    for (String a : sizes) {
      Result w = weft.get(a);
      if (size(a) > REFERENCE_MAX) {
        summary.add(String.format("N=%s: weft %.0f B/s per member in steady state, crash -> every member has it down"
            + " %s ms; no %s reference above N=%d (all-to-all heartbeats and merge INFO, O(N^2); it did not converge"
            + " at N=300 on this machine)", a, w.bytesPerMember(), w.crashMs(), StockJGroups.NAME, REFERENCE_MAX));
        continue;
      }
      Result stock = run(size(a), relaxed(a), true);
      summary.add(String.format("N=%s steady state per member: weft %.0f B/s, %s %.0f B/s, %.1fx less;"
          + " crash -> every member has it down: weft %s ms, stock %s ms", a, w.bytesPerMember(), StockJGroups.NAME,
          stock.bytesPerMember(), stock.bytesPerMember() / w.bytesPerMember(), w.crashMs(), stock.crashMs()));
    }
    System.out.println("Simulation (SHARED_LOOPBACK, one JVM), bytes as TCP would send them (multicast x (N-1)):");
    summary.forEach(System.out::println);
    System.exit(0);
  }

  private static boolean relaxed(String arg) {
    return arg.endsWith(":relaxed");
  }

  private static int size(String arg) {
    return Integer.parseInt(relaxed(arg) ? arg.substring(0, arg.indexOf(':')) : arg);
  }

  private static long logicalBytesOut(Members members, JGroupsMesh m) {
    return ((SimulatedTransport) members.faults(m).inner()).logicalBytesOut();
  }

  /**
   * Who holds whose record (or has it down): counted by every member's listener. A member pushes at most
   * one snapshot per 50 ms (its debounce), so the times are up to that much later than the change itself.
   */
  private static final class Tally {
    final Map<String, AtomicInteger> holders = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> downs = new ConcurrentHashMap<>();
    final Map<String, Long> allHoldAt = new ConcurrentHashMap<>();
    final Map<String, Long> allDownAt = new ConcurrentHashMap<>();
    volatile int expected;

    /** Tells {@link #onPeer} of each peer whose state changed from one snapshot of a member to the next. */
    MeshListener listener() {
      Map<String, PeerState> seen = new ConcurrentHashMap<>();
      java.util.function.BiConsumer<String, PeerState> onPeer = onPeer();
      return snapshot -> {
        snapshot.peers().forEach((name, peer) -> {
          if (seen.get(name) != peer.state()) {
            onPeer.accept(name, peer.state());
          }
        });
        for (String name : List.copyOf(seen.keySet())) {
          if (!snapshot.peers().containsKey(name)) {
            onPeer.accept(name, null);
          }
        }
        seen.clear();
        snapshot.peers().forEach((name, peer) -> seen.put(name, peer.state()));
      };
    }

    private java.util.function.BiConsumer<String, PeerState> onPeer() {
      // Each member reports a name once per state it reaches.
      Map<String, PeerState> mine = new ConcurrentHashMap<>();
      java.util.Set<String> everUp = ConcurrentHashMap.newKeySet();
      return (name, state) -> {
        PeerState before = state == null ? mine.remove(name) : mine.put(name, state);
        // First time up at this member; a record can arrive before its sender is in this member's view
        // (DOWN first, then UP).
        if (state == PeerState.UP && everUp.add(name)) {
          if (holders.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet() == expected) {
            allHoldAt.put(name, System.nanoTime());
          }
        } else if (state == PeerState.DOWN && before == PeerState.UP) {
          if (downs.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet() == expected - 1) {
            allDownAt.put(name, System.nanoTime());
          }
        }
      };
    }
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  /**
   * Relaxed: heartbeats every 2 s (timeout 6 s, verify 1 s) and merge rounds every 10-30 s, for N where
   * the shipped all-to-all heartbeat (0.5 s) saturates the machine.
   */
  private static MeshConfig tune(MeshConfig c, boolean relaxed) {
    // 10.244.0.0/16 holds only 256 /24s: beyond that every join fails with "no free /24" (that, not
    // the mesh, is what stopped the first N=300 attempts at 256 members). A /12 holds 4096.
    c = c.withClusterCidr(WIDE, 24);
    if (!relaxed) {
      return c;
    }
    MeshConfig.Timing t = MeshConfig.Timing.defaults()
        .withFailureDetection(Duration.ofSeconds(2), Duration.ofSeconds(6), Duration.ofSeconds(1));
    t = new MeshConfig.Timing(t.heartbeatInterval(), t.suspectTimeout(), t.verifyTimeout(), Duration.ofSeconds(10),
        Duration.ofSeconds(30), t.joinTimeout(), t.retryMin(), t.retryMax(), t.tombstoneTime(), t.housekeeping());
    return c.withTiming(t);
  }

  private static Result run(int n, boolean relaxed, boolean stock) throws Exception {
    try (Members members = new Members()) {
      Tally tally = new Tally();
      long heap0 = usedHeap();
      int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
      List<JGroupsMesh> all = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int start = 0; start < n; start += BATCH) {
        List<CompletableFuture<?>> joins = new ArrayList<>();
        for (int i = start; i < Math.min(n, start + BATCH); i++) {
          MeshConfig config = tune(members.sim(i, i == 0), relaxed);
          JGroupsMesh m = members.start(config);
          m.subscribe(tally.listener());
          all.add(m);
          joins.add(stock ? StockJGroups.join(members, m, members.node(i), config.timing()) : m.join(members.node(i)));
          if (i == 0) {
            joins.get(0).get(30, TimeUnit.SECONDS);
          }
        }
        CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        System.err.printf("  N=%d: %d joined after %d ms%n", n, all.size(), (System.nanoTime() - t0) / 1_000_000);
      }
      // Converged by the listeners' counts, which see every snapshot each member pushes (polling snapshot()
      // from here could miss a short-lived state).
      waitUntil(() -> {
        int min = n == 1 ? 0 : tally.holders.size() < n ? 0
            : tally.holders.values().stream().mapToInt(AtomicInteger::get).min().orElse(0);
        System.err.printf("  N=%d: %d of %d names held, the least-held by %d members%n", n, tally.holders.size(), n, min);
        return tally.holders.size() == n && min >= n - 1;
      }, Duration.ofMinutes(3));
      long startAllMs = (System.nanoTime() - t0) / 1_000_000;

      // (a) one more node joins; every member (the N already there) must hold its record
      tally.expected = n;
      MeshConfig joinerConfig = tune(members.sim(n, false), relaxed);
      JGroupsMesh joiner = members.start(joinerConfig);
      joiner.subscribe(tally.listener());
      String name = "node-" + n;
      long j0 = System.nanoTime();
      CompletableFuture<?> f = stock ? StockJGroups.join(members, joiner, members.node(n), joinerConfig.timing()) : joiner.join(members.node(n));
      f.get(60, TimeUnit.SECONDS);
      long published = System.nanoTime();
      if (!waitUntil(() -> tally.allHoldAt.containsKey(name), Duration.ofSeconds(60))) {
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          MeshSnapshot s = all.get(i).snapshot();
          var p = s.peers().get(name);
          if (p == null || p.state() != PeerState.UP) {
            missing.add("node-" + i + " (view " + s.viewSize() + ", " + (p == null ? "no record" : p.state()) + ")");
          }
        }
        throw new IllegalStateException(name + " not held by every member after 60 s; missing at " + missing.size()
            + ": " + missing.subList(0, Math.min(10, missing.size())));
      }
      long joinMs = (tally.allHoldAt.get(name) - j0) / 1_000_000;
      long afterPublishMs = Math.max(0, (tally.allHoldAt.get(name) - published) / 1_000_000);
      all.add(joiner);
      int total = n + 1;

      // (d) heap and threads per member, with every member in
      Thread.sleep(2000);
      long heapPer = (usedHeap() - heap0) / total;
      int threadsPer = (ManagementFactory.getThreadMXBean().getThreadCount() - threads0) / total;

      // (c) steady state: bytes sent per member per second over 10 s
      long[] each0 = all.stream().mapToLong(m -> m.snapshot().bytesOut()).toArray();
      long out0 = java.util.Arrays.stream(each0).sum();
      long logical0 = all.stream().mapToLong(m -> logicalBytesOut(members, m)).sum();
      long s0 = System.nanoTime();
      Thread.sleep(10_000);
      double secs = (System.nanoTime() - s0) / 1e9;
      long[] each1 = all.stream().mapToLong(m -> m.snapshot().bytesOut()).toArray();
      long out1 = java.util.Arrays.stream(each1).sum();
      double maxPerMember = 0;
      for (int i = 0; i < each1.length; i++) {
        maxPerMember = Math.max(maxPerMember, (each1[i] - each0[i]) / secs);
      }
      long logical1 = all.stream().mapToLong(m -> logicalBytesOut(members, m)).sum();
      double perMember = (out1 - out0) / secs / total;
      double logicalPerMember = (logical1 - logical0) / secs / total;

      // (b) a member crashes (no leave); every other member must have it down
      tally.expected = total;
      JGroupsMesh victim = all.get(total / 2);
      String victimName = "node-" + (total / 2);
      long c0 = System.nanoTime();
      members.crash(victim);
      boolean dropped = waitUntil(() -> tally.allDownAt.containsKey(victimName), Duration.ofSeconds(60));
      String crashMs = dropped ? Long.toString((tally.allDownAt.get(victimName) - c0) / 1_000_000) : ">60000";

      System.out.printf("N=%d%s%s: all joined and converged in %d ms; join->every member holds record %d ms"
              + " (%d ms after its subnet was agreed); crash->every member has it down %s ms;"
              + " steady state %.0f B/s per member (max %.0f) sent as TCP would (multicast x (N-1)), %.0f B/s counting"
              + " each multicast once; heap %d KiB and %d threads per member%n",
          n, relaxed ? " (relaxed timings)" : "", stock ? " " + StockJGroups.NAME : "", startAllMs, joinMs, afterPublishMs,
          crashMs, perMember, maxPerMember, logicalPerMember, heapPer / 1024, threadsPer);
      all.parallelStream().forEach(JGroupsMesh::close);
      return new Result(perMember, crashMs);
    }
  }

  private static boolean waitUntil(java.util.function.BooleanSupplier c, Duration max) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < end) {
      if (c.getAsBoolean()) {
        return true;
      }
      // Polling every member's snapshot() is O(N^2) work (each recomputes its view of N records), so
      // not too often; the figures come from the observers' timestamps, not from this poll.
      Thread.sleep(1000);
    }
    return false;
  }
}
