package io.weft.gossip;

import io.weft.core.net.Cidr;
import io.weft.gossip.trust.MeshTrust;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An honest member in a JVM of its own, started by {@link AgentHeapFloodTest} with the agent's heap flags:
 * joins through the seed, says {@code joined}, and answers each {@code report} line on stdin with what it
 * holds, what it refused and the heap it uses after a full GC. Ends at end of input.
 *
 * <p>Arguments: cluster, node IP, port, state dir, seed IP, secret.
 */
final class FloodVictim {
  static final String ANSWER = "flood-victim: ";

  private FloodVictim() {}

  public static void main(String[] args) throws Exception {
    InetAddress ip = InetAddress.getByName(args[1]);
    int port = Integer.parseInt(args[2]);
    MeshConfig config = Members.loopback(args[0], ip, port, Path.of(args[3]),
        List.of(new InetSocketAddress(InetAddress.getByName(args[4]), port)))
        .withSecret(args[5].getBytes(StandardCharsets.US_ASCII));
    try (JGroupsMesh mesh = new JGroupsMesh(config, MeshTrust.open(config.stateDir()))) {
      mesh.join(LocalNode.configured("victim", ip, Members.mac(5), Cidr.parse("10.244.5.0/24"), "0.1.0-test"))
          .get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      System.out.println(ANSWER + "joined");
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        MeshSnapshot s = mesh.snapshot();
        System.out.printf(ANSWER + "held=%d over_cap=%d heap_used_kb=%d heap_max_kb=%d%n", s.peers().size() + s.rejected().size(),
            s.counters().refusals().byReason().getOrDefault("over_cap", 0L), (rt.totalMemory() - rt.freeMemory()) / 1024,
            rt.maxMemory() / 1024);
      }
    }
  }
}
