package io.weft.agent;

import io.weft.agent.converge.TunnelSettings;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.plan.NodeRules;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code weft-agent}: the flags of SPEC.md, each with its {@code WEFT_*} environment twin (see
 * {@link EnvDefaults}; flags win), turned into an {@link AgentConfig} or refused with a one-line
 * {@link ConfigException} naming the value and why.
 */
@Command(
    name = "weft-agent",
    mixinStandardHelpOptions = true,
    versionProvider = WeftVersion.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "The Weft node agent: joins the mesh, keeps this node's pod subnet, and",
        "routes every other node's pod subnet: via that node's IP where it is on a",
        "connected network, through the VXLAN device weft.vxlan where it is not",
        "(kernel routes with protocol 87 \"weft\"; pod addresses are never NATed",
        "between pods). Pods reach the world through masquerade.",
        "",
        "Every flag has an environment twin: --node-ip <-> WEFT_NODE_IP,",
        "--peer <-> WEFT_PEER (a comma list). Flags win.",
        ""},
    footerHeading = "%nExamples:%n",
    footer = {
        "  Make the mesh secret once, copy it to every node (mode 0600):",
        "    head -c 32 /dev/urandom | base64 > /etc/weft/secret; chmod 600 /etc/weft/secret",
        "  Start a new mesh on the first node:",
        "    weft-agent --node-ip 192.168.1.11 --secret-file /etc/weft/secret",
        "  Join it from another node (routes appear on both within seconds):",
        "    weft-agent --node-ip 192.168.1.12 --peer 192.168.1.11 --secret-file /etc/weft/secret",
        "  Pin this node's pod subnet:",
        "    weft-agent --pod-subnet 10.244.7.0/24 --secret-file /etc/weft/secret",
        "  The same from the environment (e.g. a DaemonSet), seeds also from DNS:",
        "    WEFT_PEER=192.168.1.11 WEFT_PEER_DNS=weft-peers.weft.svc WEFT_SECRET_FILE=/etc/weft/secret weft-agent",
        "  Remove everything Weft put on this node:",
        "    weft-agent cleanup",
        "",
        "Exit codes: 0 clean stop (SIGTERM keeps the routes), 2 bad configuration, 1 anything else.",
        "Inspect a running agent with: meshctl status"})
public final class AgentCommand implements Callable<Integer> {

  /** Starts the agent with a validated configuration and returns its exit code when it stops. */
  @FunctionalInterface
  public interface Runner {
    int run(AgentConfig config) throws Exception;
  }

  static final String DEFAULT_CLUSTER_CIDR = "10.244.0.0/16";

  private final HostFacts host;
  private final Runner runner;

  @Spec
  CommandSpec spec;

  @Option(names = "--node-name", paramLabel = "NAME", description = "Unique node name in the mesh (default: hostname).")
  String nodeName;

  @Option(names = "--node-ip", paramLabel = "IP", converter = FlagTypes.Ipv4.class,
      description = "External IPv4: peers route pod traffic here; gossip binds here (default: the address of the interface holding the default route).")
  Inet4Address nodeIp;

  @Option(names = "--peer", paramLabel = "HOST[:PORT]", split = ",", converter = FlagTypes.SeedPeer.class,
      description = "Seed peer to join through; repeat or give a comma list (default: none, start a new mesh).")
  List<FlagTypes.Seed> peers = new ArrayList<>();

