package io.weft.agent.converge;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerState;
import io.weft.core.model.Route.RouteKey;
import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Adoption;
import io.weft.core.plan.AdoptionRule;
import io.weft.core.plan.Reconcile;
import io.weft.core.plan.RouteConflict;
import io.weft.core.plan.RoutePlan;
import io.weft.core.plan.RoutePlanner;
import io.weft.core.plan.RouteReconcile;
import io.weft.core.plan.RouteRelevance;
import io.weft.core.plan.RouteStatus;
import io.weft.core.plan.SkippedPeer;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.LinkEvent;
import io.weft.dataplane.NeighbourEvent;
import io.weft.dataplane.NetworkEventListener;
import io.weft.dataplane.NetworkEvents;
import io.weft.dataplane.RouteEvent;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOpResult;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The convergence loop: an actor on one thread that owns the route table.
 *
 * <p>Inputs (mesh changes, kernel route and link events, the periodic resync, retries, grace deadlines)
 * only mark the loop dirty and schedule a reconcile: at once after a quiet spell, else at the end of the
 * coalesce window after the last one, so a storm of inputs is one reconcile. A reconcile reads the mesh view
 * and the kernel, plans the desired routes ({@link RoutePlanner}), asks core's {@link Reconcile} for the
 * operations (only protocol 87 is ours, a foreign route is a conflict left alone, adoption keeps what no
 * peer claims), has the dataplane carry them out in one batch and publishes a {@link ReconcileReport}.
 * Kernel route events pass only when {@link RouteRelevance} calls them news.
 *
 * <p>Failed changes are retried with exponential backoff; a new input still runs at once, so one
 * change the kernel keeps refusing never delays the repair of the others. The
 * loop never flushes routes: at start, routes of ours that no peer claims are adopted and kept until the
 * mesh view settles with every expected peer known ({@link AdoptionRule}) or the adoption grace ends, so
 * an agent restart, even of every agent at once, does not interrupt pod traffic.
 */
