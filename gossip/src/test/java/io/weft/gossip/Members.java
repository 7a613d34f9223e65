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
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
  private final String simCluster = cluster + "-sim";
  final int base = 20 + ThreadLocalRandom.current().nextInt(200);
  final int port;
  final Path root;
  private final List<JGroupsMesh> all = new ArrayList<>();
  private final Map<JGroupsMesh, FaultyTransport> transports = new IdentityHashMap<>();
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
    return loopback(cluster, ip(i), port, stateDir(i), seeds);
  }

  /** A member over loopback TCP: binds {@code 127.0.0.x:port} and accepts loopback node IPs. */
  static MeshConfig loopback(String cluster, InetAddress ip, int port, Path stateDir, List<InetSocketAddress> seeds) {
    return new MeshConfig(cluster, ip, port, seeds, null, Optional.empty(), stateDir, MeshConfig.DEFAULT_CLUSTER_CIDR, 24,
        MeshConfig.DEFAULT_LEASE_TIME, MeshConfig.Timing.defaults(), MeshConfig.Thresholds.defaults(), true);
  }

  /**
   * A member of the in-JVM simulated mesh (its cluster name tells {@link #start} to give it the simulated
   * transport; the port only has to be unique); {@code startNewMesh} false gives it a seed, so it joins
   * rather than starts a mesh of its own.
   */
  MeshConfig sim(int i, boolean startNewMesh) {
    List<InetSocketAddress> seeds = startNewMesh ? List.of() : List.of(new InetSocketAddress(ip(i), 1));
    return loopback(simCluster, ip(i), 10_000 + i, stateDir(i), seeds);
  }

  static MacAddress mac(int i) {
    return new MacAddress(String.format("02:00:00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff));
  }

  LocalNode node(int i) {
    return LocalNode.allocated("node-" + i, ip(i), mac(i), "0.1.0-test");
  }

  /** A member with a fault switch: over the simulated transport for {@link #sim} configs, else TCP. */
  JGroupsMesh start(MeshConfig config) {
    MeshTrust trust;
    try {
      trust = MeshTrust.open(config.stateDir());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    MeshTransport inner = config.clusterName().equals(simCluster) ? new SimulatedTransport(config)
        : TcpTransport.secured(config, trust);
    FaultyTransport transport = new FaultyTransport(inner);
    JGroupsMesh m = new JGroupsMesh(config, trust, transport);
    synchronized (all) {
      all.add(m);
      transports.put(m, transport);
      trusts.put(config.stateDir(), trust);
    }
    return m;
  }

  /** The member's fault switch: hang, partition, heal, crash. */
  FaultyTransport faults(JGroupsMesh m) {
    synchronized (all) {
      return transports.get(m);
    }
  }

  /** Simulates the member's crash: no leave message, its connections just drop. */
  void crash(JGroupsMesh m) throws Exception {
    faults(m).crash();
  }

  JGroupsMesh tcpMember(int i, List<InetSocketAddress> seeds, UnaryOperator<MeshConfig> tweak) {
    return start(tweak.apply(tcp(i, seeds)));
  }

  /** Member {@code i} over TCP with {@code secret}, joined as node-i with --pod-subnet 10.244.i.0/24. */
  JGroupsMesh configuredMember(int i, List<InetSocketAddress> seeds, byte[] secret) throws Exception {
    JGroupsMesh m = tcpMember(i, seeds, c -> c.withSecret(secret));
    m.join(LocalNode.configured("node-" + i, ip(i), mac(i), io.weft.core.net.Cidr.parse("10.244." + i + ".0/24"),
        "0.1.0-test")).get(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    return m;
  }

  /** How many of {@code m}'s mesh messages were refused for {@code reason} ({@code weft_mesh_refused_messages_total}). */
  static long refused(JGroupsMesh m, String reason) {
    return m.snapshot().counters().refusals().byReason().getOrDefault(reason, 0L);
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
