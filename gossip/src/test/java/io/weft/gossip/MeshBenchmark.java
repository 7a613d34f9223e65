package io.weft.gossip;

import io.weft.core.model.PeerState;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
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
 *     -Dexec.mainClass=io.weft.gossip.MeshBenchmark -Dexec.args="10 100 300"
 * </pre>
 * For each N: start N members (joins in batches), then measure (a) join: from {@code join()} of one
 * more node until every member holds its record, (b) crash: from a member's crash until every other
 * member has it down, (c) steady-state bytes per member per second over 10 s, (d) heap and threads per
 * member.
 */
public final class MeshBenchmark {
  private static final int BATCH = 25;

  private MeshBenchmark() {}

  public static void main(String[] args) throws Exception {
    for (String a : args.length == 0 ? new String[] {"10", "100", "300"} : args) {
      run(Integer.parseInt(a));
    }
    System.exit(0);
  }

  /** Who holds whose record (or has it down): counted by every member's observer. */
  private static final class Tally {
    final Map<String, AtomicInteger> holders = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> downs = new ConcurrentHashMap<>();
    final Map<String, Long> allHoldAt = new ConcurrentHashMap<>();
    final Map<String, Long> allDownAt = new ConcurrentHashMap<>();
    volatile int expected;

    JGroupsMesh.PeerObserver observer() {
      // Each member reports a name once per state it reaches.
      Map<String, PeerState> mine = new ConcurrentHashMap<>();
      return (name, state) -> {
        PeerState before = state == null ? mine.remove(name) : mine.put(name, state);
        if (state == PeerState.UP && before == null) {
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

  private static void run(int n) throws Exception {
    try (Members members = new Members()) {
      Tally tally = new Tally();
      long heap0 = usedHeap();
      int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
      List<JGroupsMesh> all = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int start = 0; start < n; start += BATCH) {
        List<CompletableFuture<?>> joins = new ArrayList<>();
        for (int i = start; i < Math.min(n, start + BATCH); i++) {
          JGroupsMesh m = members.start(members.sim(i, i == 0));
          m.observe(tally.observer());
          all.add(m);
          joins.add(m.join(members.node(i)));
          if (i == 0) {
            joins.get(0).get(30, TimeUnit.SECONDS);
          }
        }
        CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      }
      waitUntil(() -> all.stream().allMatch(m -> m.snapshot().upPeers().size() == n - 1), Duration.ofMinutes(3));
      long startAllMs = (System.nanoTime() - t0) / 1_000_000;

      // (a) one more node joins; every member (the N already there) must hold its record
      tally.expected = n;
      JGroupsMesh joiner = members.start(members.sim(n, false));
      joiner.observe(tally.observer());
      String name = "node-" + n;
      long j0 = System.nanoTime();
      CompletableFuture<?> f = joiner.join(members.node(n));
      f.get(60, TimeUnit.SECONDS);
      long published = System.nanoTime();
      waitUntil(() -> tally.allHoldAt.containsKey(name), Duration.ofSeconds(60));
      long joinMs = (tally.allHoldAt.get(name) - j0) / 1_000_000;
      long afterPublishMs = Math.max(0, (tally.allHoldAt.get(name) - published) / 1_000_000);
      all.add(joiner);
      int total = n + 1;

      // (d) heap and threads per member, with every member in
      Thread.sleep(2000);
      long heapPer = (usedHeap() - heap0) / total;
      int threadsPer = (ManagementFactory.getThreadMXBean().getThreadCount() - threads0) / total;

      // (c) steady state: bytes sent per member per second over 10 s
      long out0 = all.stream().mapToLong(m -> m.snapshot().bytesOut()).sum();
      long logical0 = all.stream().mapToLong(JGroupsMesh::logicalBytesOut).sum();
      long s0 = System.nanoTime();
      Thread.sleep(10_000);
      double secs = (System.nanoTime() - s0) / 1e9;
      long out1 = all.stream().mapToLong(m -> m.snapshot().bytesOut()).sum();
      long logical1 = all.stream().mapToLong(JGroupsMesh::logicalBytesOut).sum();
      double perMember = (out1 - out0) / secs / total;
      double logicalPerMember = (logical1 - logical0) / secs / total;

      // (b) a member crashes (no leave); every other member must have it down
      tally.expected = total;
      JGroupsMesh victim = all.get(total / 2);
      String victimName = "node-" + (total / 2);
      long c0 = System.nanoTime();
      victim.crash();
      boolean dropped = waitUntil(() -> tally.allDownAt.containsKey(victimName), Duration.ofSeconds(60));
      String crashMs = dropped ? Long.toString((tally.allDownAt.get(victimName) - c0) / 1_000_000) : ">60000";

      System.out.printf("N=%d: all joined and converged in %d ms; join->every member holds record %d ms"
              + " (%d ms after its subnet was agreed); crash->every member has it down %s ms;"
              + " steady state %.0f B/s per member sent as TCP would (multicast x (N-1)), %.0f B/s counting"
              + " each multicast once; heap %d KiB and %d threads per member%n",
          n, startAllMs, joinMs, afterPublishMs, crashMs, perMember, logicalPerMember, heapPer / 1024, threadsPer);
      all.parallelStream().forEach(JGroupsMesh::close);
    }
  }

  private static boolean waitUntil(java.util.function.BooleanSupplier c, Duration max) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < end) {
      if (c.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }
}
