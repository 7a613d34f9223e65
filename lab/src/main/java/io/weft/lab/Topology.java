package io.weft.lab;

import java.util.Locale;

/**
 * Names and addresses of a lab, all derived from one prefix so a stale lab is found by it: the LAN
 * namespace {@code wlab-lan} with bridge {@code lan0} (192.168.1.1/24, the nodes' default gateway),
 * node {@code i} as namespace {@code wlab-n<i>} with {@code eth0} = 192.168.1.(10+i)/24 and a
 * locally administered MAC, its pods as namespaces {@code wlab-n<i>-p<j>}.
 */
public record Topology(String prefix) {
  public static final Topology DEFAULT = new Topology("wlab-");
  public static final String LAN_BRIDGE = "lan0";
  public static final String LAN_GATEWAY = "192.168.1.1";
  public static final int LAN_PREFIX_LENGTH = 24;
  public static final String NODE_UPLINK = "eth0";
  public static final String POD_IFNAME = "eth0";

  public Topology {
    if (!prefix.matches("[a-z][a-z0-9]{1,6}-")) {
      throw new IllegalArgumentException("lab prefix must be 2-7 lowercase letters or digits and a dash, like wlab-: " + prefix);
    }
  }

  public String lanNetns() {
    return prefix + "lan";
  }

  public String nodeName(int index) {
    return prefix + "n" + index;
  }

  public String nodeIp(int index) {
    if (index < 1 || index > 200) {
      throw new IllegalArgumentException("node index out of range 1..200: " + index);
    }
    return "192.168.1." + (10 + index);
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

  public boolean owns(String netnsName) {
    return netnsName.startsWith(prefix);
  }
}
