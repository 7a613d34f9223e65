package io.weft.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of the lab: a namespace plugged into the LAN, running a real {@code weft-agent}
 * process started through {@code ip netns exec} in a UTS namespace of its own (so it has its own
 * hostname), with its own state dir, API socket and log file. The agent sees /proc/sys read-only, as
 * in its unprivileged DaemonSet container, and ip_forward is turned on beforehand, as the DaemonSet's
 * privileged init container does: a write the container would refuse fails here too.
 */
public final class LabNode {
  private static final Logger log = LoggerFactory.getLogger(LabNode.class);

  private final int index;
  private final Topology topology;
  private final WeftDist dist;
  private final LabConfig config;
  private final Path runDir;
  private final Path logFile;
  private final ObjectMapper mapper;
  private final List<Pod> pods = new ArrayList<>();
  private Process agent;
  private Podman podman;
  private List<String> agentArgs = List.of();
  private volatile String knownSubnet;

  private final Teardown teardown;

  LabNode(int index, LabConfig config, WeftDist dist, ObjectMapper mapper, Teardown teardown) {
    this.teardown = teardown;
    this.index = index;
    this.config = config;
    this.topology = config.topology();
    this.dist = dist;
    this.mapper = mapper;
    this.runDir = config.runRoot().resolve(topology.nodeName(index));
    this.logFile = config.logDir().resolve(topology.nodeName(index) + ".log");
  }

  public int index() {
    return index;
  }

  /** Namespace name, hostname and mesh node name at once. */
  public String name() {
    return topology.nodeName(index);
  }

  public String ip() {
    return topology.nodeIp(index, segment());
  }

  /** The LAN segment this node is plugged into (1 on a flat lab). */
  public int segment() {
    return config.segmentOf(index);
  }

  public String mac() {
    return topology.nodeMac(index);
  }

  public Path socket() {
    return runDir.resolve("weft.sock");
  }

  public Path stateDir() {
    return runDir.resolve("state");
  }

  public Path logFile() {
    return logFile;
  }

  public List<Pod> pods() {
    synchronized (pods) {
      return List.copyOf(pods);
    }
  }

  /**
   * Makes podman this node's container runtime ({@link Podman}): call it before the agent starts, which
   * then runs in podman's mount namespace to see the containers' network namespaces.
   */
  public synchronized Podman startPodman() {
    if (agent != null) {
      throw new LabException("start podman on " + name() + " before its agent: the agent must see podman's mounts");
    }
    if (podman == null) {
      podman = Podman.start(this, runDir.resolve("podman"), config.runRoot().resolve("busybox-rootfs"), dist,
          topology, teardown);
    }
    return podman;
  }

  /** Ends podman's mount namespace (the lab's teardown removes the containers through their cgroups). */
  synchronized void stopPodman() {
    if (podman != null) {
      podman.stop();
      podman = null;
    }
  }

  /** The node's podman; {@link #startPodman} first. */
  public synchronized Podman podman() {
    if (podman == null) {
      throw new LabException("node " + name() + " does not run podman: startPodman() first");
    }
    return podman;
  }

  /**
   * Deletes its port on the LAN bridge now. Deleting the node's namespace removes the veth pair too,
   * but the kernel does that later, in the background: a next node with this index would find the
   * port's name still taken.
   */
  void unplug() {
    Ip.in(topology.lanNetns(), "link", "del", topology.lanPort(index));
  }

