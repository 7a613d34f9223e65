package io.weft.agent;

import io.weft.agent.api.ApiHandler;
import io.weft.agent.api.ApiServer;
import io.weft.agent.cni.CniApi;
import io.weft.agent.cni.CniEndpoint;
import io.weft.agent.cni.PodNamespace;
import io.weft.agent.cni.protocol.CniPlugin;
import io.weft.agent.converge.ConvergeSettings;
import io.weft.agent.converge.Converger;
import io.weft.agent.converge.EgressSettings;
import io.weft.agent.converge.ReconcileObserver;
import io.weft.agent.converge.ReconcileReport;
import io.weft.agent.metrics.AgentMetrics;
import io.weft.agent.metrics.MetricsServer;
import io.weft.agent.status.StatusApi;
import io.weft.agent.status.StatusService;
import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.gossip.JGroupsMesh;
import io.weft.gossip.LocalNode;
import io.weft.gossip.Mesh;
import io.weft.gossip.MeshConfig;
import io.weft.gossip.trust.MeshTrust;
import io.weft.gossip.trust.NodeKeyFile;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds the parts from the configuration, starts them in order (preflight, mesh,
 * loop, join, API, metrics) and stops them in reverse. Holds no logic of its own.
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  /** A key conflict not seen again for this long is no longer reported (the node stopped trying). */
  private static final Duration KEY_CONFLICT_RECENT = Duration.ofMinutes(5);
  private static final String INSECURE_WARNING = "--insecure: the mesh is unauthenticated and open; any host that"
      + " reaches port {} can join it and announce routes (give every agent the same --secret-file)";

  private final List<AutoCloseable> parts = new ArrayList<>();
  private final Consumer<Throwable> onFatal;
  private Mesh mesh;
  private Converger converger;
  /** Set once the CNI endpoint exists (after the join is sent); read by the join's callback. */
  private volatile CniEndpoint cni;

  private Agent(Consumer<Throwable> onFatal) {
    this.onFatal = onFatal;
  }

  /**
   * Starts the agent. Start-up failures close what was started and propagate.
   *
   * @param timeline start-up steps are marked on it; logged once the first routes are in
   * @param onFatal told (once, on some agent thread) when the agent cannot go on, e.g. the mesh
   *                refused to join (busy port); the caller stops the process with exit code 1
   * @throws Preflight.PreflightException when the node cannot run Weft
   * @throws ConfigException when the state directory, the API socket or the metrics address cannot be used
   * @throws IOException when something else cannot be set up
   */
  public static Agent start(AgentConfig config, StartupTimeline timeline, Consumer<Throwable> onFatal)
      throws IOException {
    Agent agent = new Agent(onFatal);
    try {
      agent.startParts(config, timeline);
      return agent;
    } catch (IOException | RuntimeException e) {
      agent.close();
      throw e;
    }
  }

  /**
   * The mesh join is the long step (JGroups connects and the mesh agrees a subnet), so it is sent as
   * soon as what it needs is known (MAC, remembered subnet) and every configured value is checked; the
   * API and metrics servers (Netty and the JDK HTTP server to load) start while it runs. The times of
   * each step are logged once, in one line, when the first routes are in.
   */
  private void startParts(AgentConfig config, StartupTimeline timeline) throws IOException {
    log.info("starting weft-agent {}: {}", WeftVersion.current(), config);
    Dataplane loopHandle = own(NetlinkDataplane.current());
    timeline.mark("netlink");
    Preflight.Result host = Preflight.run(loopHandle, config.nodeIp());
    Preflight.warnIfHostnameUnresolvedLocally(config.hostname());
    RtProtos.install(config.rtProtosDir());
    try {
      Files.createDirectories(config.stateDir());
    } catch (IOException e) {
      throw unusable("--state-dir", config.stateDir(), "cannot create it", e);
    }
    if (config.secret().isEmpty()) {
      log.warn(INSECURE_WARNING.replace("{}", Integer.toString(config.port())));
    }
    MeshTrust trust;
    try {
      trust = MeshTrust.open(config.stateDir());
    } catch (IOException e) {
      throw new ConfigException("--state-dir " + config.stateDir() + ": " + e.getMessage());
    }
    log.info("node identity key {} ({}/{})", trust.identity().publicKey().fingerprint(), config.stateDir(),
        NodeKeyFile.FILE);
    // The loop owns the bridge; a CNI ADD that comes before its first ensure asks it for one.
    NodeBridge bridge = new NodeBridge(config.bridge(), config.clusterCidr(),
        () -> converger.requestReconcile("CNI ADD waits for the bridge"));
    Optional<Cidr> remembered = bridge.rememberedSubnet(loopHandle);
    boolean inUse = remembered.isPresent() && bridge.hasPods(loopHandle);
    timeline.mark("preflight");

    MeshConfig meshConfig = MeshConfig.of(config.nodeIp(), config.port(), config.seeds(), config.stateDir())
        .withClusterCidr(config.clusterCidr(), AgentConfig.SUBNET_PREFIX)
        .withLeaseTime(config.leaseTime())
        .withDnsQuery(config.peerDns())
        .withSecret(config.secret().orElse(null));
    mesh = new JGroupsMesh(meshConfig, trust);
    parts.add(() -> {
      mesh.leave();
      mesh.close();
    });
    Mesh m = mesh;

    EgressSettings egress = new EgressSettings(config.masquerade(), config.noMasqueradeCidrs());
    ConvergeSettings settings = ConvergeSettings.of(config.clusterCidr(), config.bridge(), config.peerGrace(),
        config.adoptGrace(), config.resyncInterval(), config.tunnel(), egress);
    AgentMetrics metrics = new AgentMetrics(m::snapshot, this::latest);
    ReconcileObserver observer = report -> {
      metrics.reconciled(report);
      if (report.self() != null && report.errors().isEmpty()) {
        timeline.finish("routes").ifPresent(steps -> log.info(
            "started: first routes in the kernel; ms since the process started at the end of each step: {}", steps));
      }
    };
    converger = own(new Converger(new GossipMeshView(m), loopHandle, settings, System::currentTimeMillis, observer,
        (self, podMtu) -> bridge.ensure(loopHandle, self.podSubnet(), podMtu)));
    m.subscribe(metrics::meshChanged);

    // Every configured value is checked before the join: a bad one must not cost the mesh a subnet.
    Duration stale = config.resyncInterval().multipliedBy(3).plusSeconds(10);
    MetricsServer metricsServer;
    try {
      metricsServer = own(new MetricsServer(config.metricsAddress(), metrics, () -> health(stale), this::notReady));
    } catch (IOException e) {
      throw unusable("--metrics-address", config.metricsAddress().getHostString() + ":" + config.metricsAddress().getPort(),
          "cannot listen", e);
    }
    try {
      ApiServer.prepare(config.apiSocket());
    } catch (IOException e) {
      throw unusable("--api-socket", config.apiSocket(), "cannot listen", e);
    }
    timeline.mark("checked");

    converger.start();
    LocalNode local = new LocalNode(config.nodeName(), config.hostname(), config.nodeIp(), host.mac(),
        config.podSubnet(), remembered, inUse, WeftVersion.current());
    String through = config.seeds().isEmpty() && config.peerDns() == null ? "as its first node"
        : "through " + config.seeds() + (config.peerDns() == null ? "" : " and DNS name " + config.peerDns());
    log.info("joining the mesh {} (node {}, uplink {}, {})", through, config.nodeName(), host.uplink(),
        remembered.map(s -> "had subnet " + s + (inUse ? " with pods" : "")).orElse("no previous subnet"));
    timeline.mark("join sent");
    m.join(local).whenComplete((self, error) -> {
      if (error != null) {
        log.error("could not join the mesh on {}:{}: {}; stopping (the routes stay in the kernel)",
            config.nodeIp().getHostAddress(), config.port(), error.getMessage());
        onFatal.accept(error);
      } else {
        timeline.mark("joined");
        log.info("joined the mesh as {} with pod subnet {} ({})", self.name(), self.podSubnet(),
            self.subnetSource().name().toLowerCase(java.util.Locale.ROOT));
        converger.requestReconcile("joined");
        // The subnet is known now: check the IPAM against the kernel at once (lost DELs, half-done ADDs)
        // rather than at the first periodic pass. A join faster than the endpoint's creation is left to that pass.
        CniEndpoint endpoint = cni;
        if (endpoint != null) {
          endpoint.reconcileIpam();
        }
      }
    });

    CniEndpoint endpoint = new CniEndpoint(NetlinkDataplane::current, NetlinkDataplane::in, PodNamespace.ofThisProcess(), bridge,
        () -> Optional.ofNullable(m.snapshot().self()).map(NodeRecord::podSubnet), () -> podMtu(config),
        config.stateDir(), Clock.systemUTC());
    cni = endpoint;
    parts.add(endpoint::close);
    metrics.watchIpam(endpoint.ipamHealth());
    // Only a timer: the reconcile itself is queued on the IPAM's one thread.
    ScheduledExecutorService ipamTimer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "weft-ipam-timer");
      t.setDaemon(true);
      return t;
    });
    parts.add(ipamTimer::shutdownNow);
    long every = config.resyncInterval().toMillis();
    ipamTimer.scheduleWithFixedDelay(endpoint::reconcileIpam, every, every, TimeUnit.MILLISECONDS);
    StatusService status = new StatusService(m::snapshot, this::latest,
        () -> nodeProblems(host, endpoint, trust), warnings(config), config.clusterCidr(),
        config.peerGrace(), config.tunnel(), egress, System::currentTimeMillis);
    StatusApi statusApi = new StatusApi(status, this::forget, config.nodeName());
    ApiServer.Builder api = ApiServer.on(config.apiSocket())
        .route("POST", "/v1/cni", new CniApi(new CniPlugin(endpoint)))
        .route("GET", "/v1/ipam", endpoint.ipamHandler());
    for (Map.Entry<String, ApiHandler> e : statusApi.handlers().entrySet()) {
      String[] methodPath = e.getKey().split(" ", 2);
      api.route(methodPath[0], methodPath[1], e.getValue());
    }
    try {
      parts.add(api.start());
    } catch (IOException e) {
      throw unusable("--api-socket", config.apiSocket(), "cannot listen", e);
    }
    timeline.mark("api");
    metricsServer.start();
    timeline.mark("metrics");
  }

  /**
   * A start-up step that cannot use a configured value (a state dir on a read-only file system, a busy
   * metrics port): refused like a bad flag, exit 2 with one line naming it.
   */
  static ConfigException unusable(String flag, Object value, String step, IOException e) {
    return new ConfigException(flag + " " + value + ": " + step + ": " + reason(e));
  }

  /** The JDK names the file but not the reason for some of these; say both. */
  static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory: " + e.getMessage();
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + e.getMessage();
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason() + (f.getFile() == null ? "" : ": " + f.getFile());
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Host problems found now (rp_filter, ...) and the IPAM's (state dir, reconcile, unknown owners). */
  private static List<String> nodeProblems(Preflight.Result host, CniEndpoint endpoint, MeshTrust trust) {
    List<String> out = new ArrayList<>(Preflight.problemsNow(host, Path.of("/proc/sys")));
    out.addAll(endpoint.ipamHealth().problems());
    // A conflict stays a problem while the refused node keeps trying (it retries at least every 30 s).
    long recent = System.currentTimeMillis() - KEY_CONFLICT_RECENT.toMillis();
    trust.bindings().conflicts().stream().filter(c -> c.atMillis() >= recent).forEach(c -> out.add(c.describe()));
    return out;
  }

  /** What {@code meshctl status} always says about this configuration (it does not make the node degraded). */
  private static List<String> warnings(AgentConfig config) {
    return config.secret().isEmpty() ? List.of(INSECURE_WARNING.replace("{}", Integer.toString(config.port())))
        : List.of();
  }

  /** The loop's latest reading of the pod MTU, or Ethernet's less the tunnel before the first one. */
  private int podMtu(AgentConfig config) {
    int mtu = latest().podMtu();
    return mtu > 0 ? mtu : config.tunnel().mode().podMtu(1500);
  }

  private ReconcileReport latest() {
    return converger == null ? ReconcileReport.initial() : converger.latest();
  }

  private boolean forget(String node) {
    if (!mesh.snapshot().peers().containsKey(node)) {
      return false;
    }
    log.info("forgetting node {} mesh-wide (meshctl forget): its routes and lease go", node);
    mesh.forget(node);
    converger.requestReconcile("forget " + node);
    return true;
  }

  private Optional<String> health(Duration stale) {
    ReconcileReport r = latest();
    if (r.number() > 0 && System.currentTimeMillis() - r.startedAtMillis() > stale.toMillis()) {
      return Optional.of("convergence loop stalled: last reconcile " + (System.currentTimeMillis() - r.startedAtMillis()) / 1000 + "s ago");
    }
    return Optional.empty();
  }

  private Optional<String> notReady() {
    Optional<String> ipam = cni == null ? Optional.empty() : cni.ipamHealth().notReady();
    if (ipam.isPresent()) {
      return ipam;
    }
    if (mesh.snapshot().self() == null) {
      return Optional.of("not joined: " + mesh.snapshot().seeds().message());
    }
    ReconcileReport r = latest();
    if (r.self() == null) {
      return Optional.of("joined; first reconcile pending");
    }
    return Optional.empty();
  }

  private <T extends AutoCloseable> T own(T part) {
    parts.add(part);
    return part;
  }

  /**
   * Stops in reverse order of start: metrics, API, CNI, loop, then leaves the mesh. Routes stay in the
   * kernel so pods keep talking while the agent restarts.
   */
  @Override
  public void close() {
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).close();
      } catch (Exception e) {
        log.warn("stopping {} failed: {}", parts.get(i).getClass().getSimpleName(), e.toString());
      }
    }
    parts.clear();
  }
}
