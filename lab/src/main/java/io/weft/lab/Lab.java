package io.weft.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Weft cluster on one machine: a LAN (bridge in a namespace of its own), K nodes as namespaces
 * on it, a real {@code weft-agent} in each (the first starts the mesh, the others join through it as
 * a user would), pods created through the real CNI plugin. Always torn down by {@link #close}
 * (also from a shutdown hook when the JVM is interrupted); a stale lab is removed at start.
 *
 * <pre>{@code
 * try (Lab lab = Lab.start(LabConfig.defaults("demo"), progress)) {
 *   lab.pods().get(0).ping(lab.pods().get(5).ip());
 * }
 * }</pre>
 */
public final class Lab implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lab.class);
  public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration CONVERGE_TIMEOUT = Duration.ofSeconds(60);
  /** Longest a second caller waits for a teardown in progress (kills wait 10 s, LabCleaner 15 s). */
  private static final Duration TEARDOWN_TIMEOUT = Duration.ofSeconds(60);

  private final LabConfig config;
  private final WeftDist dist;
  private final ObjectMapper mapper = new ObjectMapper();
  // Read by the shutdown hook's thread while the main thread may still add nodes.
  private final List<LabNode> nodes = new CopyOnWriteArrayList<>();
  private final Path secretFile;
  private final Thread shutdownHook;
  private final Teardown teardown = new Teardown();
  // Counted down when a teardown has finished, so a second caller (the shutdown hook while close()
  // runs, or close() while the hook runs) waits for it instead of letting the JVM exit half-way.
  private final CountDownLatch tornDown = new CountDownLatch(1);
  private final ExecutorService parallel = Executors.newCachedThreadPool(daemon());
  private boolean keep;
  private OutsideHost outside;

  private Lab(LabConfig config, WeftDist dist) {
    this.config = config;
    this.dist = dist;
    this.secretFile = config.runRoot().resolve("secret");
    this.shutdownHook = new Thread(this::tearDown, "lab-teardown");
  }

  /** Builds and starts the lab of {@code config}, reporting each step to {@code progress}. */
  public static Lab start(LabConfig config, Progress progress) {
    Lab lab = create(config, progress);
    try {
      lab.startAgents(progress);
      lab.createPods(progress);
      return lab;
    } catch (RuntimeException | Error e) {
      lab.close();
      throw e;
    }
  }

  /** Starts the default-shaped lab with progress going to the log. */
  public static Lab start(LabConfig config) {
    return start(config, Progress.toLog());
  }

  /**
   * Builds the network only: removes a stale lab, creates the LAN and the node namespaces (no
   * agents yet). {@link #start} is this plus {@link #startAgents} and {@link #createPods}.
   */
  public static Lab create(LabConfig config, Progress progress) {
    WeftDist dist = WeftDist.locate();
    List<String> stale = LabCleaner.removeAll(config.topology(), config.runRoot());
    if (!stale.isEmpty()) {
      progress.step("removed a stale lab: " + String.join(" ", stale));
    }
    // Logs are per run: the previous run's of the same name go, this run's stay after teardown.
    LabCleaner.deleteTree(config.logDir());
    Lab lab = new Lab(config, dist);
    Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
    try {
      lab.buildNetwork(progress);
      return lab;
    } catch (RuntimeException | Error e) {
      lab.close();
      throw e;
    }
  }

  private void buildNetwork(Progress progress) {
    Topology topology = config.topology();
    teardown.whileUp("creating the LAN", () -> Ip.netnsAdd(topology.lanNetns()));
    for (int segment = 1; segment <= config.segments(); segment++) {
      // A plain switch per segment: no STP, no forwarding delay when a port (re)joins.
      String bridge = topology.lanBridge(segment);
      Ip.in(topology.lanNetns(), "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0");
      Ip.in(topology.lanNetns(), "addr", "add",
          topology.gateway(segment) + "/" + Topology.LAN_PREFIX_LENGTH, "dev", bridge);
      Ip.in(topology.lanNetns(), "link", "set", bridge, "up");
    }
    if (config.segments() > 1) {
      // The LAN namespace routes between its segments, and only between them: no route to any pod.
      Command.of(Ip.exec(topology.lanNetns(), List.of("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))).run().check();
    }
    outside = new OutsideHost(topology, teardown);
    outside.create();
    writeSecret();
    for (int i = 1; i <= config.nodes(); i++) {
      LabNode node = new LabNode(i, config, dist, mapper, teardown);
      node.create();
      nodes.add(node);
    }
    progress.step("LAN " + topology.lanNetns() + (config.segments() > 1
        ? " routing between " + config.segments() + " segments (192.168.1-" + config.segments() + ".0/24)" : "")
        + " with " + nodes.size() + " nodes: " + String.join(" ", nodes.stream().map(LabNode::toString).toList()));
  }

  /**
   * Starts the first node's agent as a new mesh, waits until it answers, then the others in
   * parallel with the first as seed peer, and waits until every node routes every other.
   */
  public void startAgents(Progress progress) {
    LabNode seed = nodes.get(0);
    seed.startAgent(List.of(), secretFile, List.of());
    awaitReady(seed, READY_TIMEOUT);
    // As a user would: the others join once the first node runs a mesh. Started all at once, the
    // first node's discovery finds the joiners and tries to join them (JGroups start-up race).
    awaitJoined(seed, READY_TIMEOUT);
    progress.step("weft-agent up on " + seed.name() + " (new mesh)");
    List<LabNode> joiners = nodes.subList(1, nodes.size());
    joiners.forEach(n -> n.startAgent(List.of(seed.ip()), secretFile, List.of()));
    inParallel(joiners, n -> {
      awaitReady(n, READY_TIMEOUT);
      return n;
    });
    if (!joiners.isEmpty()) {
      progress.step("weft-agent up on " + String.join(", ", joiners.stream().map(LabNode::name).toList())
          + " (joined through " + seed.ip() + ")");
    }
    Duration converged = awaitConverged(CONVERGE_TIMEOUT);
    progress.step("mesh converged: every node routes every other node's subnet ("
        + converged.toMillis() + " ms)");
  }

  /** Creates the configured pods on every node through the CNI plugin, all at once. */
  public void createPods(Progress progress) {
    List<Supplier<Pod>> podMakers = new ArrayList<>();
    for (LabNode node : nodes) {
      for (int p = 1; p <= config.podsPerNode(); p++) {
        String name = config.topology().podName(node.index(), p);
        podMakers.add(() -> node.addPod(name));
      }
    }
    List<Pod> made = inParallel(podMakers, Supplier::get);
    if (!made.isEmpty()) {
      progress.step(made.size() + " pods through the CNI plugin: "
          + String.join(" ", made.stream().map(Pod::toString).toList()));
    }
  }

  private void writeSecret() {
    writeRandomSecret(secretFile);
  }

  public LabConfig config() {
    return config;
  }

  public WeftDist dist() {
    return dist;
  }

  public Path secretFile() {
    return secretFile;
  }

  /** The server on the LAN outside the cluster (no route to the pods). */
  public OutsideHost outside() {
    return outside;
  }

  public List<LabNode> nodes() {
    return List.copyOf(nodes);
  }

  /** Node {@code index}, 1-based like its name and address. */
  public LabNode node(int index) {
    return nodes.stream().filter(n -> n.index() == index).findFirst()
        .orElseThrow(() -> new LabException("no node " + index + " in lab " + config.name()));
  }

  public List<Pod> pods() {
    return nodes.stream().flatMap(n -> n.pods().stream()).toList();
  }

  /**
   * Adds node K+1 to the LAN and starts its agent through the first node as seed; returns once
   * it answers (not yet converged: see {@link #awaitConverged}).
   */
  public LabNode addNode(List<String> extraAgentArgs) {
    return addNode(secretFile, extraAgentArgs);
  }

  /** Like {@link #addNode(List)} with another mesh secret (a node that must not get in). */
  public LabNode addNode(Path secret, List<String> extraAgentArgs) {
    LabNode node = newNode();
    node.startAgent(List.of(nodes.get(0).ip()), secret, extraAgentArgs);
    return node;
  }

  /**
   * Adds node K+1 to the LAN without starting its agent (e.g. to watch its routes from the first
   * moment, or to give it other seeds): {@link LabNode#startAgent} starts it.
   */
  public LabNode newNode() {
    int index = nodes.stream().mapToInt(LabNode::index).max().orElse(0) + 1;
    LabNode node = new LabNode(index, config, dist, mapper, teardown);
    node.create();
    nodes.add(node);
    return node;
  }

  /**
   * Takes a node out of the lab for good: kills its agent, deletes its pods' and its namespaces.
   * The mesh still remembers it until its lease ends or someone runs {@code meshctl forget}.
   */
  public void removeNode(LabNode node) {
    node.killAgent();
    // Its holder would keep the node's namespace alive after its name is gone, out of the cleaner's sight.
    node.stopPodman();
    node.forgetPods();
    for (String netns : Ip.netnsList()) {
      if (netns.startsWith(node.name() + "-")) {
        Ip.netnsDel(netns);
      }
    }
    node.unplug();
    Ip.netnsDel(node.name());
    LabCleaner.deleteTree(node.socket().getParent());
    nodes.remove(node);
  }

  /** Writes a fresh random secret to {@code file} (mode 600), e.g. a wrong one for a rogue node. */
  public static void writeRandomSecret(Path file) {
    try {
      Files.createDirectories(file.getParent());
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      Files.writeString(file, HexFormat.of().formatHex(random) + "\n", StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new LabException("could not write mesh secret " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Waits until {@code node}'s agent answers on its socket; fails at once, with the log's tail,
   * when the agent process exits instead.
   */
  public void awaitReady(LabNode node, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!node.isAgentRunning()) {
        if (teardown.begun()) {
          throw new LabException("the lab is being torn down: not waiting for " + node.name());
        }
        throw new LabException("weft-agent on " + node.name() + " exited while starting; log "
            + node.logFile() + ":\n" + tail(node.logFile(), 30));
      }
      // The socket appears when the API listens; only then pay for a meshctl JVM.
      if (Files.exists(node.socket()) && node.status().isPresent()) {
        return;
      }
      pause(Duration.ofMillis(100));
    }
    throw new LabException("weft-agent on " + node.name() + " did not answer on " + node.socket()
        + " within " + timeout.toSeconds() + "s; log " + node.logFile() + ":\n" + tail(node.logFile(), 30));
  }

  /** Waits until {@code node}'s agent reports that it is in a mesh ({@code mesh.state} "joined"). */
  public void awaitJoined(LabNode node, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!node.status().map(s -> s.path("mesh").path("state").asText()).orElse("").equals("joined")) {
      if (!node.isAgentRunning()) {
        throw new LabException("weft-agent on " + node.name() + " exited while joining; log " + node.logFile()
            + ":\n" + tail(node.logFile(), 30));
      }
      if (System.nanoTime() > deadline) {
        throw new LabException("weft-agent on " + node.name() + " did not join a mesh within "
            + timeout.toSeconds() + "s; log " + node.logFile() + ":\n" + tail(node.logFile(), 30));
      }
      pause(Duration.ofMillis(100));
    }
  }

  /**
   * True when every node with a running agent sees every other such node as up, and its kernel
   * routes every other such node's pod subnet via that node's IP with protocol weft.
   */
  public boolean converged() {
    return problems().isEmpty();
  }

  /** What keeps the mesh from being converged, one line per missing or wrong route or view. */
  public List<String> problems() {
    List<LabNode> live = nodes.stream().filter(LabNode::isAgentRunning).toList();
    List<String> problems = new ArrayList<>();
    for (LabNode observer : live) {
      Optional<JsonNode> status = observer.status();
      if (status.isEmpty()) {
        problems.add(observer.name() + ": agent does not answer on " + observer.socket());
        continue;
      }
      for (LabNode target : live) {
        if (target == observer) {
          continue;
        }
        String state = "unknown";
        for (JsonNode peer : status.get().path("peers")) {
          if (target.name().equals(peer.path("name").asText())) {
            state = peer.path("state").asText();
          }
        }
        if (!state.equalsIgnoreCase("up")) {
          problems.add(observer.name() + ": sees " + target.name() + " as " + state);
        }
      }
    }
    for (LabNode target : live) {
      Optional<String> subnet = target.subnet();
      if (subnet.isEmpty()) {
        problems.add(target.name() + ": agent does not report its subnet");
        continue;
      }
      for (LabNode observer : live) {
        if (observer == target) {
          continue;
        }
        Optional<KernelRoute> route = observer.weftRouteTo(subnet.get());
        if (route.isEmpty()) {
          problems.add(observer.name() + ": no route to " + subnet.get() + " (" + target.name() + ")");
        } else if (observer.expectsTunnelTo(target)) {
          String vtep = subnet.get().substring(0, subnet.get().indexOf('/'));
          if (!route.get().isTunnel() || !vtep.equals(route.get().gateway())) {
            problems.add(observer.name() + ": route " + route.get() + " should go via " + vtep + " dev "
                + KernelRoute.TUNNEL_DEVICE + " (" + target.name() + " is reached through the tunnel)");
          }
        } else if (!target.ip().equals(route.get().gateway())) {
          problems.add(observer.name() + ": route " + route.get() + " should go via " + target.ip());
        }
      }
    }
    return problems;
  }

  /** Waits for {@link #converged()}; returns how long it took. */
  public Duration awaitConverged(Duration timeout) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    List<String> problems = problems();
    while (!problems.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new LabException("mesh of lab " + config.name() + " did not converge within "
            + timeout.toSeconds() + "s:\n  " + String.join("\n  ", problems));
      }
      pause(Duration.ofMillis(200));
      problems = problems();
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** Runs {@code work} on each item at once (agents and CNI calls are slow JVM starts) and collects results. */
  public <T, R> List<R> inParallel(List<T> items, Function<T, R> work) {
    List<Future<R>> futures = new ArrayList<>();
    for (T item : items) {
      futures.add(parallel.submit(() -> work.apply(item)));
    }
    List<R> results = new ArrayList<>();
    for (Future<R> future : futures) {
      try {
        results.add(future.get());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException runtime) {
          throw runtime;
        }
        throw new LabException("lab step failed: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LabException("interrupted while waiting for a lab step", e);
      }
    }
    return results;
  }

  /** Leaves the lab running when closed (the demo's --keep); the shutdown hook is dropped too. */
  public void keep() {
    keep = true;
    removeHook();
  }

  @Override
  public void close() {
    if (keep) {
      return;
    }
    // The hook stays until the teardown is done: a Ctrl-C during close() must wait for it, not cut it short.
    tearDown();
    removeHook();
  }

  private void tearDown() {
    if (!teardown.begin()) {
      awaitTornDown();
      return;
    }
    try {
      removeEverything();
    } finally {
      tornDown.countDown();
    }
  }

  private void awaitTornDown() {
    try {
      if (!tornDown.await(TEARDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        log.warn("lab {}: teardown still running after {}s; the next lab start removes what is left",
            config.name(), TEARDOWN_TIMEOUT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void removeEverything() {
    nodes.forEach(LabNode::forgetPods);
    // SIGKILL: the lab is going away with its namespaces; a clean leave would only cost time.
    CompletableFuture.allOf(nodes.stream()
        .map(n -> CompletableFuture.runAsync(n::killAgent, parallel))
        .toArray(CompletableFuture[]::new)).join();
    try {
      LabCleaner.removeAll(config.topology(), config.runRoot());
    } finally {
      parallel.shutdownNow();
    }
    log.info("lab {} torn down; agent logs kept in {}", config.name(), config.logDir());
  }

  private void removeHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down and the hook is running or will run.
    }
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return runnable -> {
      Thread thread = new Thread(runnable, "lab-worker");
      thread.setDaemon(true);
      return thread;
    };
  }
}
