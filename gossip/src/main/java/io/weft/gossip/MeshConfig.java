package io.weft.gossip;

import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How this node takes part in the mesh.
 *
 * @param clusterName    JGroups cluster name; nodes of other clusters are ignored
 * @param bindAddress    the node IP; the mesh listens here and nowhere else
 * @param port           mesh TCP port ({@code --port}); no port range: a busy port is an error
 * @param seeds          {@code --peer} seeds; empty (and no DNS query, no remembered peers) starts a new mesh
 * @param dnsQuery       a DNS name (headless Service) whose A records are seeds too, re-resolved on
 *                       every join attempt; null when unused
 * @param secret         the shared mesh secret ({@code --secret-file} content); empty = unauthenticated
 * @param stateDir       where the subnet lease, incarnation and known peers are kept
 * @param clusterCidr    the pod network
 * @param subnetPrefix   prefix length of a node's pod subnet (24)
 * @param leaseTime      how long a down peer's subnet stays reserved before its record is removed
 * @param transport      TCP for real; SIMULATED runs many members in one JVM for the benchmark
 * @param timing         failure detection, merge and retry tuning
 * @param allowLoopback  accept 127.0.0.x node IPs in records (tests only)
 * @param faultInjection adds a traffic switch to the stack so tests can hang or partition a member
 */
