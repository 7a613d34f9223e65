package io.weft.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What lab to build. {@code name} names the log folder ({@code <logRoot>/<name>/<node>.log}).
 * Short {@code peerGrace}/{@code leaseTime} keep failure scenarios inside a CI budget.
 */
public record LabConfig(
    String name,
    int nodes,
    int podsPerNode,
    Duration peerGrace,
    Duration leaseTime,
    Path logRoot,
    Path runRoot,
    Topology topology,
    List<String> extraAgentArgs,
    int segments,
    Map<Integer, String> forwardDrop) {

  public LabConfig {
    if (nodes < 1 || podsPerNode < 0) {
      throw new IllegalArgumentException("a lab needs at least one node and no negative pod count");
    }
    if (segments < 1 || segments > Math.min(nodes, 9)) {
      throw new IllegalArgumentException("a lab has 1 to min(nodes, 9) LAN segments, got " + segments);
    }
    logRoot = logRoot.toAbsolutePath().normalize();
    runRoot = runRoot.toAbsolutePath().normalize();
    extraAgentArgs = List.copyOf(extraAgentArgs);
    forwardDrop = Map.copyOf(forwardDrop);
  }

  /**
   * Defaults: 3 nodes with 2 pods each, grace 5s, lease 60s, logs under {@code lab.logs} (else
   * {@code lab/target/lab-logs}), run files (sockets, state, secret) under {@code /run/wlab}. The
   * system property {@code lab.prefix} (e.g. {@code wlb2-}) names another set of namespaces and run
   * files, so two labs can run side by side without one's stale-lab cleanup removing the other.
   */
  public static LabConfig defaults(String name) {
    String logs = System.getProperty("lab.logs", "lab/target/lab-logs");
    Topology topology = new Topology(System.getProperty("lab.prefix", Topology.DEFAULT.prefix()));
    return new LabConfig(
        name, 3, 2, Duration.ofSeconds(5), Duration.ofSeconds(60), Path.of(logs),
        Path.of("/run", topology.prefix().replaceAll("-+$", "")), topology, List.of(), 1, Map.of());
  }

  public LabConfig withNodes(int count) {
    return new LabConfig(name, count, podsPerNode, peerGrace, leaseTime, logRoot, runRoot, topology, extraAgentArgs,
        Math.min(segments, count), forwardDrop);
  }

  public LabConfig withPodsPerNode(int count) {
    return new LabConfig(name, nodes, count, peerGrace, leaseTime, logRoot, runRoot, topology, extraAgentArgs, segments, forwardDrop);
  }

  public LabConfig withPeerGrace(Duration grace) {
    return new LabConfig(name, nodes, podsPerNode, grace, leaseTime, logRoot, runRoot, topology, extraAgentArgs, segments, forwardDrop);
  }

  /** The nodes split over {@code count} LAN segments joined by the LAN namespace as a router. */
  public LabConfig withSegments(int count) {
    return new LabConfig(name, nodes, podsPerNode, peerGrace, leaseTime, logRoot, runRoot, topology, extraAgentArgs, count, forwardDrop);
  }

  /** The same agent flags on every node (e.g. {@code --tunnel always}). */
  public LabConfig withAgentArgs(List<String> args) {
    return new LabConfig(name, nodes, podsPerNode, peerGrace, leaseTime, logRoot, runRoot, topology, args, segments, forwardDrop);
  }

  /**
   * Node {@code index} starts with {@code iptables-BACKEND -P FORWARD DROP} ({@code nft} or {@code legacy})
   * and a DOCKER-USER chain jumped to from FORWARD, as Docker leaves every host it runs on, before its agent
   * starts.
   */
  public LabConfig withForwardDrop(int index, String backend) {
    if (!backend.equals("nft") && !backend.equals("legacy")) {
      throw new IllegalArgumentException("iptables backend must be nft or legacy: " + backend);
    }
    Map<Integer, String> drop = new TreeMap<>(forwardDrop);
    drop.put(index, backend);
    return new LabConfig(name, nodes, podsPerNode, peerGrace, leaseTime, logRoot, runRoot, topology, extraAgentArgs,
        segments, drop);
  }

  /**
   * The LAN segment of node {@code index}: consecutive nodes share one, the first segments take the extra
   * ones (3 nodes on 2 segments: n1 and n2 on 1, n3 on 2).
   */
  public int segmentOf(int index) {
    int perSegment = (nodes + segments - 1) / segments;
    return Math.min(segments, (index - 1) / perSegment + 1);
  }

  public Path logDir() {
    return logRoot.resolve(name);
  }
}
