package io.weft.gossip;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Event;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;

/**
 * Steady-state mesh traffic by JGroups protocol, over real TCP on loopback with a secret. Not a test:
 * <pre>
 * mvn -B -o -q -pl gossip test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.weft.gossip.TrafficBreakdown -Dexec.args="5 10 20 20:merge=10-30 20:hb=2000:merge=10-30"
 * </pre>
 * {@code N} alone runs the shipped timings; {@code :hb=MS} sets the heartbeat (timeout 3x, verify 1x
 * the heartbeat) and {@code :merge=MIN-MAX} the merge round in seconds.
 * Each N runs twice: Weft's stack, then the reference, the same stack with the same timings but JGroups'
 * stock FD_ALL3 + MERGE3 in place of RingFailureDetector + MergeProbe ({@link StockJGroups});
 * {@code :noref} skips the reference. The last lines compare the two, socket bytes per member.
 * A counter sits directly above TCP, so it sees every message the member hands to the transport. A
 * message to the whole mesh (no destination) is what TCP sends once per other member; it is counted
 * that way ("wire") and once ("logical"). The socket counters (bytes after framing and AES-GCM) are
 * printed next to it.
 */
public final class TrafficBreakdown {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
  private static final long MEASURE_MS = 10_000;

  private TrafficBreakdown() {}

  /** Counts what goes down to the transport, by the protocol whose header says what it is. */
  static final class Counter extends Protocol {
    final Map<String, long[]> byKind = new LinkedHashMap<>(); // kind -> {messages, wireBytes, logicalBytes}
    final AtomicLong multicasts = new AtomicLong();
    private volatile int others;

    @Override
    public Object down(Event evt) {
      if (evt.getType() == Event.VIEW_CHANGE) {
        others = Math.max(0, ((View) evt.getArg()).size() - 1);
      }
      return down_prot.down(evt);
    }

    @Override
    public Object down(Message msg) {
      int fanout = msg.getDest() == null ? others : 1;
      long size = msg.size();
      String kind = kind(msg);
      synchronized (byKind) {
        long[] c = byKind.computeIfAbsent(kind, k -> new long[3]);
        c[0] += fanout;
        c[1] += size * fanout;
        c[2] += size;
      }
      return down_prot.down(msg);
    }

    Map<String, long[]> take() {
      synchronized (byKind) {
        Map<String, long[]> copy = new LinkedHashMap<>();
        byKind.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
      }
    }
  }

  private static final List<String> ORDER = List.of("RingFailureDetector", "FD_ALL3", "VERIFY_SUSPECT2", "MergeProbe", "MERGE3", "SeedDiscovery", "TCPPING", "GMS",
      "STABLE", "FRAG4", "UFC", "MFC", "UNICAST3", "NAKACK2");

  /** The most telling protocol header on the message (heartbeats first, reliable delivery last). */
  private static String kind(Message msg) {
    List<String> names = new ArrayList<>();
    for (Map.Entry<Short, Header> e : msg.getHeaders().entrySet()) {
      Class<?> p = ClassConfigurator.getProtocol(e.getKey());
      names.add(p == null ? "id" + e.getKey() : p.getSimpleName());
    }
    for (String k : ORDER) {
      if (names.contains(k)) {
        String dest = msg.getDest() == null ? " mcast" : " ucast";
        return k + dest + (k.equals("NAKACK2") || k.equals("UNICAST3") ? (msg.getLength() > 0 ? " data" : " ctl") : "");
      }
    }
    return "other " + names;
  }

  public static void main(String[] args) throws Exception {
    List<String> summary = new ArrayList<>();
    for (String a : args.length == 0 ? new String[] {"5", "10", "20"} : args) {
      String[] parts = a.split(":");
      MeshConfig.Timing t = MeshConfig.Timing.defaults();
      boolean reference = true;
      for (int i = 1; i < parts.length; i++) {
        String[] kv = parts[i].split("=");
        if (kv[0].equals("noref")) {
          reference = false;
        } else if (kv[0].equals("hb")) {
          Duration hb = Duration.ofMillis(Long.parseLong(kv[1]));
          t = t.withFailureDetection(hb, hb.multipliedBy(3), hb);
        } else if (kv[0].equals("merge")) {
          String[] mm = kv[1].split("-");
          t = new MeshConfig.Timing(t.heartbeatInterval(), t.suspectTimeout(), t.verifyTimeout(),
              Duration.ofSeconds(Long.parseLong(mm[0])), Duration.ofSeconds(Long.parseLong(mm[1])), t.joinTimeout(),
              t.retryMin(), t.retryMax(), t.tombstoneTime(), t.housekeeping());
        } else {
          throw new IllegalArgumentException("unknown option " + parts[i] + " in " + a);
        }
      }
      int n = Integer.parseInt(parts[0]);
      double weft = run(n, a, t, false);
      if (!reference) {
        summary.add(String.format("N=%s steady state per member: weft %.0f B/s (no reference run)", a, weft));
        continue;
      }
      double stock = run(n, a + " (" + StockJGroups.NAME + ")", t, true);
      summary.add(String.format("N=%s steady state per member: weft %.0f B/s, %s %.0f B/s, %.1fx less", a, weft,
          StockJGroups.NAME, stock, stock / weft));
    }
    System.out.println("Socket bytes out per member per second, mean over the members (TCP on loopback, AES-GCM):");
    summary.forEach(System.out::println);
    System.exit(0);
  }

