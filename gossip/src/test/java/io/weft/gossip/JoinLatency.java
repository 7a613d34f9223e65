package io.weft.gossip;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How long {@code Mesh.join()} takes for a node joining a running 3-node TCP mesh on loopback (with a
 * secret), and for a node that starts a new mesh. Not a test:
 * <pre>
 * mvn -B -o -q -pl gossip test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.weft.gossip.JoinLatency -Dexec.args="10"
 * </pre>
 * Each round starts one more member with node-1 (plus a dead seed, when the second argument is
 * {@code deadseed}) as its seeds, waits for {@code join()} to complete, prints the phases, and closes it
 * again, so every round joins the same 3-node mesh.
 */
public final class JoinLatency {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

  private JoinLatency() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    boolean deadSeed = args.length > 1 && args[1].equals("deadseed");
    try (Members members = new Members()) {
      long s0 = System.nanoTime();
      JGroupsMesh first = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
      long s1 = System.nanoTime();
      first.join(members.node(1)).get(60, TimeUnit.SECONDS);
      System.out.printf("new mesh (no seeds, no DNS, no remembered peers), first in a cold JVM: new JGroupsMesh %d ms,"
          + " join() %d ms (%s)%n", (s1 - s0) / 1_000_000, (System.nanoTime() - s1) / 1_000_000, first.joinBreakdown());
      for (int i = 2; i <= 3; i++) {
        members.tcpMember(i, List.of(members.seed(1)), c -> c.withSecret(SECRET)).join(members.node(i))
            .get(60, TimeUnit.SECONDS);
      }
      List<Long> times = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        int i = 10 + r;
        var seeds = deadSeed ? List.of(members.seed(99), members.seed(1)) : List.of(members.seed(1));
        JGroupsMesh m = members.tcpMember(i, seeds, c -> c.withSecret(SECRET));
        long t0 = System.nanoTime();
        m.join(members.node(i)).get(60, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        times.add(ms);
        System.out.printf("join %d: %d ms (%s)%n", r + 1, ms, m.joinBreakdown());
        m.close();
      }
      Collections.sort(times);
      System.out.printf("joining a 3-node mesh%s: p50 %d ms, min %d ms, max %d ms over %d joins%n",
          deadSeed ? " (a dead seed listed first)" : "", times.get(times.size() / 2), times.get(0),
          times.get(times.size() - 1), times.size());
    }
    System.exit(0);
  }
}