public record MeshConfig(
    String clusterName,
    InetAddress bindAddress,
    int port,
    List<InetSocketAddress> seeds,
    String dnsQuery,
    Optional<byte[]> secret,
    Path stateDir,
    Cidr clusterCidr,
    int subnetPrefix,
    Duration leaseTime,
    Transport transport,
    Timing timing,
    boolean allowLoopback,
    boolean faultInjection) {

  public static final int DEFAULT_PORT = 6783;
  public static final String DEFAULT_CLUSTER = "weft";
  public static final Cidr DEFAULT_CLUSTER_CIDR = Cidr.parse("10.244.0.0/16");
  public static final Duration DEFAULT_LEASE_TIME = Duration.ofHours(24);
  /** The shortest mesh secret accepted; the agent also refuses one of obviously low entropy. */
  public static final int MIN_SECRET_BYTES = 32;

  /** How members talk to each other. */
  public enum Transport {
    /** JGroups TCP on {@code bindAddress:port}: production. */
    TCP,
    /** JGroups SHARED_LOOPBACK: members of one JVM only, no sockets; for scale benchmarks. */
    SIMULATED
  }

  public MeshConfig {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(bindAddress, "bindAddress");
    seeds = List.copyOf(Objects.requireNonNull(seeds, "seeds"));
    secret = Objects.requireNonNull(secret, "secret").map(byte[]::clone);
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(clusterCidr, "clusterCidr");
    Objects.requireNonNull(leaseTime, "leaseTime");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(timing, "timing");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("mesh port " + port + " out of range 1..65535");
    }
    if (subnetPrefix < clusterCidr.prefixLength() || subnetPrefix > (clusterCidr.isIpv4() ? 32 : 128)) {
      throw new IllegalArgumentException(
          "pod subnet prefix /" + subnetPrefix + " does not fit in cluster CIDR " + clusterCidr);
    }
    if (secret.isPresent() && secret.get().length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("mesh secret is " + secret.get().length + " bytes; use at least "
          + MIN_SECRET_BYTES + " random bytes (e.g. head -c 32 /dev/urandom | base64)");
    }
  }

  /** Production defaults: TCP, cluster CIDR 10.244.0.0/16 split in /24s, 24 h lease, no secret. */
  public static MeshConfig of(InetAddress bindAddress, int port, List<InetSocketAddress> seeds, Path stateDir) {
    return new MeshConfig(DEFAULT_CLUSTER, bindAddress, port, seeds, null, Optional.empty(), stateDir,
        DEFAULT_CLUSTER_CIDR, 24, DEFAULT_LEASE_TIME, Transport.TCP, Timing.defaults(), false, false);
  }

  /**
   * A member for tests over loopback TCP: binds {@code 127.0.0.x:port}, accepts loopback node IPs,
   * and can be hung or partitioned through {@code JGroupsMesh.faults()}.
   */
  public static MeshConfig loopbackTest(String clusterName, InetAddress loopback, int port, Path stateDir,
      List<InetSocketAddress> seeds) {
    return new MeshConfig(clusterName, loopback, port, seeds, null, Optional.empty(), stateDir,
        DEFAULT_CLUSTER_CIDR, 24, DEFAULT_LEASE_TIME, Transport.TCP, Timing.defaults(), true, true);
  }

  /** A member of an in-JVM simulated mesh (no sockets); {@code port} only has to be unique. */
  public static MeshConfig simulated(String clusterName, InetAddress nodeIp, int port, Path stateDir,
      boolean startNewMesh) {
    List<InetSocketAddress> seeds = startNewMesh ? List.of() : List.of(new InetSocketAddress(nodeIp, 1));
    return new MeshConfig(clusterName, nodeIp, port, seeds, null, Optional.empty(), stateDir,
        DEFAULT_CLUSTER_CIDR, 24, DEFAULT_LEASE_TIME, Transport.SIMULATED, Timing.defaults(), true, true);
  }

  public MeshConfig withDnsQuery(String dnsQuery) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, transport, timing, allowLoopback, faultInjection);
  }

  public MeshConfig withSecret(byte[] secret) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, Optional.ofNullable(secret),
        stateDir, clusterCidr, subnetPrefix, leaseTime, transport, timing, allowLoopback, faultInjection);
  }

  public MeshConfig withClusterCidr(Cidr clusterCidr, int subnetPrefix) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, transport, timing, allowLoopback, faultInjection);
  }

  public MeshConfig withLeaseTime(Duration leaseTime) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, transport, timing, allowLoopback, faultInjection);
  }

  public MeshConfig withTiming(Timing timing) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, transport, timing, allowLoopback, faultInjection);
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "MeshConfig[cluster=" + clusterName + ", bind=" + bindAddress.getHostAddress() + ":" + port
        + ", seeds=" + seeds + ", dns=" + dnsQuery + ", secret=" + (secret.isPresent() ? "set" : "none")
        + ", stateDir=" + stateDir + ", clusterCidr=" + clusterCidr + "/" + subnetPrefix
        + ", lease=" + leaseTime + ", transport=" + transport + ", " + timing + "]";
  }

  /**
   * Timings. The JGroups defaults take ~40 s to drop a dead member and ~45 s to merge a split mesh;
   * these defaults drop one in about 2-2.5 s (1.5 s + up to one 0.5 s check interval + 0.5 s
   * verification) and merge in under 10 s.
   *
   * @param heartbeatInterval ring failure detector: how often a member heartbeats its successors
   * @param suspectTimeout    ring failure detector: no traffic from a predecessor for this long makes it suspect
   * @param verifyTimeout     VERIFY_SUSPECT2: how long a suspect gets to answer before removal
   * @param mergeMin          merge probe rounds (coordinator only): min interval
   * @param mergeMax          merge probe rounds: max interval
   * @param joinTimeout       GMS join timeout (also the longest discovery wait; discovery ends at the first
   *                          answer naming a coordinator)
   * @param retryMin          first backoff when every seed is unreachable
   * @param retryMax          backoff cap
   * @param tombstoneTime     how long a forgotten or expired node stays tombstoned
   * @param housekeeping      how often leases and tombstones are checked
   */
  public record Timing(
      Duration heartbeatInterval,
      Duration suspectTimeout,
      Duration verifyTimeout,
      Duration mergeMin,
      Duration mergeMax,
      Duration joinTimeout,
      Duration retryMin,
      Duration retryMax,
      Duration tombstoneTime,
      Duration housekeeping) {

    public static Timing defaults() {
      return new Timing(Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofMillis(500),
          Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofSeconds(1),
          Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofSeconds(5));
    }

    public Timing withRetry(Duration min, Duration max) {
      return new Timing(heartbeatInterval, suspectTimeout, verifyTimeout, mergeMin, mergeMax, joinTimeout,
          min, max, tombstoneTime, housekeeping);
    }

    public Timing withHousekeeping(Duration housekeeping, Duration tombstoneTime) {
      return new Timing(heartbeatInterval, suspectTimeout, verifyTimeout, mergeMin, mergeMax, joinTimeout,
          retryMin, retryMax, tombstoneTime, housekeeping);
    }

    public Timing withFailureDetection(Duration heartbeatInterval, Duration suspectTimeout,
        Duration verifyTimeout) {
      return new Timing(heartbeatInterval, suspectTimeout, verifyTimeout, mergeMin, mergeMax, joinTimeout,
          retryMin, retryMax, tombstoneTime, housekeeping);
    }
  }
}