  @Option(names = "--peer-dns", paramLabel = "NAME",
      description = "DNS name whose A records are seed peers too, re-resolved on every join attempt (e.g. a headless Service: weft-peers.weft.svc; default: none).")
  String peerDns;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "6783", converter = FlagTypes.Port.class,
      description = "Mesh TCP port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--cluster-cidr", paramLabel = "CIDR", defaultValue = DEFAULT_CLUSTER_CIDR, converter = FlagTypes.ClusterCidr.class,
      description = "The pod network (default: ${DEFAULT-VALUE}).")
  Cidr clusterCidr;

  @Option(names = "--pod-subnet", paramLabel = "CIDR", converter = FlagTypes.AnyCidr.class,
      description = "This node's /24 inside the cluster CIDR (default: allocated by the mesh, then kept in the state dir).")
  Cidr podSubnet;

  @Option(names = "--bridge", paramLabel = "NAME", defaultValue = "v-net-0", converter = FlagTypes.InterfaceName.class,
      description = "Node bridge; its address is the pod subnet's first (default: ${DEFAULT-VALUE}).")
  String bridge;

  @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/weft", converter = FlagTypes.FilePath.class,
      description = "Subnet lease and IPAM allocations (default: ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(names = "--api-socket", paramLabel = "PATH", defaultValue = "/run/weft/weft.sock", converter = FlagTypes.FilePath.class,
      description = "Local API for meshctl and the CNI plugin (default: ${DEFAULT-VALUE}).")
  Path apiSocket;

  @Option(names = "--metrics-address", paramLabel = "IP:PORT", defaultValue = "127.0.0.1:6782", converter = FlagTypes.ListenAddress.class,
      description = "Serves /metrics, /healthz, /readyz (default: ${DEFAULT-VALUE}).")
  InetSocketAddress metricsAddress;

  @Option(names = "--secret-file", paramLabel = "FILE",
      description = "Shared mesh secret: at least 32 bytes of real entropy (head -c 32 /dev/urandom | base64), the file not readable by group or others (default: none; then --insecure is required).")
  String secretFile;

  @Option(names = "--peer-grace", paramLabel = "DURATION", defaultValue = "120s", converter = FlagTypes.NonNegativeDuration.class,
      description = "How long routes to a peer that went down are kept (default: ${DEFAULT-VALUE}).")
  Duration peerGrace;

  @Option(names = "--lease-time", paramLabel = "DURATION", defaultValue = "24h", converter = FlagTypes.PositiveDuration.class,
      description = "How long a down peer's subnet stays reserved for it (default: ${DEFAULT-VALUE}).")
  Duration leaseTime;

  @Option(names = "--adopt-grace", paramLabel = "DURATION", defaultValue = "60s", converter = FlagTypes.NonNegativeDuration.class,
      description = "At start, routes of ours that no peer claims are kept until the mesh view settles, at most this long (default: ${DEFAULT-VALUE}).")
  Duration adoptGrace;

  @Option(names = "--resync-interval", paramLabel = "DURATION", defaultValue = "30s", converter = FlagTypes.PositiveDuration.class,
      description = "Full re-read of the kernel state Weft owns: routes, tunnel, packet filter rules (default: ${DEFAULT-VALUE}).")
  Duration resyncInterval;

  @Option(names = "--rt-protos-dir", paramLabel = "DIR", defaultValue = "/etc/iproute2/rt_protos.d", converter = FlagTypes.FilePath.class,
      description = "Directory for weft.conf, naming protocol 87 for `ip route` (if its parent exists); 'none' skips it. Default: ${DEFAULT-VALUE}")
  Path rtProtosDir;

  @Option(names = "--tunnel", paramLabel = "MODE", defaultValue = "auto", converter = FlagTypes.Tunnel.class,
      description = "auto: a direct route to peers on a connected network, VXLAN to the others; always: VXLAN to every peer (clouds with source/destination checks); never: direct routes only, other peers are reported unreachable (default: ${DEFAULT-VALUE}).")
  TunnelMode tunnel;

  @Option(names = "--vxlan-vni", paramLabel = "VNI", defaultValue = "87", converter = FlagTypes.Vni.class,
      description = "VXLAN network identifier of the tunnel device weft.vxlan, 1-16777215 (default: ${DEFAULT-VALUE}).")
  int vxlanVni;

  @Option(names = "--vxlan-port", paramLabel = "PORT", defaultValue = "4789", converter = FlagTypes.Port.class,
      description = "UDP port of the VXLAN tunnel; open it between nodes (default: ${DEFAULT-VALUE}).")
  int vxlanPort;

  @Option(names = "--masquerade", paramLabel = "BOOL", arity = "0..1", defaultValue = "true", fallbackValue = "true",
      converter = FlagTypes.Switch.class,
      description = "Traffic from this node's pods to destinations outside the cluster CIDR leaves with the node's address; pod-to-pod traffic never does (default: ${DEFAULT-VALUE}; --masquerade=false turns it off).")
  FlagTypes.OnOff masquerade;

  @Option(names = "--insecure", defaultValue = "false",
      description = "Run without --secret-file: an open mesh, unauthenticated (any host that reaches the mesh port can join and announce routes). Without either the agent refuses to start (default: off).")
  boolean insecure;

  @Option(names = "--no-masquerade-cidr", paramLabel = "CIDR", split = ",", converter = FlagTypes.NoMasqueradeCidr.class,
      description = "Destination that routes the pod CIDR itself (e.g. a corporate network): never masqueraded; repeat or give a comma list (default: none).")
  List<Cidr> noMasqueradeCidrs = new ArrayList<>();

  public AgentCommand(HostFacts host, Runner runner) {
    this.host = host;
    this.runner = runner;
  }

  @Override
  public Integer call() throws Exception {
    return runner.run(toConfig());
  }

  /**
   * Checks what no single value can say alone (picocli's converters, {@link FlagTypes}, have checked each);
   * the first bad one is a {@link ConfigException}.
   */
  AgentConfig toConfig() {
    String hostname = normalizeHostname(host.hostname());
    String name = nodeName == null ? hostname : nodeName.trim();
    if (!NodeRules.isDnsName(name)) {
      throw bad("--node-name", nodeName == null ? host.hostname() : name, nodeName == null
          ? "the hostname is not a usable node name (lowercase RFC 1123: letters, digits, '-', '.'); give --node-name"
          : "use a lowercase RFC 1123 name: letters a-z, digits, '-' and '.', each label starting and ending with a letter or digit (peers refuse anything else)");
    }
    String dns = peerDns();
    Inet4Address ip = nodeIp();
    Optional<Cidr> subnet = podSubnet();
    if (clusterCidr.contains(ip)) {
      throw bad("--node-ip", ip.getHostAddress(), "inside the cluster CIDR " + clusterCidr + "; use the node's external address");
    }
    if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
      throw bad("--state-dir", stateDir.toString(), "exists and is not a directory");
    }
    if (Files.isDirectory(apiSocket)) {
      throw bad("--api-socket", apiSocket.toString(), "is a directory; give the socket's file path");
    }
    Optional<Path> rtProtos = rtProtosDir.equals(Path.of("none")) ? Optional.empty() : Optional.of(rtProtosDir);
    if (tunnel != TunnelMode.NEVER && vxlanPort == port) {
      throw bad("--vxlan-port", String.valueOf(vxlanPort), "is the mesh port too (--port); give them different ports");
    }
    // Blank list items (a trailing comma) convert to null and are skipped.
    List<InetSocketAddress> seeds = peers.stream().filter(Objects::nonNull).map(s -> s.withDefaultPort(port)).toList();
    return new AgentConfig(name, hostname, ip, seeds, dns, port, clusterCidr, subnet, bridge, stateDir, apiSocket,
        metricsAddress, secret(), peerGrace, leaseTime, adoptGrace, resyncInterval, rtProtos,
        TunnelSettings.of(tunnel, vxlanVni, vxlanPort), masquerade.on(),
        noMasqueradeCidrs.stream().filter(Objects::nonNull).toList());
  }

  /**
   * The hostname as peers accept it: lowercase, '_' and other characters outside RFC 1123 as '-', no
   * trailing dot. Peers reject a record whose hostname is not a lowercase RFC 1123 name.
   */
  static String normalizeHostname(String raw) {
    String h = raw.trim().toLowerCase(Locale.ROOT);
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    List<String> labels = new ArrayList<>();
    for (String label : h.split("\\.")) {
      String l = label.replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
      if (!l.isEmpty()) {
        labels.add(l.length() > 63 ? l.substring(0, 63).replaceAll("-+$", "") : l);
      }
    }
    return String.join(".", labels);
  }

  private String peerDns() {
    if (peerDns == null || peerDns.isBlank()) {
      return null;
    }
    String dns = peerDns.trim();
    // Not resolved here: on a fresh cluster the name answers only once DNS (itself a pod) runs.
    if (!NodeRules.isDnsName(dns.toLowerCase(Locale.ROOT).replaceAll("\\.$", ""))) {
      throw bad("--peer-dns", peerDns, "not a DNS name (letters, digits, '-' and '.')");
    }
    return dns;
  }

  private Inet4Address nodeIp() {
    if (nodeIp == null) {
      Inet4Address found = host.defaultRouteIpv4().orElseThrow(() -> new ConfigException(
          "--node-ip: not given and no interface holds a default route to take it from; give --node-ip"));
      unroutable(found).ifPresent(why -> {
        throw new ConfigException("--node-ip: not given, and the default route's address "
            + found.getHostAddress() + " is " + why);
      });
      return found;
    }
    String given = nodeIp.getHostAddress();
    unroutable(nodeIp).ifPresent(why -> {
      throw bad("--node-ip", given, why);
    });
    if (!host.ipv4Addresses().contains(nodeIp)) {
      throw bad("--node-ip", given, "not an address of this host (it has " + host.ipv4Addresses().stream()
          .map(InetAddress::getHostAddress).sorted().toList() + ")");
    }
    return nodeIp;
  }

  /**
   * Why peers could not route pod traffic to {@code ip} (core's {@link NodeRules}, which their
   * RecordValidator applies), in the operator's words; empty when it can be a node IP.
   */
  static Optional<String> unroutable(Inet4Address ip) {
    return NodeRules.unroutable(ip).map(why -> switch (why) {
      case LOOPBACK -> "a loopback address: peers cannot route to it; give the node's external address";
      case LINK_LOCAL -> "a link-local address (169.254/16): peers refuse it; give the node's external address";
      case THIS_NETWORK -> "in 0.0.0.0/8 (this network): not an address peers can route to";
      case MULTICAST, RESERVED -> "a multicast or reserved (240.0.0.0/4) address: not a node address";
      case NOT_IPV4 -> "not an IPv4 address";
    });
  }

  private Optional<Cidr> podSubnet() {
    if (podSubnet == null) {
      return Optional.empty();
    }
    if (podSubnet.prefixLength() != AgentConfig.SUBNET_PREFIX) {
      throw bad("--pod-subnet", podSubnet.toString(), "must be a /" + AgentConfig.SUBNET_PREFIX);
    }
    if (!clusterCidr.contains(podSubnet)) {
      throw bad("--pod-subnet", podSubnet.toString(), "not inside --cluster-cidr " + clusterCidr);
    }
    return Optional.of(podSubnet);
  }

  /** The secret (policy in {@link MeshSecret}); none only when {@code --insecure} says so. */
  private Optional<byte[]> secret() {
    if (secretFile == null || secretFile.isBlank()) {
      if (!insecure) {
        throw new ConfigException("no --secret-file: give every agent the same mesh secret (" + MeshSecret.HOW_TO
            + "), or run an open, unauthenticated mesh with --insecure");
      }
      return Optional.empty();
    }
    if (insecure) {
      throw new ConfigException("--insecure (or WEFT_INSECURE) and --secret-file " + secretFile
          + " contradict each other: give one or the other");
    }
    try {
      return Optional.of(MeshSecret.read(path("--secret-file", secretFile)));
    } catch (MeshSecret.Refused e) {
      throw bad("--secret-file", secretFile, e.getMessage());
    }
  }

  private Path path(String flag, String text) {
    try {
      return new FlagTypes.FilePath().convert(text);
    } catch (TypeConversionException e) {
      throw bad(flag, text, e.getMessage());
    }
  }

  /** Names the value as the user gave it: the flag, or its environment twin when that is where it came from. */
  private ConfigException bad(String flag, String value, String why) {
    boolean given = spec == null || spec.commandLine().getParseResult().hasMatchedOption(flag);
    String source = given || !(spec.defaultValueProvider() instanceof EnvDefaults env) ? flag : env.sourceOf(flag);
    return new ConfigException(source + " " + value + ": " + why);
  }
}