  /** One mesh of N: prints its breakdown and returns the mean socket bytes out per member per second. */
  private static double run(int n, String label, MeshConfig.Timing timing, boolean stock) throws Exception {
    try (Members members = new Members()) {
      List<JGroupsMesh> all = new ArrayList<>();
      List<Counter> counters = new ArrayList<>();
      List<CompletableFuture<?>> joins = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        JGroupsMesh m = members.tcpMember(i, i == 1 ? List.of() : List.of(members.seed(1)), c -> c.withSecret(SECRET).withTiming(timing));
        all.add(m);
        joins.add(stock ? StockJGroups.join(members, m, members.node(i), timing) : m.join(members.node(i)));
        if (i == 1) {
          joins.get(0).get(60, TimeUnit.SECONDS);
        }
      }
      CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!all.stream().allMatch(m -> m.snapshot().converged() && m.snapshot().upPeers().size() == n - 1)) {
        if (System.nanoTime() > end) {
          throw new IllegalStateException(label + ": N=" + n + " did not converge");
        }
        Thread.sleep(200);
      }
      for (JGroupsMesh m : all) {
        Counter c = new Counter();
        org.jgroups.JChannel channel = members.faults(m).channel();
        ProtocolStack stack = channel.getProtocolStack();
        stack.insertProtocol(c, ProtocolStack.Position.ABOVE, stack.getTransport().getClass());
        c.down(new Event(Event.VIEW_CHANGE, channel.getView()));
        counters.add(c);
      }
      Thread.sleep(3000); // let the join's own traffic settle
      List<Map<String, long[]>> before = counters.stream().map(Counter::take).toList();
      long[] sock0 = all.stream().mapToLong(m -> m.snapshot().bytesOut()).toArray();
      long t0 = System.nanoTime();
      Thread.sleep(MEASURE_MS);
      double secs = (System.nanoTime() - t0) / 1e9;
      long[] sock1 = all.stream().mapToLong(m -> m.snapshot().bytesOut()).toArray();
      double sockMean = 0;
      double sockMax = 0;
      String maxName = "";
      for (int i = 0; i < n; i++) {
        double r = (sock1[i] - sock0[i]) / secs;
        sockMean += r / n;
        if (r > sockMax) {
          sockMax = r;
          MeshSnapshot s = all.get(i).snapshot();
          maxName = s.self().name() + (s.self().name().equals(s.coordinator()) ? " (coordinator)" : "");
        }
      }
      Map<String, double[]> per = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        Map<String, long[]> b = before.get(i);
        counters.get(i).take().forEach((k, v) -> {
          long[] z = b.getOrDefault(k, new long[3]);
          double[] p = per.computeIfAbsent(k, x -> new double[3]);
          for (int j = 0; j < 3; j++) {
            p[j] += (v[j] - z[j]) / secs / n;
          }
        });
      }
      double wire = per.values().stream().mapToDouble(p -> p[1]).sum();
      double logical = per.values().stream().mapToDouble(p -> p[2]).sum();
      System.out.printf("%s: N=%d over %.1f s, per member per second: socket bytes out mean %.0f B/s, max %.0f B/s"
          + " (%s) (framing, TP headers, AES-GCM included); handed to TCP %.0f B/s as sent (%.0f B/s counting"
          + " each multicast once)%n", label, n, secs, sockMean, sockMax, maxName, wire, logical);
      per.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1]))
          .forEach(e -> System.out.printf("  %-24s %7.1f msg/s %8.0f B/s as sent %7.0f B/s once%n", e.getKey(),
              e.getValue()[0], e.getValue()[1], e.getValue()[2]));
      all.parallelStream().forEach(JGroupsMesh::close);
      return sockMean;
    }
  }
}
