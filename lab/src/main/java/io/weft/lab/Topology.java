package io.weft.lab;

import java.util.Locale;

/**
 * Names and addresses of a lab, all derived from one prefix so a stale lab is found by it: the LAN
 * namespace {@code wlab-lan} with bridge {@code lan0} (192.168.1.1/24, the nodes' default gateway),
 * node {@code i} as namespace {@code wlab-n<i>} with {@code eth0} = 192.168.1.(10+i)/24 and a
 * locally administered MAC, its pods as namespaces {@code wlab-n<i>-p<j>}.
 *
 * <p>A routed lab has several LAN segments: segment {@code s} is bridge {@code lan<s-1>} with
 * 192.168.s.1/24 in the same LAN namespace, which then forwards between them as a router does (it has
 * routes only for its connected segments, none for the cluster CIDR), and a node on segment {@code s}
 * has 192.168.s.(10+i). The outside host {@code wlab-out} (192.168.1.240, no route to the cluster CIDR)
 * sits on segment 1.
 */
public record Topology(String prefix) {
  public static final Topology DEFAULT = new Topology("wlab-");
  public static final int LAN_PREFIX_LENGTH = 24;
  public static final String NODE_UPLINK = "eth0";
  public static final String POD_IFNAME = "eth0";

  public Topology {
    if (!prefix.matches("[a-z][a-z0-9]{1,6}-")) {
      throw new IllegalArgumentException("lab prefix must be 2-7 lowercase letters or digits and a dash, like wlab-: " + prefix);
    }
  }

  /** The LAN segment's bridge in the LAN namespace: {@code lan0} for segment 1. */
  public String lanBridge(int segment) {
    return "lan" + (segment - 1);
  }

  /** The router's address on the segment, every node's default gateway there. */
  public String gateway(int segment) {
    return "192.168." + segment + ".1";
  }

  /** The outside host: a server on segment 1 with no route to the pods (as any LAN server or the internet). */
  public String outsideNetns() {
    return prefix + "out";
  }

  public static final String OUTSIDE_IP = "192.168.1.240";

  public String lanNetns() {
    return prefix + "lan";
  }

  public String nodeName(int index) {
    return prefix + "n" + index;
  }

  public String nodeIp(int index) {
    return nodeIp(index, 1);
  }

  /** Node {@code index}'s address on LAN segment {@code segment} (1-based). */
  public String nodeIp(int index, int segment) {
    if (index < 1 || index > 200) {
      throw new IllegalArgumentException("node index out of range 1..200: " + index);
    }
    if (segment < 1 || segment > 9) {
      throw new IllegalArgumentException("LAN segment out of range 1..9: " + segment);
    }
    return "192.168." + segment + "." + (10 + index);
  }

  /** The veth end inside the LAN namespace that plugs node {@code index} into the LAN bridge. */
  public String lanPort(int index) {
    return "n" + index;
  }

  public String nodeMac(int index) {
    return String.format(Locale.ROOT, "02:77:6c:00:00:%02x", index);
  }

  public String podName(int node, int pod) {
    return nodeName(node) + "-p" + pod;
  }

  /** The cgroup (under each hierarchy's root) that holds the lab's podman containers: {@code wlab-podman}. */
  public String containerCgroup() {
    return prefix + "podman";
  }

  public boolean owns(String netnsName) {
    return netnsName.startsWith(prefix);
  }
}