public final class Converger implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Converger.class);
  /** Pod veth host ends ({@code weft} + 8 hex): their churn never changes a route decision. */
  private static final Pattern POD_VETH = Pattern.compile("weft[0-9a-f]{8}");
  /** How often rules in a backend without change notices are re-read: the drift-repair bound. */
  private static final long FILTER_POLL_MILLIS = 1000;
  /** The periodic full pass's reason; it also re-reads the packet filter. */
  private static final String RESYNC = "resync";
  /** An uplink whose MTU cannot be read is assumed to have Ethernet's. */
  private static final int DEFAULT_UPLINK_MTU = 1500;

  private final MeshView mesh;
  private final Dataplane dataplane;
  private final ConvergeSettings settings;
  private final LongSupplier nowMillis;
  private final ReconcileObserver observer;
  private final SelfNodeHook selfHook;
  private final RoutePlanner planner;
  private final VxlanTunnel tunnel;
  private final EgressRules egress;
  private final Backoff backoff;
  private final ScheduledExecutorService loop;

  private volatile ReconcileReport latest = ReconcileReport.initial();
  private volatile boolean closed;

  // ---- owned by the loop thread ----
  private NetworkEvents events;
  private ScheduledFuture<?> pending;
  private long pendingAt = Long.MAX_VALUE;
  private String pendingReason = "";
  private final Set<String> triggers = new LinkedHashSet<>();
  private long inputSinceMillis = -1;
  private long lastReconcileEndMillis = Long.MIN_VALUE / 2;
  private long number;
  private long adoptionStartedAt;
  private long adoptUntil;
  private Adoption adoption = Adoption.HOLDING;
  private List<InetAddress> awaitedLogged = List.of();
  private long adoptionEndedAt;
  private String adoptionEndReason = "";
  private int failures;
  /** A packet filter backend in use sends no change notices: its rules are re-read every second. */
  private boolean pollFilter;
  /** The packet filter may have changed since the last pass read it (see {@link EgressRules}). */
  private boolean filterNews = true;
  private long retryAt;
  private Map<RouteKey, Route> desired = Map.of();
  private Set<RouteKey> installedBefore = Set.of();
  private final Map<RouteKey, Long> waitingSince = new HashMap<>();
  private Set<RouteConflict> reportedConflicts = Set.of();
  private Set<String> reportedSkips = Set.of();

  /**
   * @param mesh      the mesh view to plan from
   * @param dataplane the kernel handle; the loop thread becomes its only user
   * @param settings  graces and timings
   * @param nowMillis wall clock, epoch millis (peer grace is measured against the mesh's down-since times)
   * @param observer  told about every reconcile (metrics)
   * @param selfHook  run at each reconcile with this node's record (bridge and gateway address)
   */
  public Converger(MeshView mesh, Dataplane dataplane, ConvergeSettings settings, LongSupplier nowMillis,
      ReconcileObserver observer, SelfNodeHook selfHook) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.nowMillis = Objects.requireNonNull(nowMillis, "nowMillis");
    this.observer = Objects.requireNonNull(observer, "observer");
    this.selfHook = Objects.requireNonNull(selfHook, "selfHook");
    this.planner = new RoutePlanner(settings.clusterCidr(), settings.peerGrace(), settings.tunnel().mode(),
        settings.tunnel().device());
    this.tunnel = new VxlanTunnel(dataplane, settings.tunnel());
    this.egress = new EgressRules(dataplane.packetFilter(), settings.clusterCidr(), settings.egress());
    this.backoff = new Backoff(settings.retryMin(), settings.retryMax());
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "weft-converge");
      t.setDaemon(true);
      return t;
    });
  }

  /** Subscribes to the kernel and the mesh and runs the first reconcile. */
  public void start() {
    post(() -> {
      adoptionStartedAt = nowMillis.getAsLong();
      adoptUntil = adoptionStartedAt + settings.adoptGrace().toMillis();
      events = dataplane.events();
      events.subscribe(new KernelListener());
      mesh.subscribe(() -> post(() -> input("mesh changed")));
      input("start");
    });
  }

  /** Asks for a reconcile soon (e.g. after {@code forget}); any thread. */
  public void requestReconcile(String reason) {
    post(() -> input(reason));
  }

  /** The latest report; any thread. */
  public ReconcileReport latest() {
    return latest;
  }

  /** Stops the loop. The routes stay in the kernel (graceful restart). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    try {
      loop.submit(() -> {
        closed = true;
        if (events != null) {
          events.close();
        }
      }).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("convergence loop did not stop cleanly: {}", e.toString());
    }
    closed = true;
    loop.shutdownNow();
  }

  private void post(Runnable task) {
    if (closed) {
      return;
    }
    try {
      loop.execute(() -> {
        if (!closed) {
          task.run();
        }
      });
    } catch (RejectedExecutionException e) {
      // Closing: inputs after close are dropped on purpose.
    }
  }

  // ---- inputs (loop thread) ----

  private void input(String reason) {
    long now = nowMillis.getAsLong();
    if (triggers.size() < 8) {
      triggers.add(reason);
    }
    if (inputSinceMillis < 0) {
      inputSinceMillis = now;
    }
    // Leading edge: an input after a quiet spell runs at once (a joining peer, a deleted route); inputs
    // within the coalesce window after a reconcile wait for the window's end and become one reconcile.
    // A failing change elsewhere does not hold this input back: the backoff paces the retry timer only, so
    // a persistent refusal (a busy VXLAN port, a downed NIC) never delays the repair of healthy routes.
    long at = Math.max(now, lastReconcileEndMillis + settings.coalesce().toMillis());
    scheduleAt(at, reason);
  }

  /** Runs a reconcile at {@code atMillis} unless one is due earlier; {@code reason} names a timer's cause. */
  private void scheduleAt(long atMillis, String reason) {
    if (pending != null && pendingAt <= atMillis) {
      return;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    long delay = Math.max(0, atMillis - nowMillis.getAsLong());
    pendingAt = atMillis;
    pendingReason = reason;
    pending = loop.schedule(this::runReconcile, delay, TimeUnit.MILLISECONDS);
  }

  private void runReconcile() {
    if (closed) {
      return;
    }
    pending = null;
    pendingAt = Long.MAX_VALUE;
    if (triggers.isEmpty()) {
      triggers.add(pendingReason);
    }
    if (pendingReason.equals(RESYNC)) {
      filterNews = true;
    }
    long now = nowMillis.getAsLong();
    try {
      reconcile(now);
    } catch (RuntimeException e) {
      // The kernel could not even be read (or the plan failed): report it and retry with backoff.
      failures++;
      retryAt = now + backoff.delay(failures).toMillis();
      log.warn("reconcile failed: {}; retrying in {}", e.getMessage(), backoff.delay(failures), e);
      ReconcileReport previous = latest;
      publish(new ReconcileReport(++number, now, 0, takeTrigger(), previous.self(), previous.desired(),
          previous.skipped(), previous.routes(), previous.conflicts(), 0, 0, 0,
          List.of("reconcile failed: " + e.getMessage()), 0, List.of(), adoptionReport(List.of()), failures, retryAt,
          previous.paths(), previous.podMtu(), previous.egress()));
    }
    long end = nowMillis.getAsLong();
    if (latest.self() != null) {
      // A pass before the join wrote nothing: it opens no coalesce window, so the join's own pass runs at once.
      lastReconcileEndMillis = end;
    }
    scheduleNext(end);
  }

  private String takeTrigger() {
    String t = triggers.isEmpty() ? RESYNC : String.join(", ", triggers);
    triggers.clear();
    return t;
  }

  // ---- the reconcile ----

  private void reconcile(long now) {
    long t0 = System.nanoTime();
    String trigger = takeTrigger();
    long inputAt = inputSinceMillis < 0 ? now : inputSinceMillis;
    inputSinceMillis = -1;
    PlanningInput state = mesh.current();
    NodeRecord self = state.self();
    if (self == null) {
      publish(new ReconcileReport(++number, now, System.nanoTime() - t0, trigger, null, List.of(), List.of(),
          List.of(), List.of(), 0, 0, 0, List.of(), 0, List.of(), adoptionReport(List.of()), failures, 0, Map.of(), 0,
          ReconcileReport.Egress.NOT_YET));
      return;
    }
    List<String> errors = new ArrayList<>();
    // One read of the host's addresses serves the MTU, the connected networks and the tunnel device; of the
    // links only those holding an address are looked up (a dump of every link carries a veth per pod).
    List<InterfaceAddress> addresses = dataplane.addresses().listIpv4();
    List<Link> links = addresses.stream().map(InterfaceAddress::device).filter(Objects::nonNull).distinct()
        .flatMap(d -> dataplane.links().byName(d).stream()).toList();
    int uplinkMtu = uplinkMtu(self, addresses, links);
    int podMtu = settings.tunnel().mode().podMtu(uplinkMtu);
    updateAdoption(state, now);

    RoutePlan plan = planner.plan(self, state.peers(), connectedNetworks(addresses, links), now);
    // Routes come first: they are what pod-to-pod traffic waits for, and the bridge, the tunnel device
    // and the packet filter cost 30-80 ms each on a cold start. Only tunnel routes need something before
    // them: the device and its entries.
    VxlanTunnel.Outcome tunnelOutcome = null;
    if (plan.needsTunnel()) {
      tunnelOutcome = tunnel.reconcile(self, plan.tunnels(), uplinkMtu, addresses, adoption);
      if (!tunnelOutcome.usable()) {
        // Never route pods into a device that is not Weft's or not working: those peers get a reason instead.
        plan = plan.withoutTunnel("unreachable: the tunnel device " + settings.tunnel().device() + " is not usable ("
            + String.join("; ", tunnelOutcome.errors()) + ")");
      }
    }
    // The one read of the route table: the status below follows from the kernel's answers to the ops.
    RouteReconcile routes = Reconcile.routes(plan.routes(), dataplane.routes().list(RouteFilter.mainTable()),
        adoption);
    List<RouteOp> ops = routes.ops();
    Map<RouteKey, Route> wanted = plan.routes().stream().collect(Collectors.toMap(Route::key, r -> r));
    ops.stream().filter(op -> op.kind() != RouteOp.Kind.DELETE)
        .forEach(op -> waitingSince.putIfAbsent(op.route().key(), inputAt));
    desired = wanted;

    int added = 0;
    int replaced = 0;
    int deleted = 0;
    int repairs = 0;
    List<RouteOpResult> results = ops.isEmpty() ? List.of() : dataplane.routes().apply(ops);
    List<RouteOp> failed = new ArrayList<>();
    for (RouteOpResult result : results) {
      RouteOp op = result.op();
      if (!result.ok()) {
        errors.add(result.error().getMessage());
        failed.add(op);
        continue;
      }
      switch (op.kind()) {
        case ADD -> added++;
        case REPLACE -> replaced++;
        case DELETE -> deleted++;
      }
      if (op.kind() != RouteOp.Kind.DELETE && installedBefore.contains(op.route().key())) {
        repairs++;
      }
    }
    if (tunnelOutcome == null) {
      // Kept even while this node tunnels to nobody (a peer may tunnel to it); see VxlanTunnel.
      tunnelOutcome = tunnel.reconcile(self, plan.tunnels(), uplinkMtu, addresses, adoption);
    }
    errors.addAll(tunnelOutcome.errors());
    try {
      selfHook.selfChanged(self, podMtu);
    } catch (RuntimeException e) {
      errors.add(e.getMessage());
    }
    // The packet filter last: writing it may start an iptables process (tens of ms). A previous run's
    // rules stay meanwhile.
    EgressRules.Outcome egressOutcome = egress.reconcile(self, filterNews);
    filterNews = false;
    egressOutcome.result().errors().forEach(e -> errors.add(ReconcileReport.EGRESS_ERROR + e));
    pollFilter = egressOutcome.result().needsPolling();
    List<RouteStatus> rows = routes.statusAfter(failed);
    long done = nowMillis.getAsLong();
    List<Long> lags = new ArrayList<>();
    Set<RouteKey> installed = new HashSet<>();
    for (RouteStatus row : rows) {
      if (row.state() == RouteStatus.State.INSTALLED) {
        installed.add(row.key());
        Long since = waitingSince.remove(row.key());
        if (since != null) {
          lags.add(Math.max(0, done - since));
        }
      }
    }
    waitingSince.keySet().retainAll(wanted.keySet());
    installedBefore = installed;

    if (errors.isEmpty()) {
      failures = 0;
      retryAt = 0;
    } else {
      failures++;
      retryAt = done + backoff.delay(failures).toMillis();
    }
    ReconcileReport report = new ReconcileReport(++number, now, System.nanoTime() - t0, trigger, self,
        plan.routes(), plan.skipped(), rows, routes.conflicts(), added, replaced, deleted, errors, repairs, lags,
        adoptionReport(routes.kept()), failures, retryAt, plan.paths(), podMtu,
        new ReconcileReport.Egress(settings.egress().masquerade(), egressOutcome.inPlace(settings.egress().masquerade()),
            egressOutcome.result().backends(), egressOutcome.repairs(), egressOutcome.result().nftDrops()));
    logReport(report, ops, repairs, tunnelOutcome.changes());
    publish(report);
  }

  private void publish(ReconcileReport report) {
    latest = report;
    try {
      observer.reconciled(report);
    } catch (RuntimeException e) {
      log.warn("reconcile observer failed: {}", e.toString(), e);
    }
  }

  private void updateAdoption(PlanningInput state, long now) {
    if (adoption == Adoption.ENDED) {
      return;
    }
    List<InetAddress> known = state.peers().stream().map(p -> p.record().nodeIp()).toList();
    AdoptionRule.Decision d = AdoptionRule.decide(adoptionStartedAt, settings.adoptGrace(), now, state.settled(),
        state.expectedPeers(), known, state.self().nodeIp());
    if (!d.holding()) {
      endAdoption(now, d.reason());
    } else if (state.settled() && !d.awaited().equals(awaitedLogged)) {
      // A settled view that still lacks an expected peer: the case this wait is for (everyone restarted).
      awaitedLogged = d.awaited();
      log.info("keeping the routes found at start: {}", d.reason());
    }
  }

  private void endAdoption(long now, String reason) {
    adoption = Adoption.ENDED;
    adoptionEndedAt = now;
    adoptionEndReason = reason;
    if (!latest.adoption().kept().isEmpty()) {
      log.info("adoption of existing routes ended ({}); routes no peer claims are removed now", reason);
    }
  }

  private ReconcileReport.Adoption adoptionReport(List<Route> kept) {
    return new ReconcileReport.Adoption(adoption == Adoption.HOLDING, adoptUntil, adoptionEndedAt, adoptionEndReason,
        kept);
  }

  /**
   * IPv4 networks of this host and the device holding each; the bridge serves pods and the tunnel device
   * holds only its VTEP address, neither is ever an uplink to a peer. A device that is down or has no
   * carrier connects nothing: a peer on it is reached through the tunnel instead.
   */
  private Map<Cidr, String> connectedNetworks(List<InterfaceAddress> addresses, List<Link> links) {
    Set<String> working = new HashSet<>();
    links.stream().filter(l -> l.up() && l.lowerUp()).forEach(l -> working.add(l.name()));
    Map<Cidr, String> networks = new HashMap<>();
    for (InterfaceAddress a : addresses) {
      if (working.contains(a.device()) && !a.device().equals(settings.bridge())
          && !a.device().equals(settings.tunnel().device())) {
        networks.merge(a.network(), a.device(), (x, y) -> x.compareTo(y) <= 0 ? x : y);
      }
    }
    return networks;
  }

  private void scheduleNext(long now) {
    long next = now + settings.resyncInterval().toMillis();
    String reason = RESYNC;
    if (failures > 0 && retryAt < next) {
      next = retryAt;
      reason = "retry";
    }
    if (pollFilter && now + FILTER_POLL_MILLIS < next) {
      next = now + FILTER_POLL_MILLIS;
      reason = "packet filter poll (legacy iptables sends no change notices)";
    }
    if (adoption == Adoption.HOLDING && adoptUntil > 0 && Math.max(adoptUntil, now) < next) {
      next = Math.max(adoptUntil, now);
      reason = "adoption grace ended";
    }
    // A peer's grace runs out without any event: wake up for it.
    for (Peer p : mesh.current().peers()) {
      long end = p.downSinceMillis() + settings.peerGrace().toMillis();
      if (p.state() == PeerState.DOWN && planner.isWithinGrace(p, now) && end < next) {
        next = end;
        reason = "peer grace of " + p.name() + " ended";
      }
    }
    scheduleAt(next, reason);
  }

  /** The MTU of the device holding the node IP (the tunnel's underlay). */
  private static int uplinkMtu(NodeRecord self, List<InterfaceAddress> addresses, List<Link> links) {
    return addresses.stream()
        .filter(a -> a.address().equals(self.nodeIp()))
        .findFirst()
        .flatMap(a -> links.stream().filter(l -> l.name().equals(a.device())).findFirst())
        .map(Link::mtu)
        .filter(mtu -> mtu > TunnelMode.VXLAN_OVERHEAD)
        .orElse(DEFAULT_UPLINK_MTU);
  }

  private void logReport(ReconcileReport r, List<RouteOp> ops, int repairs, int tunnelChanges) {
    if (!ops.isEmpty() || tunnelChanges > 0) {
      log.info("reconcile #{} ({}): added {}, replaced {}, deleted {}{}{}{} in {} ms", r.number(), r.trigger(),
          r.added(), r.replaced(), r.deleted(), repairs > 0 ? ", repaired drift on " + repairs : "",
          tunnelChanges > 0 ? ", " + tunnelChanges + " tunnel change(s)" : "",
          r.errors().isEmpty() ? "" : ", " + r.errors().size() + " failed", r.durationNanos() / 1_000_000);
    }
    for (String e : r.errors()) {
      log.warn("{}; retrying in {} (attempt {})", e, Duration.ofMillis(r.nextRetryAtMillis() - r.startedAtMillis()),
          r.consecutiveFailures());
    }
    Set<RouteConflict> conflicts = Set.copyOf(r.conflicts());
    for (RouteConflict c : conflicts) {
      if (!reportedConflicts.contains(c)) {
        log.warn("route {} not installed: the foreign route {} holds that prefix; Weft leaves it alone. "
            + "Remove it (ip route del {}) or give the peer another subnet", c.desired(), c.foreign(),
            c.foreign().destination());
      }
    }
    reportedConflicts = conflicts;
    Set<String> skips = new HashSet<>();
    for (SkippedPeer s : r.skipped()) {
      String key = s.nodeName() + " " + s.reason();
      skips.add(key);
      if (!reportedSkips.contains(key)) {
        log.warn("peer {} ({} via {}) gets no route: {}", s.nodeName(), s.podSubnet(), s.nodeIp().getHostAddress(),
            s.reason());
      }
    }
    reportedSkips = skips;
  }

  /** Kernel events: hands the relevant ones to the loop; runs on the subscription's thread. */
  private final class KernelListener implements NetworkEventListener {
    @Override
    public void onRouteChanged(RouteEvent event) {
      post(() -> {
        if (RouteRelevance.isNews(event.route(), event.deleted(), desired, settings.clusterCidr())) {
          input("route " + (event.deleted() ? "deleted: " : "changed: ") + event.route());
        }
      });
    }

    @Override
    public void onLinkChanged(LinkEvent event) {
      if (!POD_VETH.matcher(event.link().name()).matches()) {
        post(() -> input("link " + event.link().name() + (event.deleted() ? " deleted" : " changed")));
      }
    }

    @Override
    public void onPacketFilterChanged() {
      post(() -> {
        filterNews = true;
        input("packet filter changed");
      });
    }

    @Override
    public void onNeighbourChanged(NeighbourEvent event) {
      if (settings.tunnel().device().equals(event.device())) {
        post(() -> input((event.fdb() ? "FDB entry " : "neighbour ") + (event.deleted() ? "deleted" : "changed")
            + " on " + event.device()));
      }
    }

    @Override
    public void onResyncNeeded(String reason) {
      post(() -> {
        filterNews = true;
        input("resync: " + reason);
      });
    }
  }
}