  /** Creates the namespace and plugs it into the LAN bridge with its address, MAC and default route. */
  void create() {
    String lan = topology.lanNetns();
    String port = topology.lanPort(index);
    teardown.whileUp("creating node " + name(), () -> Ip.netnsAdd(name()));
    // Both veth ends are born inside lab namespaces: nothing ever appears on the host.
    Ip.in(lan, "link", "add", port, "type", "veth", "peer", "name", Topology.NODE_UPLINK, "netns", name());
    Ip.in(lan, "link", "set", port, "master", topology.lanBridge(segment()), "up");
    Ip.in(name(), "link", "set", Topology.NODE_UPLINK, "address", mac());
    Ip.in(name(), "addr", "add", ip() + "/" + Topology.LAN_PREFIX_LENGTH, "dev", Topology.NODE_UPLINK);
    Ip.in(name(), "link", "set", Topology.NODE_UPLINK, "up");
    Ip.in(name(), "route", "add", "default", "via", topology.gateway(segment()));
    Command.of(Ip.exec(name(), List.of("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))).run().check();
    String dropBackend = config.forwardDrop().get(index);
    if (dropBackend != null) {
      // What Docker leaves on a host: FORWARD policy DROP, and its DOCKER-USER chain entered first.
      String iptables = "iptables-" + dropBackend;
      Command.of(Ip.exec(name(), List.of(iptables, "-P", "FORWARD", "DROP"))).run().check();
      Command.of(Ip.exec(name(), List.of(iptables, "-N", "DOCKER-USER"))).run().check();
      Command.of(Ip.exec(name(), List.of(iptables, "-A", "DOCKER-USER", "-j", "RETURN"))).run().check();
      Command.of(Ip.exec(name(), List.of(iptables, "-A", "FORWARD", "-j", "DOCKER-USER"))).run().check();
    }
    try {
      Files.createDirectories(stateDir());
      Files.createDirectories(logFile.getParent());
    } catch (IOException e) {
      throw new LabException("could not create run files of node " + name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Starts {@code weft-agent} on this node; {@code seeds} are the peers it joins through (empty for
   * the first node). Further flags (e.g. a different secret) may follow; the same flags are used
   * again by {@link #restartAgent}.
   */
  public synchronized void startAgent(List<String> seeds, Path secretFile, List<String> extraArgs) {
    List<String> args = new ArrayList<>();
    List<String> overrides = new ArrayList<>(config.extraAgentArgs());
    overrides.addAll(extraArgs);
    // A flag given by the caller replaces the lab's default for it (picocli refuses a flag twice).
    addUnlessOverridden(args, overrides, "--node-name", name());
    addUnlessOverridden(args, overrides, "--node-ip", ip());
    addUnlessOverridden(args, overrides, "--state-dir", stateDir().toString());
    addUnlessOverridden(args, overrides, "--api-socket", socket().toString());
    addUnlessOverridden(args, overrides, "--secret-file", secretFile.toString());
    addUnlessOverridden(args, overrides, "--peer-grace", seconds(config.peerGrace()));
    addUnlessOverridden(args, overrides, "--lease-time", seconds(config.leaseTime()));
    // The host's /etc is shared by every namespace: the lab leaves it alone (routes show "proto 87").
    addUnlessOverridden(args, overrides, "--rt-protos-dir", "none");
    for (String seed : seeds) {
      args.add("--peer");
      args.add(seed);
    }
    args.addAll(overrides);
    agentArgs = List.copyOf(args);
    launch();
  }

  private static void addUnlessOverridden(List<String> args, List<String> overrides, String flag, String value) {
    if (!overrides.contains(flag)) {
      args.add(flag);
      args.add(value);
    }
  }

  /**
   * Whether this node's agent reaches {@code peer} through the VXLAN tunnel, from its {@code --tunnel}
   * flag (default auto) and the lab's segments: auto tunnels exactly the peers on another segment.
   */
  public boolean expectsTunnelTo(LabNode peer) {
    List<String> args = agentArgs();
    int at = args.lastIndexOf("--tunnel");
    String mode = at >= 0 && at + 1 < args.size() ? args.get(at + 1) : "auto";
    return switch (mode) {
      case "always" -> true;
      case "never" -> false;
      default -> peer.segment() != segment();
    };
  }

  /** The flags the agent was last started with. */
  public synchronized List<String> agentArgs() {
    return agentArgs;
  }

  /** Starts the agent again with the flags of the last {@link #startAgent}. */
  public synchronized void restartAgent() {
    if (isAgentRunning()) {
      throw new LabException("agent on " + name() + " is still running; stop or kill it first");
    }
    launch();
  }

  private void launch() {
    // A new agent process reports its subnet anew (a restarted one only once it has it again): forget the
    // old answer, or convergence checks would take the last process's word for this one.
    knownSubnet = null;
    teardown.whileUp("starting weft-agent on " + name(), this::spawn);
  }

  private void spawn() {
    // A mount namespace of its own for the read-only /proc/sys; "slave" so that pod namespaces mounted
    // under /run/netns later still show up in it (the DaemonSet mounts /run/netns HostToContainer).
    List<String> command = new ArrayList<>(List.of(
        "unshare", "--uts", "--mount", "--propagation", "slave", "--", "sh", "-c",
        "hostname \"$0\" && mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec \"$@\"",
        name(),
        dist.agent().toString()));
    command.addAll(agentArgs);
    // On a podman node the agent starts in podman's mount namespace, so that its own sees podman's netns mounts.
    List<String> argv = podman != null ? podman.exec(command) : Ip.exec(name(), command);
    try {
      Files.writeString(
          logFile,
          "==== " + Instant.now() + " lab: starting " + String.join(" ", argv) + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      agent = new ProcessBuilder(argv)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
    } catch (IOException e) {
      throw new LabException("could not start weft-agent on " + name() + ": " + e.getMessage(), e);
    }
    log.info("{}: weft-agent started (pid {}), log {}", name(), agent.pid(), logFile);
  }

  public synchronized boolean isAgentRunning() {
    return agent != null && agent.isAlive();
  }

  /** Resident memory of the agent process in KiB (VmRSS from /proc), if it runs. */
  public synchronized OptionalLong agentRssKib() {
    if (!isAgentRunning()) {
      return OptionalLong.empty();
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(agent.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
        }
      }
      return OptionalLong.empty();
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * CPU time the agent process has used so far (user + system, from /proc/PID/stat), in milliseconds,
   * if it runs.
   */
  public synchronized OptionalLong agentCpuMillis() {
    if (!isAgentRunning()) {
      return OptionalLong.empty();
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(agent.pid()), "stat"));
      // Fields after the command name: state is field 3, utime 14, stime 15 (clock ticks, USER_HZ 100).
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return OptionalLong.of((Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3])) * 10);
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to the agent process: a SIGSTOPped agent is a
   * node that went silent without closing anything.
   */
  public synchronized void signalAgent(String signal) {
    if (!isAgentRunning()) {
      throw new LabException("agent on " + name() + " is not running: cannot send SIG" + signal);
    }
    Command.of("kill", "-" + signal, Long.toString(agent.pid())).run().check();
  }

  /** SIGTERM (the agent leaves the mesh and keeps its routes) and waits for the exit; returns the exit code. */
  public synchronized int stopAgent(Duration timeout) {
    if (!isAgentRunning()) {
      return agent == null ? 0 : agent.exitValue();
    }
    agent.destroy();
    return awaitExit(timeout, "stop");
  }

  /** SIGKILL, as a crash would. */
  public synchronized void killAgent() {
    if (isAgentRunning()) {
      agent.destroyForcibly();
      awaitExit(Duration.ofSeconds(10), "kill");
    }
  }

  private int awaitExit(Duration timeout, String step) {
    try {
      if (!agent.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new LabException("could not " + step + " weft-agent on " + name() + ": still running after "
            + timeout.toSeconds() + "s, killed");
      }
      return agent.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted while waiting for weft-agent on " + name() + " to exit", e);
    }
  }

  /**
   * Runs {@code weft-agent cleanup} inside this node (its agent stopped first). The CNI files it names are
   * the lab's own, under the node's state dir: the host's /etc/cni and /opt/cni are never touched.
   */
  public Command.Result cleanup() {
    return Command.of(exec(List.of(dist.agent().toString(), "cleanup", "--api-socket", socket().toString(),
        "--rt-protos-dir", "none", "--cni-conf-file", stateDir().resolve("10-weft.conflist").toString(),
        "--cni-bin-file", stateDir().resolve("weft").toString()))).run();
  }

  /** Runs {@code meshctl --socket <this node's socket> ARGS} inside this node. */
  public Command.Result meshctl(String... args) {
    List<String> command = new ArrayList<>(List.of(dist.meshctl().toString()));
    command.addAll(List.of(args));
    command.add("--socket");
    command.add(socket().toString());
    return Command.of(exec(command)).run();
  }

  /**
   * The agent's {@code GET /v1/status} document (the shape of {@code meshctl status -o json}); empty
   * when the agent is not running or does not answer.
   */
  public Optional<JsonNode> status() {
    if (!isAgentRunning()) {
      return Optional.empty();
    }
    return AgentApi.get(socket(), "/v1/status").map(body -> {
      try {
        return mapper.readTree(body);
      } catch (IOException e) {
        throw new LabException("could not parse /v1/status of " + name() + ": " + e.getMessage() + "\n" + body, e);
      }
    });
  }

  /** State of peer {@code peerName} ("up", "down") as this node's agent sees it, if it knows the peer. */
  public Optional<String> peerState(String peerName) {
    return status().flatMap(s -> {
      for (JsonNode peer : s.path("peers")) {
        if (peerName.equals(peer.path("name").asText())) {
          return Optional.of(peer.path("state").asText());
        }
      }
      return Optional.empty();
    });
  }

  /** This node's pod subnet as its agent reports it now, if the agent answers. */
  public Optional<String> podSubnet() {
    Optional<String> subnet = status().map(s -> s.path("node").path("podSubnet").asText(null));
    subnet.ifPresent(s -> knownSubnet = s);
    return subnet;
  }

  /**
   * The subnet last reported by the agent (asked once, then remembered: polling loops must not
   * start a meshctl JVM per round). Empty while the agent has not answered yet.
   */
  public Optional<String> subnet() {
    String known = knownSubnet;
    return known != null ? Optional.of(known) : podSubnet();
  }

  /** The kernel's IPv4 main table in this node ({@code ip -j route show}). */
  public List<KernelRoute> routes() {
    return KernelRoute.parse(Ip.in(name(), "-j", "route", "show").stdout(), mapper);
  }

  /** Routes carrying Weft's protocol 87. */
  public List<KernelRoute> weftRoutes() {
    return routes().stream().filter(KernelRoute::isWeft).toList();
  }

  /** The weft route to {@code subnet}, if the kernel has one. */
  public Optional<KernelRoute> weftRouteTo(String subnet) {
    return weftRoutes().stream().filter(r -> r.destination().equals(subnet)).findFirst();
  }

  /** The argv that runs {@code command} inside this node. */
  public List<String> exec(List<String> command) {
    return Ip.exec(name(), command);
  }

  /** Cuts this node off the LAN (its port leaves the LAN bridge; its own link stays up, like a switch fault). */
  public void disconnect() {
    Ip.in(topology.lanNetns(), "link", "set", topology.lanPort(index), "nomaster");
  }

  /**
   * Sets this node's port on the LAN bridge down or up: a cable pulled at the switch (the node's own link
   * loses carrier and every packet to or from the node is lost).
   */
  public void setLanPort(boolean up) {
    Ip.in(topology.lanNetns(), "link", "set", topology.lanPort(index), up ? "up" : "down");
  }

  public void reconnect() {
    Ip.in(topology.lanNetns(), "link", "set", topology.lanPort(index), "master", topology.lanBridge(segment()));
  }

  /**
   * Creates a pod the way a container runtime does: a fresh namespace, then the node's CNI plugin
   * ({@code bin/weft}, run inside the node) with CNI_* environment and the network config on stdin.
   */
  public Pod addPod(String podName) {
    if (podman != null) {
      throw new LabException("node " + name() + " runs podman: its agent does not see the host's namespaces, "
          + "so it has containers, not lab pods");
    }
    String containerId = podName;
    Command.Result result = teardown.whileUp("adding pod " + podName, () -> {
      Ip.netnsAdd(podName);
      return cni("ADD", podName, containerId);
    });
    if (!result.ok()) {
      Ip.netnsDel(podName);
      throw new LabException("could not add pod " + podName + " on " + name() + ": CNI ADD exit "
          + result.exit() + ": " + result.stdout().strip() + " " + result.stderr().strip());
    }
    String ip;
    try {
      JsonNode answer = mapper.readTree(result.stdout());
      String cidr = answer.path("ips").path(0).path("address").asText("");
      if (cidr.isEmpty()) {
        throw new LabException("CNI ADD for pod " + podName + " on " + name() + " returned no IP: " + result.stdout());
      }
      ip = cidr.substring(0, cidr.indexOf('/'));
    } catch (IOException e) {
      throw new LabException("could not parse CNI ADD result for pod " + podName + ": " + result.stdout(), e);
    }
    Pod pod = new Pod(podName, this, containerId, ip, teardown);
    synchronized (pods) {
      pods.add(pod);
    }
    log.info("{}: pod {} has {}", name(), podName, ip);
    return pod;
  }

  /** Removes a pod as a runtime does: CNI DEL, then the namespace. */
  public void removePod(Pod pod) {
    pod.stopEcho();
    cni("DEL", pod.name(), pod.containerId()).check();
    Ip.netnsDel(pod.name());
    synchronized (pods) {
      pods.remove(pod);
    }
  }

  /** Runs the CNI plugin for {@code verb} on a pod of this node. */
  public Command.Result cni(String verb, String podNetns, String containerId) {
    String config = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\""
        + socket() + "\"}";
    Map<String, String> env = Map.of(
        "CNI_COMMAND", verb,
        "CNI_CONTAINERID", containerId,
        "CNI_NETNS", "/var/run/netns/" + podNetns,
        "CNI_IFNAME", Topology.POD_IFNAME,
        "CNI_PATH", dist.bin().toString());
    return Command.of(exec(List.of(dist.cniPlugin().toString()))).withEnv(env).withStdin(config).run();
  }

  void forgetPods() {
    synchronized (pods) {
      pods.forEach(Pod::stopEcho);
      pods.clear();
    }
  }

  private static String seconds(Duration duration) {
    return duration.toSeconds() + "s";
  }

  @Override
  public String toString() {
    return name() + "(" + ip() + ")";
  }
}
