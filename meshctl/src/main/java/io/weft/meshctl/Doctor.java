package io.weft.meshctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.dataplane.netfilter.IptablesRules;
import io.weft.dataplane.netfilter.NftForwardChains;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code meshctl doctor}: the node requirements as checks, each PASS, WARN or FAIL with a fix. Facts are
 * gathered first ({@link #gather}) and judged by a pure function ({@link #evaluate}).
 */
final class Doctor {
  static final int MESH_PORT = 6783;
  static final int METRICS_PORT = 6782;
  /** The kubelet's port: the one row of the Kubernetes ports table that every node has. */
  static final int KUBELET_PORT = 10250;
  static final int DEFAULT_VXLAN_PORT = 4789;

  enum Result { PASS, WARN, FAIL }

  record Check(String name, Result result, String detail, String fix) {}

  /** An interface with its IPv4 addresses (up, not loopback). */
  record Iface(String name, List<String> ipv4) {}

  /**
   * What the VXLAN tunnel needs.
   *
   * @param mode          the agent's {@code --tunnel} ({@code auto} when the agent is unreachable)
   * @param port          the agent's {@code --vxlan-port}
   * @param kernelSupport the kernel has VXLAN (module loaded, built in, or installed to load on demand)
   * @param deviceExists  Weft's VXLAN device is in this namespace and up (its kernel socket holds the port)
   * @param portFree      nothing holds the UDP port on any address
   * @param agentProblem  the agent's own account of a tunnel failure ({@code tunnel: ...}), or null
   */
  record TunnelFacts(String mode, int port, boolean kernelSupport, boolean deviceExists, boolean portFree,
      String agentProblem) {}

  /**
   * The FORWARD chain of one iptables backend.
   *
   * @param backend     {@code nft} or {@code legacy}
   * @param policy      the built-in chain's policy
   * @param weftInPlace Weft's jump and WEFT-FORWARD chain are there
   * @param dropsFirst  rules of others before Weft's jump that drop or reject
   */
  record ForwardFacts(String backend, String policy, boolean weftInPlace, List<String> dropsFirst) {}

  /** What a TCP port looks like from here: someone listens, it is free to bind, or neither. */
  enum PortState { LISTENING, FREE, BUSY }

  /**
   * @param interfaces    up, non-loopback interfaces with their IPv4 addresses
   * @param ipForward     net.ipv4.ip_forward, or null when unreadable
   * @param rpFilter      rp_filter by interface name ({@code all} included)
   * @param status        the agent's /v1/status, or null when unreachable
   * @param agentError    why the agent is unreachable
   * @param meshPort      state of the mesh port on the node IP (or any address when unknown)
   * @param metricsPort   state of the metrics port on 127.0.0.1
   * @param peerMeshPorts per peer name: true when its mesh port accepted a connection
   * @param kubeletPort   state of the kubelet port on this node
   * @param tunnel        what the VXLAN tunnel needs
   * @param forward       the FORWARD chain in each iptables backend in use
   * @param nftDrops      other tools' nftables chains that drop forwarded pod traffic by default
   */
  record Facts(List<Iface> interfaces, String ipForward, Map<String, String> rpFilter, JsonNode status,
      String agentError, PortState meshPort, PortState metricsPort, Map<String, Boolean> peerMeshPorts,
      PortState kubeletPort, TunnelFacts tunnel, List<ForwardFacts> forward, List<String> nftDrops) {}

  private Doctor() {}

  static List<Check> evaluate(Facts f) {
    List<Check> checks = new ArrayList<>();
    boolean agentUp = f.status() != null;
    checks.add(agentUp
        ? new Check("agent", Result.PASS, "weft-agent answers on its API socket", "")
        : new Check("agent", Result.FAIL, f.agentError(), "start weft-agent (or point meshctl at it with --socket PATH)"));

    List<Iface> withIp = f.interfaces().stream().filter(i -> !i.ipv4().isEmpty()).toList();
    String nodeIp = agentUp ? Render.text(f.status().path("node"), "nodeIp") : "";
    if (withIp.isEmpty()) {
      checks.add(new Check("interface with an IP", Result.FAIL, "no interface that is up has an IPv4 address",
          "configure an IPv4 address on the node's uplink (the node IP peers route to)"));
    } else if (!nodeIp.isEmpty() && withIp.stream().noneMatch(i -> i.ipv4().contains(nodeIp))) {
      checks.add(new Check("interface with an IP", Result.FAIL, "node IP " + nodeIp + " is on no interface that is up",
          "bring the uplink up or restart weft-agent with --node-ip set to an address of this host"));
    } else {
      Iface shown = withIp.stream().filter(i -> i.ipv4().contains(nodeIp)).findFirst().orElse(withIp.get(0));
      checks.add(new Check("interface with an IP", Result.PASS, shown.name() + " has " + String.join(", ", shown.ipv4()), ""));
    }

    checks.add(duplicate(f, "HOSTNAME", "unique hostname",
        "give each node its own hostname (hostnamectl set-hostname NAME) and restart weft-agent"));
    checks.add(duplicate(f, "MAC", "unique MAC",
        "cloned VM? give the uplink a new MAC address (regenerate it in the hypervisor) and restart weft-agent"));

    if ("1".equals(f.ipForward())) {
      checks.add(new Check("ip_forward", Result.PASS, "net.ipv4.ip_forward = 1", ""));
    } else {
      checks.add(new Check("ip_forward", Result.FAIL, "net.ipv4.ip_forward = " + (f.ipForward() == null ? "unreadable" : f.ipForward()),
          "sysctl -w net.ipv4.ip_forward=1 (weft-agent turns it on at start; something turned it off)"));
    }

    List<String> strict = f.rpFilter().entrySet().stream().filter(e -> "1".equals(e.getValue()))
        .map(e -> e.getKey()).sorted().toList();
    if (strict.isEmpty()) {
      checks.add(new Check("rp_filter", Result.PASS, "no interface uses strict reverse-path filtering", ""));
    } else {
      checks.add(new Check("rp_filter", Result.WARN, "strict rp_filter (1) on " + String.join(", ", strict)
          + ": replies may be dropped when pod traffic is asymmetric",
          "sysctl -w net.ipv4.conf.all.rp_filter=2 and net.ipv4.conf.<uplink>.rp_filter=2 (loose)"));
    }

    checks.add(port("port " + MESH_PORT + "/tcp (mesh)", f.meshPort(), agentUp,
        "free port " + MESH_PORT + " (ss -ltnp 'sport = :" + MESH_PORT + "') or give weft-agent another --port"));
    List<String> closed = f.peerMeshPorts().entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).sorted().toList();
    if (!f.peerMeshPorts().isEmpty()) {
      checks.add(closed.isEmpty()
          ? new Check("peers reachable on " + MESH_PORT + "/tcp", Result.PASS, f.peerMeshPorts().size() + " peer(s) accept connections", "")
          : new Check("peers reachable on " + MESH_PORT + "/tcp", Result.FAIL, "no connection to " + String.join(", ", closed),
              "open " + MESH_PORT + "/tcp between the nodes (firewall, security group) and check those agents run"));
    }
    checks.add(port("port " + METRICS_PORT + "/tcp (metrics)", f.metricsPort(), agentUp,
        "free port " + METRICS_PORT + " on 127.0.0.1 or give weft-agent another --metrics-address"));
    checks.addAll(tunnel(f.tunnel()));
    checks.add(forwarding(f.forward(), f.nftDrops(), agentUp));
    // Weft works without Kubernetes (the lab), so a missing kubelet is a warning, never a failure.
    checks.add(f.kubeletPort() == PortState.LISTENING
        ? new Check("port " + KUBELET_PORT + "/tcp (kubelet)", Result.PASS, "the kubelet listens", "")
        : new Check("port " + KUBELET_PORT + "/tcp (kubelet)", Result.WARN, "nothing answers on " + KUBELET_PORT
            + ": no kubelet on this node yet (fine before kubeadm join, or outside Kubernetes)",
            "join the node to the cluster (kubeadm join) and open " + KUBELET_PORT + "/tcp from the control plane"));
    return checks;
  }

  private static Check forwarding(List<ForwardFacts> backends, List<String> nftDrops, boolean agentUp) {
    String name = "pod traffic forwarded";
    if (!nftDrops.isEmpty()) {
      return new Check(name, Result.FAIL, "nftables chain(s) " + String.join(", ", nftDrops)
          + " drop forwarded traffic by default; no rule of Weft's can override them",
          "accept the pod network there (nft insert rule FAMILY TABLE CHAIN ip saddr 10.244.0.0/16 accept, and the same"
              + " with ip daddr), or trust it in that tool's settings (e.g. firewalld: add 10.244.0.0/16 to the trusted zone)");
    }
    List<String> blocked = new ArrayList<>();
    List<String> dropping = new ArrayList<>();
    for (ForwardFacts b : backends) {
      b.dropsFirst().forEach(r -> blocked.add("iptables-" + b.backend() + ": " + r));
      if ("DROP".equals(b.policy()) && !b.weftInPlace()) {
        dropping.add("iptables-" + b.backend());
      }
    }
    if (!blocked.isEmpty()) {
      return new Check(name, Result.FAIL, "rules before Weft's jump drop or reject: " + String.join("; ", blocked),
          "delete or narrow them, or move them after '-j WEFT-FORWARD' (iptables -S FORWARD shows the order)");
    }
    if (!dropping.isEmpty()) {
      return agentUp
          ? new Check(name, Result.FAIL, "FORWARD policy DROP in " + String.join(", ", dropping)
              + " and Weft's WEFT-FORWARD jump is missing: pod traffic is dropped",
              "see meshctl status and the agent's log (it re-adds its rules within a second; iptables must be installed)")
          : new Check(name, Result.WARN, "FORWARD policy DROP in " + String.join(", ", dropping)
              + " (Docker sets it): pod traffic is dropped until weft-agent adds its WEFT-FORWARD jump",
              "start weft-agent; it accepts pod traffic (10.244.0.0/16 both ways) without opening anything else");
    }
    List<String> drop = backends.stream().filter(b -> "DROP".equals(b.policy())).map(b -> "iptables-" + b.backend()).toList();
    return new Check(name, Result.PASS, drop.isEmpty() ? "no FORWARD policy drops pod traffic"
        : "FORWARD policy DROP in " + String.join(", ", drop) + "; Weft's WEFT-FORWARD accepts pod traffic first", "");
  }

  private static List<Check> tunnel(TunnelFacts t) {
    if ("never".equals(t.mode())) {
      return List.of(new Check("VXLAN tunnel", Result.PASS, "--tunnel never: only on-link peers are routed, no tunnel needed", ""));
    }
    List<Check> checks = new ArrayList<>();
    checks.add(t.kernelSupport() || t.deviceExists()
        ? new Check("VXLAN in the kernel", Result.PASS, "the vxlan module is available", "")
        : new Check("VXLAN in the kernel", Result.FAIL, "no vxlan module: peers that are not on-link cannot be reached",
            "modprobe vxlan (or use a kernel with CONFIG_VXLAN), or run weft-agent with --tunnel never if every node shares one L2 network"));
    String name = "port " + t.port() + "/udp (VXLAN)";
    if (t.agentProblem() != null) {
      checks.add(new Check(name, Result.FAIL, "the agent cannot use its tunnel device: " + t.agentProblem(),
          "free " + t.port() + "/udp (ss -lunp 'sport = :" + t.port() + "'; ip -d link show type vxlan), remove a link"
              + " named weft.vxlan that is not Weft's, or give weft-agent another --vxlan-port (the same on every node)"));
    } else if (t.deviceExists()) {
      checks.add(new Check(name, Result.PASS, "held by the kernel socket of Weft's tunnel device", ""));
    } else if (t.portFree()) {
      checks.add(new Check(name, Result.PASS, "free for the tunnel device", ""));
    } else {
      checks.add(new Check(name, Result.FAIL, "another program or VXLAN device (flannel.1? a Docker overlay?) holds it",
          "free " + t.port() + "/udp (ss -lunp 'sport = :" + t.port() + "'; ip -d link show type vxlan) or give weft-agent another --vxlan-port (the same on every node)"));
    }
    return checks;
  }

  private static Check duplicate(Facts f, String kind, String name, String fix) {
    if (f.status() == null) {
      return new Check(name, Result.WARN, "cannot compare across the mesh: the agent is unreachable", "start weft-agent, then run doctor again");
    }
    for (JsonNode p : f.status().path("problems")) {
      String text = p.asText();
      if (text.startsWith("duplicate " + kind.toLowerCase(java.util.Locale.ROOT))) {
        return new Check(name, Result.FAIL, text, fix);
      }
    }
    return new Check(name, Result.PASS, "no other node in the mesh shares it", "");
  }

  private static Check port(String name, PortState state, boolean agentUp, String fix) {
    return switch (state) {
      case LISTENING -> agentUp
          ? new Check(name, Result.PASS, "weft-agent listens", "")
          : new Check(name, Result.FAIL, "another process listens on it", fix);
      case FREE -> agentUp
          ? new Check(name, Result.WARN, "nothing listens although the agent runs", "check weft-agent's log and its --port/--metrics-address")
          : new Check(name, Result.PASS, "free for weft-agent", "");
      case BUSY -> new Check(name, Result.FAIL, "neither free nor answering", fix);
    };
  }

  // ---- gathering facts (impure) ----

  static Facts gather(JsonNode status, String agentError, Path procSys) {
    List<Iface> interfaces = new ArrayList<>();
    Map<String, String> rp = new TreeMap<>();
    rp.put("all", read(procSys.resolve("net/ipv4/conf/all/rp_filter")));
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!ni.isUp() || ni.isLoopback()) {
          continue;
        }
        List<String> v4 = Collections.list(ni.getInetAddresses()).stream().filter(a -> a instanceof Inet4Address)
            .map(InetAddress::getHostAddress).toList();
        interfaces.add(new Iface(ni.getName(), v4));
        if (!v4.isEmpty()) {
          String v = read(procSys.resolve("net/ipv4/conf/" + ni.getName() + "/rp_filter"));
          if (v != null) {
            rp.put(ni.getName(), v);
          }
        }
      }
    } catch (SocketException e) {
      // no interfaces readable: the interface check fails with an empty list
    }
    rp.values().removeIf(v -> v == null);
    String nodeIp = status == null ? "" : Render.text(status.path("node"), "nodeIp");
    PortState mesh = probe(nodeIp.isEmpty() ? "0.0.0.0" : nodeIp, MESH_PORT);
    PortState metrics = probe("127.0.0.1", METRICS_PORT);
    Map<String, Boolean> peers = new TreeMap<>();
    if (status != null) {
      for (JsonNode p : status.path("peers")) {
        if ("up".equals(Render.text(p, "state"))) {
          peers.put(Render.text(p, "name"), connects(Render.text(p, "nodeIp"), MESH_PORT));
        }
      }
    }
    PortState kubelet = connects("127.0.0.1", KUBELET_PORT) || (!nodeIp.isEmpty() && connects(nodeIp, KUBELET_PORT))
        ? PortState.LISTENING : PortState.FREE;
    return new Facts(interfaces, read(procSys.resolve("net/ipv4/ip_forward")), rp, status, agentError, mesh, metrics,
        peers, kubelet, tunnelFacts(status), forwardFacts(status), nftDrops(status));
  }

  /** From the agent's status when it answers, else read here with {@code nft list ruleset} (if nft is installed). */
  private static List<String> nftDrops(JsonNode status) {
    if (status != null && status.path("egress").path("nftDrops").isArray()) {
      List<String> out = new ArrayList<>();
      status.path("egress").path("nftDrops").forEach(d -> out.add(d.asText()));
      return out;
    }
    String ruleset = run("nft", "list", "ruleset");
    String cluster = status == null ? "10.244.0.0/16" : status.path("clusterCidr").asText("10.244.0.0/16");
    return ruleset == null ? List.of() : NftForwardChains.dropping(ruleset, cluster);
  }

  /** From the agent's status when it answers, else read here with iptables-save (no -t: it would create tables). */
  private static List<ForwardFacts> forwardFacts(JsonNode status) {
    List<ForwardFacts> out = new ArrayList<>();
    if (status != null && status.path("egress").path("backends").isArray()) {
      for (JsonNode b : status.path("egress").path("backends")) {
        List<String> drops = new ArrayList<>();
        b.path("dropsFirst").forEach(d -> drops.add(d.asText()));
        out.add(new ForwardFacts(Render.text(b, "name"), b.path("forwardPolicy").asText(null),
            b.path("forwarding").asBoolean(), drops));
      }
      return out;
    }
    for (String backend : List.of("nft", "legacy")) {
      String save = run("iptables-" + backend + "-save");
      IptablesRules.Table filter = save == null ? null : IptablesRules.parse(save).get("filter");
      if (filter != null) {
        boolean weft = filter.rules().contains("-A FORWARD -j " + IptablesRules.FORWARD_CHAIN);
        out.add(new ForwardFacts(backend, filter.policies().get("FORWARD"), weft, IptablesRules.dropsBeforeJump(filter)));
      }
    }
    return out;
  }

  /** A command's output, or null when it cannot run or fails. */
  private static String run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static TunnelFacts tunnelFacts(JsonNode status) {
    JsonNode t = status == null ? null : status.path("tunnel");
    String mode = t == null || t.isMissingNode() ? "auto" : t.path("mode").asText("auto");
    int port = t == null || t.isMissingNode() ? DEFAULT_VXLAN_PORT : t.path("port").asInt(DEFAULT_VXLAN_PORT);
    String device = t == null || t.isMissingNode() ? "weft.vxlan" : t.path("device").asText("weft.vxlan");
    boolean kernel = Files.exists(Path.of("/sys/module/vxlan")) || vxlanModuleInstalled();
    // Up: a device the kernel could not bring up (its port taken) holds no socket.
    String flags = read(Path.of("/sys/class/net", device, "flags"));
    boolean deviceExists = flags != null && flags.startsWith("0x") && (Long.parseLong(flags.substring(2), 16) & 1) != 0;
    String agentProblem = null;
    if (status != null) {
      for (JsonNode p : status.path("problems")) {
        if (agentProblem == null && p.asText().startsWith("tunnel: ")) {
          agentProblem = p.asText().substring("tunnel: ".length());
        }
      }
    }
    boolean free;
    try (DatagramSocket s = new DatagramSocket(null)) {
      s.bind(new InetSocketAddress(port));
      free = true;
    } catch (IOException e) {
      free = false;
    }
    return new TunnelFacts(mode, port, kernel, deviceExists, free, agentProblem);
  }

  /** A loadable vxlan module for the running kernel ({@code modprobe} loads it when the device is created). */
  private static boolean vxlanModuleInstalled() {
    String release = read(Path.of("/proc/sys/kernel/osrelease"));
    if (release == null) {
      return false;
    }
    Path dir = Path.of("/lib/modules", release, "kernel/drivers/net/vxlan");
    String builtin = read(Path.of("/lib/modules", release, "modules.builtin"));
    return Files.isDirectory(dir) || Files.exists(Path.of("/lib/modules", release, "kernel/drivers/net/vxlan.ko"))
        || (builtin != null && builtin.contains("/vxlan"));
  }

  private static PortState probe(String host, int port) {
    if (!host.equals("0.0.0.0") && connects(host, port)) {
      return PortState.LISTENING;
    }
    if (host.equals("0.0.0.0") && connects("127.0.0.1", port)) {
      return PortState.LISTENING;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return PortState.FREE;
    } catch (IOException e) {
      return PortState.BUSY;
    }
  }

  private static boolean connects(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getByName(host), port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p).trim();
    } catch (IOException e) {
      return null;
    }
  }
}
