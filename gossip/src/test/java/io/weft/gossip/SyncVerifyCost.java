package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.gossip.trust.NodeIdentity;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a Sync of 512 signed records (the cap for 10.244.0.0/16), each of its own node and key, costs the
 * member that takes it: a joiner that holds none of them (every signature verified, 512 names bound on first
 * sight in one write of the bindings file), and the same Sync again (every record byte-identical to the one
 * held: nothing verified). Not a test:
 * <pre>
 * mvn -B -o -q -pl gossip test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.weft.gossip.SyncVerifyCost -Dexec.args="5"
 * </pre>
 * Each round takes the Sync on a fresh member (its own state dir), through the production decode, check
 * and store ({@link ExchangeHarness}); the first round is the JVM's cold one.
 */
public final class SyncVerifyCost {
  private SyncVerifyCost() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int records = 512;
    long now = System.currentTimeMillis();
    SecureRandom random = new SecureRandom();
    List<Wire.SyncEntry> entries = new ArrayList<>();
    for (int n = 0; n < records; n++) {
      String name = "node-" + n;
      NodeRecord r = new NodeRecord(name, name, InetAddress.getByAddress(new byte[] {(byte) 192, (byte) 168,
          (byte) (n >> 8), (byte) (1 + n % 250)}), Members.mac(n), Cidr.parse("10.244." + (n % 256) + ".0/24"),
          SubnetSource.ALLOCATED, now, 1, "0.1.0", now);
      entries.add(new Wire.SyncEntry(Announcement.sign(NodeIdentity.generate(random), r, now, true), false, 0));
    }
    byte[] sync = new Wire(records).encode(new Wire.Sync(entries, List.of(), List.of(), List.of()));
    Path root = Files.createTempDirectory("weft-sync-verify");
    try {
      for (int round = 1; round <= rounds; round++) {
        ExchangeHarness member = new ExchangeHarness(root.resolve("m" + round), List.of(), now);
        long t0 = System.nanoTime();
        member.receive(sync);
        long t1 = System.nanoTime();
        member.receive(sync);
        long t2 = System.nanoTime();
        long verifyOnly = 0;
        for (Wire.SyncEntry e : entries) {
          long v0 = System.nanoTime();
          e.announcement().statement().verifies();
          verifyOnly += System.nanoTime() - v0;
        }
        System.out.printf("round %d: Sync of %d signed records (%d KB) taken by a joiner holding none: %.1f ms"
            + " (%d held, %d bound); the same Sync again (all held): %.1f ms; the %d signature checks alone: %.1f ms%n",
            round, records, sync.length / 1024, (t1 - t0) / 1e6, member.state.derive(now, false).peers().size()
            + member.state.derive(now, false).rejected().size(), member.trust.bindings().bindings().asMap().size(),
            (t2 - t1) / 1e6, records, verifyOnly / 1e6);
      }
    } finally {
      try (Stream<Path> s = Files.walk(root)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
