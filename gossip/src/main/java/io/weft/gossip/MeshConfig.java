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
 * @param timing         failure detection, merge and retry tuning
 * @param thresholds     the counts and windows of Weft's two protocols (ring failure detector, merge probe)
 * @param allowLoopback  accept 127.0.0.x node IPs in records (tests that run members on 127.0.0.x)
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
    Timing timing,
    Thresholds thresholds,
    boolean allowLoopback) {

  public static final int DEFAULT_PORT = 6783;
  public static final String DEFAULT_CLUSTER = "weft";
  public static final Cidr DEFAULT_CLUSTER_CIDR = Cidr.parse("10.244.0.0/16");
  public static final Duration DEFAULT_LEASE_TIME = Duration.ofHours(24);
  /** The shortest mesh secret accepted; the agent also refuses one of obviously low entropy. */
  public static final int MIN_SECRET_BYTES = 32;

  public MeshConfig {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(bindAddress, "bindAddress");
    seeds = List.copyOf(Objects.requireNonNull(seeds, "seeds"));
    secret = Objects.requireNonNull(secret, "secret").map(byte[]::clone);
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(clusterCidr, "clusterCidr");
    Objects.requireNonNull(leaseTime, "leaseTime");
    Objects.requireNonNull(timing, "timing");
    Objects.requireNonNull(thresholds, "thresholds");
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

  /** Production defaults: cluster CIDR 10.244.0.0/16 split in /24s, 24 h lease, no secret. */
  public static MeshConfig of(InetAddress bindAddress, int port, List<InetSocketAddress> seeds, Path stateDir) {
    return new MeshConfig(DEFAULT_CLUSTER, bindAddress, port, seeds, null, Optional.empty(), stateDir,
        DEFAULT_CLUSTER_CIDR, 24, DEFAULT_LEASE_TIME, Timing.defaults(), Thresholds.defaults(), false);
  }

  public MeshConfig withDnsQuery(String dnsQuery) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, timing, thresholds, allowLoopback);
  }

  public MeshConfig withSecret(byte[] secret) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, Optional.ofNullable(secret),
        stateDir, clusterCidr, subnetPrefix, leaseTime, timing, thresholds, allowLoopback);
  }

  public MeshConfig withClusterCidr(Cidr clusterCidr, int subnetPrefix) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, timing, thresholds, allowLoopback);
  }

  public MeshConfig withLeaseTime(Duration leaseTime) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, timing, thresholds, allowLoopback);
  }

  public MeshConfig withTiming(Timing timing) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, timing, thresholds, allowLoopback);
  }

  public MeshConfig withThresholds(Thresholds thresholds) {
    return new MeshConfig(clusterName, bindAddress, port, seeds, dnsQuery, secret, stateDir, clusterCidr,
        subnetPrefix, leaseTime, timing, thresholds, allowLoopback);
  }

  /** This node's mesh endpoint as {@code ip:port}: how logs and thread names tell meshes apart. */
  public String endpoint() {
    return bindAddress.getHostAddress() + ":" + port;
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "MeshConfig[cluster=" + clusterName + ", bind=" + endpoint()
        + ", seeds=" + seeds + ", dns=" + dnsQuery + ", secret=" + (secret.isPresent() ? "set" : "none")
        + ", stateDir=" + stateDir + ", clusterCidr=" + clusterCidr + "/" + subnetPrefix
        + ", lease=" + leaseTime + ", " + timing + ", " + thresholds + "]";
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

  /**
   * The counts and windows of Weft's two protocols, beside their timings in {@link Timing}.
   *
   * @param ringWatchers         ring failure detector: successors each member heartbeats (and predecessors it
   *                             watches); two, so a dead member is still watched when its neighbour is dead too
   * @param escalateAfterReports ring failure detector: reports of the same silent members after which the
   *                             reporter stops relying on the decider alone (it may be cut off from it too)
   * @param maxProbesPerRound    merge probe: candidates probed per round at most (one answer from a part is
   *                             enough to merge all of it)
   * @param pauseThreshold       merge probe: a round this much later than due means this process was paused
   *                             (SIGSTOP, a frozen VM) about as long as failure detection waits: it asks its
   *                             own members whether they still hold it
   * @param maxBackoffRounds     merge probe: a candidate that never answers is probed every 2, 4, ... up to
   *                             this many rounds
   * @param mergeCollectWindow   merge probe: views of other parts arriving within this window go to GMS as
   *                             one merge
   */
  public record Thresholds(int ringWatchers, int escalateAfterReports, int maxProbesPerRound,
      Duration pauseThreshold, int maxBackoffRounds, Duration mergeCollectWindow) {

    public Thresholds {
      Objects.requireNonNull(pauseThreshold, "pauseThreshold");
      Objects.requireNonNull(mergeCollectWindow, "mergeCollectWindow");
      if (ringWatchers < 1 || escalateAfterReports < 1 || maxProbesPerRound < 1 || maxBackoffRounds < 1) {
        throw new IllegalArgumentException("mesh protocol thresholds must be at least 1: " + this);
      }
    }

    public static Thresholds defaults() {
      return new Thresholds(2, 3, 8, Duration.ofSeconds(1), 32, Duration.ofMillis(200));
    }
  }
}
