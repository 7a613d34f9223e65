package io.weft.gossip;

import io.weft.core.net.MacAddress;
import io.weft.gossip.trust.MeshTrust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** Test members on loopback: 127.0.0.(base+i), one port, one temp state dir each. Closes all. */
final class Members implements AutoCloseable {
  /**
   * How long tests wait for anything (joins, convergence, failure detection). CI runs every module's
   * tests, kernel ITs and a multi-agent lab on 2 shared cores, so this is generous; waits end as soon
   * as their condition holds, so it costs nothing when the machine is idle. Never a timing assertion.
   */
  static final Duration PATIENCE = Duration.ofSeconds(60);

  final String cluster = "weft-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  final int base = 20 + ThreadLocalRandom.current().nextInt(200);
  final int port;
  final Path root;
  private final List<JGroupsMesh> all = new ArrayList<>();
  /** The identity and key bindings of the member last started on each state dir; guarded by {@code all}. */
  private final Map<Path, MeshTrust> trusts = new HashMap<>();

  /** A free port and a fresh state root; unchecked so a test can make it in a field initialiser. */
  Members() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
      root = Files.createTempDirectory("weft-gossip-test");
    } catch (IOException e) {
      throw new UncheckedIOException("could not set up test members on loopback", e);
    }
  }

  /** 127.0.0.(base+i) for small meshes; beyond .250 it moves on to 127.1.0.x, 127.2.0.x, ... */
  InetAddress ip(int i) {
    int v = base + i;
    try {
      return InetAddress.getByAddress(new byte[] {127, (byte) (v / 250), 0, (byte) (1 + v % 250)});
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  InetSocketAddress seed(int i) {
    return new InetSocketAddress(ip(i), port);
  }

  /** Member {@code i}'s identity and key bindings (of its last start). */
  MeshTrust trust(int i) {
    synchronized (all) {
      return trusts.get(stateDir(i));
    }
  }

  Path stateDir(int i) {
    return root.resolve("node-" + i);
  }

  MeshConfig tcp(int i, List<InetSocketAddress> seeds) {
    return MeshConfig.loopbackTest(cluster, ip(i), port, stateDir(i), seeds);
  }

  MeshConfig sim(int i, boolean startNewMesh) {
    return MeshConfig.simulated(cluster, ip(i), 10_000 + i, stateDir(i), startNewMesh);
  }

  static MacAddress mac(int i) {
    return new MacAddress(String.format("02:00:00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff));
  }

  LocalNode node(int i) {
    return LocalNode.allocated("node-" + i, ip(i), mac(i), "0.1.0-test");
  }

  JGroupsMesh start(MeshConfig config) {
    JGroupsMesh m;
    try {
      MeshTrust trust = MeshTrust.open(config.stateDir());
      synchronized (all) {
        trusts.put(config.stateDir(), trust);
      }
      m = new JGroupsMesh(config, trust);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    synchronized (all) {
      all.add(m);
    }
    return m;
  }

  JGroupsMesh tcpMember(int i, List<InetSocketAddress> seeds, UnaryOperator<MeshConfig> tweak) {
    return start(tweak.apply(tcp(i, seeds)));
  }

  @Override
  public void close() throws IOException {
    List<JGroupsMesh> copy;
    synchronized (all) {
      copy = List.copyOf(all);
    }
    copy.parallelStream().forEach(JGroupsMesh::close);
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
