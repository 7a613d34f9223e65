package io.weft.agent;

import io.weft.agent.converge.TunnelSettings;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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

  /** Peers' RecordValidator takes names and hostnames only as lowercase RFC 1123 subdomains. */
  private static final Pattern DNS_NAME =
      Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  private static final int DNS_NAME_MAX = 253;
  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

  private final HostFacts host;
  private final Runner runner;

  @Spec
  CommandSpec spec;

  @Option(names = "--node-name", paramLabel = "NAME", description = "Unique node name in the mesh (default: hostname).")
  String nodeName;

  @Option(names = "--node-ip", paramLabel = "IP",
      description = "External IPv4: peers route pod traffic here; gossip binds here (default: the address of the interface holding the default route).")
  String nodeIp;

  @Option(names = "--peer", paramLabel = "HOST[:PORT]", split = ",",
      description = "Seed peer to join through; repeat or give a comma list (default: none, start a new mesh).")
  List<String> peers = new ArrayList<>();

  @Option(names = "--peer-dns", paramLabel = "NAME",
      description = "DNS name whose A records are seed peers too, re-resolved on every join attempt (e.g. a headless Service: weft-peers.weft.svc; default: none).")
  String peerDns;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "6783", description = "Mesh TCP port (default: ${DEFAULT-VALUE}).")
  String port;

  @Option(names = "--cluster-cidr", paramLabel = "CIDR", defaultValue = "10.244.0.0/16", description = "The pod network (default: ${DEFAULT-VALUE}).")
  String clusterCidr;

  @Option(names = "--pod-subnet", paramLabel = "CIDR",
      description = "This node's /24 inside the cluster CIDR (default: allocated by the mesh, then kept in the state dir).")
  String podSubnet;

  @Option(names = "--bridge", paramLabel = "NAME", defaultValue = "v-net-0", description = "Node bridge; its address is the pod subnet's first (default: ${DEFAULT-VALUE}).")
  String bridge;

  @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/weft", description = "Subnet lease and IPAM allocations (default: ${DEFAULT-VALUE}).")
  String stateDir;

  @Option(names = "--api-socket", paramLabel = "PATH", defaultValue = "/run/weft/weft.sock", description = "Local API for meshctl and the CNI plugin (default: ${DEFAULT-VALUE}).")
  String apiSocket;

  @Option(names = "--metrics-address", paramLabel = "IP:PORT", defaultValue = "127.0.0.1:6782", description = "Serves /metrics, /healthz, /readyz (default: ${DEFAULT-VALUE}).")
  String metricsAddress;

  @Option(names = "--secret-file", paramLabel = "FILE",
      description = "Shared mesh secret: at least 32 bytes of real entropy (head -c 32 /dev/urandom | base64), the file not readable by group or others (default: none; then --insecure is required).")
  String secretFile;

  @Option(names = "--peer-grace", paramLabel = "DURATION", defaultValue = "120s", description = "How long routes to a peer that went down are kept (default: ${DEFAULT-VALUE}).")
  String peerGrace;

  @Option(names = "--lease-time", paramLabel = "DURATION", defaultValue = "24h", description = "How long a down peer's subnet stays reserved for it (default: ${DEFAULT-VALUE}).")
  String leaseTime;

  @Option(names = "--adopt-grace", paramLabel = "DURATION", defaultValue = "60s",
      description = "At start, routes of ours that no peer claims are kept until the mesh view settles, at most this long (default: ${DEFAULT-VALUE}).")
  String adoptGrace;

  @Option(names = "--resync-interval", paramLabel = "DURATION", defaultValue = "30s", description = "Full re-read of the kernel state Weft owns: routes, tunnel, packet filter rules (default: ${DEFAULT-VALUE}).")
  String resyncInterval;

  @Option(names = "--rt-protos-dir", paramLabel = "DIR", defaultValue = "/etc/iproute2/rt_protos.d",
      description = "Directory for weft.conf, naming protocol 87 for `ip route` (if its parent exists); 'none' skips it. Default: ${DEFAULT-VALUE}")
  String rtProtosDir;

  @Option(names = "--tunnel", paramLabel = "MODE", defaultValue = "auto",
      description = "auto: a direct route to peers on a connected network, VXLAN to the others; always: VXLAN to every peer (clouds with source/destination checks); never: direct routes only, other peers are reported unreachable (default: ${DEFAULT-VALUE}).")
  String tunnel;

  @Option(names = "--vxlan-vni", paramLabel = "VNI", defaultValue = "87", description = "VXLAN network identifier of the tunnel device weft.vxlan, 1-16777215 (default: ${DEFAULT-VALUE}).")
  String vxlanVni;

  @Option(names = "--vxlan-port", paramLabel = "PORT", defaultValue = "4789", description = "UDP port of the VXLAN tunnel; open it between nodes (default: ${DEFAULT-VALUE}).")
  String vxlanPort;

  @Option(names = "--masquerade", paramLabel = "BOOL", arity = "0..1", defaultValue = "true", fallbackValue = "true",
      description = "Traffic from this node's pods to destinations outside the cluster CIDR leaves with the node's address; pod-to-pod traffic never does (default: ${DEFAULT-VALUE}; --masquerade=false turns it off).")
  String masquerade;

  @Option(names = "--insecure", defaultValue = "false",
      description = "Run without --secret-file: an open mesh, unauthenticated (any host that reaches the mesh port can join and announce routes). Without either the agent refuses to start (default: off).")
  boolean insecure;

  @Option(names = "--no-masquerade-cidr", paramLabel = "CIDR", split = ",",
      description = "Destination that routes the pod CIDR itself (e.g. a corporate network): never masqueraded; repeat or give a comma list (default: none).")
  List<String> noMasqueradeCidrs = new ArrayList<>();

  public AgentCommand(HostFacts host, Runner runner) {
    this.host = host;
    this.runner = runner;
  }

  @Override
  public Integer call() throws Exception {
    return runner.run(toConfig());
  }

  /** Validates every value; the first bad one is a {@link ConfigException}. */
  AgentConfig toConfig() {
    String hostname = normalizeHostname(host.hostname());
    String name = nodeName == null ? hostname : nodeName.trim();
    if (!isDnsName(name)) {
      throw bad("--node-name", nodeName == null ? host.hostname() : name, nodeName == null
          ? "the hostname is not a usable node name (lowercase RFC 1123: letters, digits, '-', '.'); give --node-name"
          : "use a lowercase RFC 1123 name: letters a-z, digits, '-' and '.', each label starting and ending with a letter or digit (peers refuse anything else)");
    }
    String dns = peerDns();
    Inet4Address ip = nodeIp();
    int meshPort = port("--port", port, port, 1);
    Cidr cluster = clusterCidr();
    Optional<Cidr> subnet = podSubnet(cluster);
    if (cluster.contains(ip)) {
      throw bad("--node-ip", ip.getHostAddress(), "inside the cluster CIDR " + cluster + "; use the node's external address");
    }
    if (!IFNAME.matcher(bridge).matches()) {
      throw bad("--bridge", bridge, "not an interface name (1-15 of letters, digits, '_', '.', '-')");
    }
    Path state = path("--state-dir", stateDir);
    if (Files.exists(state) && !Files.isDirectory(state)) {
      throw bad("--state-dir", stateDir, "exists and is not a directory");
    }
    Path socket = path("--api-socket", apiSocket);
    if (Files.isDirectory(socket)) {
      throw bad("--api-socket", apiSocket, "is a directory; give the socket's file path");
    }
    Optional<Path> rtProtos = "none".equals(rtProtosDir) ? Optional.empty() : Optional.of(path("--rt-protos-dir", rtProtosDir));
    TunnelMode mode = tunnelMode();
    int vni = vni();
    int udp = port("--vxlan-port", vxlanPort, vxlanPort, 1);
    if (mode != TunnelMode.NEVER && udp == meshPort) {
      throw bad("--vxlan-port", vxlanPort, "is the mesh port too (--port); give them different ports");
    }
    return new AgentConfig(name, hostname, ip, seeds(meshPort), dns, meshPort, cluster, subnet, bridge, state, socket,
        metricsAddress(), secret(), duration("--peer-grace", peerGrace, false),
        duration("--lease-time", leaseTime, true), duration("--adopt-grace", adoptGrace, false),
        duration("--resync-interval", resyncInterval, true), rtProtos, TunnelSettings.of(mode, vni, udp),
        masquerade(), noMasqueradeCidrs(cluster));
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

  static boolean isDnsName(String name) {
    return name.length() <= DNS_NAME_MAX && DNS_NAME.matcher(name).matches();
  }

  private String peerDns() {
    if (peerDns == null || peerDns.isBlank()) {
      return null;
    }
    String dns = peerDns.trim();
    // Not resolved here: on a fresh cluster the name answers only once DNS (itself a pod) runs.
    if (!isDnsName(dns.toLowerCase(Locale.ROOT).replaceAll("\\.$", ""))) {
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
    Inet4Address ip;
    try {
      ip = IpAddresses.parseV4(nodeIp);
    } catch (IllegalArgumentException e) {
      throw bad("--node-ip", nodeIp, "not an IPv4 address");
    }
    unroutable(ip).ifPresent(why -> {
      throw bad("--node-ip", nodeIp, why);
    });
    if (!host.ipv4Addresses().contains(ip)) {
      throw bad("--node-ip", nodeIp, "not an address of this host (it has " + host.ipv4Addresses().stream()
          .map(InetAddress::getHostAddress).sorted().toList() + ")");
    }
    return ip;
  }

  /**
   * Why peers could not route pod traffic to {@code ip} (their RecordValidator refuses such a node IP), or
   * empty when it can be a node IP.
   */
  static Optional<String> unroutable(Inet4Address ip) {
    if (ip.isLoopbackAddress()) {
      return Optional.of("a loopback address: peers cannot route to it; give the node's external address");
    }
    if (ip.isLinkLocalAddress()) {
      return Optional.of("a link-local address (169.254/16): peers refuse it; give the node's external address");
    }
    if (ip.isAnyLocalAddress() || (ip.getAddress()[0] == 0)) {
      return Optional.of("in 0.0.0.0/8 (this network): not an address peers can route to");
    }
    if (ip.isMulticastAddress() || (ip.getAddress()[0] & 0xf0) == 0xf0) {
      return Optional.of("a multicast or reserved (240.0.0.0/4) address: not a node address");
    }
    return Optional.empty();
  }

  private Cidr clusterCidr() {
    Cidr cluster;
    try {
      cluster = Cidr.parse(clusterCidr);
    } catch (IllegalArgumentException e) {
      throw bad("--cluster-cidr", clusterCidr, e.getMessage());
    }
    if (!cluster.isIpv4() || cluster.prefixLength() >= AgentConfig.SUBNET_PREFIX || cluster.prefixLength() < 8) {
      throw bad("--cluster-cidr", clusterCidr, "must be an IPv4 prefix from /8 to /23 (it is split into /24 node subnets)");
    }
    return cluster;
  }

  private Optional<Cidr> podSubnet(Cidr cluster) {
    if (podSubnet == null) {
      return Optional.empty();
    }
    Cidr s;
    try {
      s = Cidr.parse(podSubnet);
    } catch (IllegalArgumentException e) {
      throw bad("--pod-subnet", podSubnet, e.getMessage());
    }
    if (s.prefixLength() != AgentConfig.SUBNET_PREFIX) {
      throw bad("--pod-subnet", podSubnet, "must be a /" + AgentConfig.SUBNET_PREFIX);
    }
    if (!cluster.contains(s)) {
      throw bad("--pod-subnet", podSubnet, "not inside --cluster-cidr " + cluster);
    }
    return Optional.of(s);
  }

  private List<InetSocketAddress> seeds(int defaultPort) {
    List<InetSocketAddress> seeds = new ArrayList<>();
    for (String raw : peers) {
      String p = raw.trim();
      if (p.isEmpty()) {
        continue;
      }
      String hostPart = p;
      int seedPort = defaultPort;
      int colon = p.lastIndexOf(':');
      if (colon >= 0 && p.indexOf(':') == colon) {
        hostPart = p.substring(0, colon);
        seedPort = port("--peer", raw, p.substring(colon + 1), 1);
      }
      if (hostPart.isEmpty()) {
        throw bad("--peer", raw, "missing host (use HOST or HOST:PORT)");
      }
      InetSocketAddress a = new InetSocketAddress(hostPart, seedPort);
      if (a.isUnresolved()) {
        throw bad("--peer", raw, "cannot resolve host '" + hostPart + "'");
      }
      seeds.add(a);
    }
    return seeds;
  }

  private InetSocketAddress metricsAddress() {
    int colon = metricsAddress.lastIndexOf(':');
    if (colon <= 0) {
      throw bad("--metrics-address", metricsAddress, "use IP:PORT, e.g. 127.0.0.1:6782");
    }
    InetAddress ip;
    try {
      ip = IpAddresses.parse(metricsAddress.substring(0, colon).replace("[", "").replace("]", ""));
    } catch (IllegalArgumentException e) {
      throw bad("--metrics-address", metricsAddress, "not an IP address before the port");
    }
    return new InetSocketAddress(ip, port("--metrics-address", metricsAddress, metricsAddress.substring(colon + 1), 0));
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

  private TunnelMode tunnelMode() {
    try {
      return TunnelMode.parse(tunnel);
    } catch (IllegalArgumentException e) {
      throw bad("--tunnel", tunnel, "use auto, always or never");
    }
  }

  private int vni() {
    return intIn("--vxlan-vni", vxlanVni, vxlanVni, 1, 0xFFFFFF, "not a VXLAN network identifier (1-16777215)");
  }

  private boolean masquerade() {
    String v = masquerade.trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw bad("--masquerade", masquerade, "use true or false");
    };
  }

  private List<Cidr> noMasqueradeCidrs(Cidr cluster) {
    List<Cidr> out = new ArrayList<>();
    for (String text : noMasqueradeCidrs) {
      if (text.isBlank()) {
        continue;
      }
      Cidr c;
      try {
        c = Cidr.parse(text.trim());
      } catch (IllegalArgumentException e) {
        throw bad("--no-masquerade-cidr", text, "not an IPv4 CIDR (e.g. 172.16.0.0/12)");
      }
      if (!c.isIpv4()) {
        throw bad("--no-masquerade-cidr", text, "not an IPv4 CIDR (e.g. 172.16.0.0/12)");
      }
      if (c.prefixLength() == 0) {
        throw bad("--no-masquerade-cidr", text, "covers every destination; use --masquerade=false instead");
      }
      out.add(c);
    }
    return out;
  }

  private int port(String flag, String value, String text, int min) {
    return intIn(flag, value, text, min, 65535, "not a port (" + min + "-65535)");
  }

  /** {@code text} as an integer in {@code [min, max]}, or a {@link ConfigException} saying {@code why}. */
  private int intIn(String flag, String value, String text, int min, int max, String why) {
    try {
      int n = Integer.parseInt(text.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw bad(flag, value, why);
  }

  private Duration duration(String flag, String text, boolean positive) {
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw bad(flag, text, e.getMessage());
    }
    if (d.isNegative() || (positive && d.isZero())) {
      throw bad(flag, text, positive ? "must be more than zero" : "must not be negative");
    }
    return d;
  }

  private Path path(String flag, String text) {
    try {
      if (text.isBlank()) {
        throw bad(flag, text, "empty path");
      }
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw bad(flag, text, "not a path: " + e.getReason());
    }
  }

  /** Names the value as the user gave it: the flag, or its environment twin when that is where it came from. */
  private ConfigException bad(String flag, String value, String why) {
    String source = flag;
    if (spec != null && !spec.commandLine().getParseResult().hasMatchedOption(flag)) {
      String env = EnvDefaults.envName(flag);
      if (spec.defaultValueProvider() instanceof EnvDefaults e && e.has(env)) {
        source = env;
      }
    }
    return new ConfigException(source + " " + value + ": " + why);
  }
}
