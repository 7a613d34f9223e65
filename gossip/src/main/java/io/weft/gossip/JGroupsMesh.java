package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.plan.SubnetExhaustedException;
import io.weft.gossip.MeshSnapshot.Counters;
import io.weft.gossip.MeshSnapshot.SeedStatus;
import io.weft.gossip.MeshSnapshot.SubnetConflict;
import io.weft.gossip.Wire.AllocGrant;
import io.weft.gossip.Wire.AllocRequest;
import io.weft.gossip.Wire.Announce;
import io.weft.gossip.Wire.Forget;
import io.weft.gossip.Wire.Msg;
import io.weft.gossip.Wire.Reservation;
import io.weft.gossip.Wire.Sync;
import io.weft.gossip.Wire.SyncEntry;
import io.weft.gossip.Wire.SyncRequest;
import io.weft.gossip.Wire.Tombstone;
import io.weft.gossip.trust.Handshake.Credentials;
import io.weft.gossip.trust.MeshTrust;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.TP;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.NameCache;
import org.jgroups.util.Util;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh over JGroups. One instance per member; many may live in one JVM (tests, simulation).
 *
 * <p>Threads: JGroups' threads only enqueue events; one mesh event thread owns every piece of mesh
 * state, sends, and calls listeners; one connector thread does the blocking work of joining (probing
 * seeds, {@code JChannel.connect}).
 *
 * <p>Records: each member multicasts its own record (ANNOUNCE); a joiner asks the coordinator for
 * everything (SYNC, asked twice to close the race with messages sent during the view change); after a
 * merge every member re-announces itself and each old subgroup coordinator multicasts everything it
 * knows. Receivers keep the highest (incarnation, version), so all members converge on the same map.
 *
 * <p>Subnets: configured ones are used as they are; otherwise the coordinator grants one (the
 * remembered one when it is still free or pinned) and multicasts the grant, so concurrent joiners are
 * served one at a time from the same knowledge and any next coordinator knows the grant. Once a node
 * has published a subnet it never moves on its own: a collision found later (after a partition heals)
 * is resolved by core's deterministic rule everywhere and reported by both sides.
 */
public final class JGroupsMesh implements Mesh {
  private static final Logger log = LoggerFactory.getLogger(JGroupsMesh.class);
  private static final Duration RESERVATION_TIME = Duration.ofSeconds(60);
  private static final Duration ALLOC_RETRY = Duration.ofSeconds(3);
  private static final Duration RESYNC_AFTER = Duration.ofSeconds(2);
  private static final Duration MERGE_SECOND_ROUND = Duration.ofMillis(1500);
  private static final Duration SNAPSHOT_DEBOUNCE = Duration.ofMillis(50);
  private static final int PROBE_TIMEOUT_MS = 700;
  /** After the first candidate answers, how long the others get to answer too. */
  private static final int PROBE_GRACE_MS = 20;
  /**
   * JGroups learns a member's physical address a moment after the view that brings it (the
   * coordinator disseminates its address cache asynchronously), so a member missing from the first
   * look is looked up again at this pace, a bounded number of times; housekeeping keeps trying after.
   */
  private static final Duration PEER_ADDRESS_RECHECK = Duration.ofMillis(500);
  private static final int PEER_ADDRESS_RECHECKS = 20;

  /** Told on the event thread when a peer's record is stored or its state changes (benchmark, tests). */
  interface PeerObserver {
    void onPeer(String name, PeerState state);
  }

  private final MeshConfig config;
  private final ScheduledExecutorService events;
  private final ExecutorService connector;
  private final Wire wire = new Wire();
  private final StateStore store;
  /** This node's identity and the name → key bindings its handshakes check. */
  private final MeshTrust trust;
  /** Counters of the mesh's TCP connections; null when simulated. */
  private final ConnectionStats connections;
  private final FaultSwitch faults;
  private final List<MeshListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong messagesIn = new AtomicLong();
  private final AtomicLong messagesOut = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private volatile MeshSnapshot snapshot;
  private volatile boolean dirty;
  private volatile boolean closed;
  private volatile PeerObserver observer;
  private volatile Thread eventThread;

  // Owned by the event thread.
  private MeshState state;
  private LocalNode local;
  private JChannel channel;
  private SeedDiscovery discovery;
  /** Whether the last attempt's TCP probe reached a seed (set by the connector before it connects). */
  private volatile boolean probeReachedSeed;
  private volatile TrafficMeter meter;
  private CompletableFuture<NodeRecord> joined;
  private SeedStatus seeds = SeedStatus.notStarted();
  private Optional<StateStore.Lease> lease = Optional.empty();
  private long incarnation;
  private View view;
  private final Map<Address, String> names = new HashMap<>();
  /** Names bound by a member's own Announce that arrived before a view holding that member. */
  private final Map<Address, String> announcedNames = new HashMap<>();
  private boolean rejoining;
  private AllocRequest pendingAlloc;
  private ScheduledFuture<?> allocTimer;
  private boolean recomputeScheduled;
  private long refusedBeforeAttempt;
  private Set<String> reportedProblems = Set.of();
  private Set<InetSocketAddress> peersWritten = Set.of();
  /** Phases of the last join attempt (nanoTime), for the join log line and JoinLatency. */
  private volatile long joinStartedAt;
  private volatile long stackBuiltAt;
  private volatile long probedAt;
  private volatile long firstViewAt;
  private volatile String joinBreakdown = "";
  /** Where other parts of a split mesh may be (seeds, DNS answers, remembered peers); read by MergeProbe. */
  private volatile List<Address> mergeCandidates = List.of();

  /**
   * Builds and drops a throwaway JGroups stack (no state, no port, no traffic): call it on a spare thread
   * early in a process's start, so that the join that follows does not pay for a cold stack build.
   */
  public static void warmUp() throws Exception {
    MeshStack.warmUp();
  }

  /**
   * @param trust this node's identity and key bindings, from its state dir ({@link MeshTrust#open})
   */
  public JGroupsMesh(MeshConfig config, MeshTrust trust) {
    this.config = Objects.requireNonNull(config, "config");
    this.trust = Objects.requireNonNull(trust, "trust");
    String id = config.bindAddress().getHostAddress() + ":" + config.port();
    this.events = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "weft-mesh-events-" + id);
      t.setDaemon(true);
      eventThread = t;
      return t;
    });
    this.connector = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "weft-mesh-connect-" + id);
      t.setDaemon(true);
      return t;
    });
    this.store = new StateStore(config.stateDir());
    this.connections = config.transport() == MeshConfig.Transport.TCP ? new ConnectionStats(id) : null;
    this.faults = config.faultInjection() ? new FaultSwitch() : null;
    this.snapshot = new MeshSnapshot(null, Map.of(), List.of(), List.of(), List.of(), seeds, List.of(), 0, null,
        Counters.ZERO, System.currentTimeMillis());
  }

  // ---------------------------------------------------------------- public API

  @Override
  public CompletableFuture<NodeRecord> join(LocalNode localNode) {
    Objects.requireNonNull(localNode, "local");
    CompletableFuture<NodeRecord> f = new CompletableFuture<>();
    if (closed) {
      f.completeExceptionally(new IllegalStateException("mesh is closed"));
      return f;
    }
    onEvents(() -> startJoin(localNode, f));
    return f;
  }

  @Override
  public void publish(NodeRecord self) {
    Objects.requireNonNull(self, "self");
    onEvents(() -> {
      Optional<Announcement> current = state == null ? Optional.empty() : state.self();
      if (current.isEmpty()) {
        log.warn("publish({}) before join() agreed a subnet: ignored", self.name());
        return;
      }
      NodeRecord c = current.get().record();
      NodeRecord next = new NodeRecord(c.name(), self.hostname(), self.nodeIp(), self.mac(), c.podSubnet(),
          c.subnetSource(), incarnation, Math.max(c.version(), self.version()) + 1, self.agentVersion(),
          System.currentTimeMillis());
      Announcement a = new Announcement(next, current.get().claimedAtMillis(), current.get().pinned());
      state.setSelf(a);
      multicast(new Announce(a));
      markDirty();
    });
  }

  @Override
  public MeshSnapshot snapshot() {
    if (Thread.currentThread() == eventThread) {
      if (dirty) {
        recompute();
      }
    } else if (dirty && !closed) {
      try {
        events.submit(() -> {
          if (dirty) {
            recompute();
          }
        }).get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        // a busy or stopped event thread: the last snapshot is still true, only older
      }
    }
    MeshSnapshot s = snapshot;
    // Counters move with every byte; they are read fresh rather than making every byte "a change".
    return new MeshSnapshot(s.self(), s.peers(), s.rejected(), s.conflicts(), s.duplicates(), s.seeds(),
        s.expectedPeers(), s.viewSize(), s.coordinator(), counters(), s.takenAtMillis());
  }

  private Counters counters() {
    TrafficMeter m = meter;
    return new Counters(
        connections != null ? connections.bytesIn() : m != null ? m.bytesIn.get() : 0,
        connections != null ? connections.bytesOut() : m != null ? m.bytesOut.get() : 0,
        messagesIn.get(), messagesOut.get(), malformed.get(),
        connections != null ? connections.refusedConnections() : 0);
  }

  @Override
  public void subscribe(MeshListener listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    onEvents(() -> {
      if (dirty) {
        recompute();
      } else {
        notifyOne(listener, snapshot);
      }
    });
  }

  @Override
  public void forget(String nodeName) {
    Objects.requireNonNull(nodeName, "nodeName");
    onEvents(() -> {
      if (local != null && nodeName.equals(local.name())) {
        log.warn("refusing to forget this node itself ({}); stop its agent and forget it from another node",
            nodeName);
        return;
      }
      if (state == null) {
        return;
      }
      stopExpecting(nodeName);
      trust.bindings().forget(nodeName);
      Tombstone t = state.forget(nodeName, System.currentTimeMillis());
      log.info("forgetting node {} mesh-wide (incarnation {} and older tombstoned for {})", nodeName,
          t.incarnation(), config.timing().tombstoneTime());
      multicast(new Forget(t));
      observe(nodeName, null);
      markDirty();
    });
  }

  @Override
  public void leave() {
    if (closed) {
      return;
    }
    closed = true;
    Runnable stop = () -> {
      if (view != null) {
        // A clean stop is the common restart: make sure every current member is remembered.
        rememberPeers(view);
      }
      if (channel != null) {
        channel.close();
      }
      seeds = new SeedStatus(SeedStatus.State.LEFT, seeds.candidates(), seeds.attempts(), 0, "left the mesh");
      view = null;
      if (joined != null && !joined.isDone()) {
        joined.completeExceptionally(new IllegalStateException("mesh closed before join completed"));
      }
      if (state != null) {
        state.view(Set.of(), System.currentTimeMillis());
      }
      recompute();
    };
    shutdown(stop);
  }

  @Override
  public void close() {
    leave();
  }

  // ---------------------------------------------------------------- test and benchmark hooks

  /** Simulates a crash: no leave message, connections just drop. */
  void crash() {
    if (closed) {
      return;
    }
    closed = true;
    shutdown(() -> {
      if (channel != null) {
        try {
          Util.shutdown(channel);
        } catch (Exception e) {
          channel.close();
        }
      }
    });
  }

  /** Hangs this member (drops all its traffic both ways) or lets it go again. */
  void hang(boolean hung) {
    requireFaults().hang(hung);
  }

  /** Drops all traffic from and to the named members (call it on both sides for a partition). */
  void isolateFrom(Collection<String> nodeNames) {
    requireFaults().block(Set.copyOf(nodeNames));
  }

  /** Lets all traffic through again. */
  void heal() {
    requireFaults().heal();
  }

  /** Simulation only: bytes sent with each multicast counted once, or -1 over TCP. */
  long logicalBytesOut() {
    TrafficMeter m = meter;
    return m == null ? -1 : m.logicalOut.get();
  }

  void observe(PeerObserver o) {
    this.observer = o;
  }

  private FaultSwitch requireFaults() {
    if (faults == null) {
      throw new IllegalStateException("fault injection is off in this mesh's config");
    }
    return faults;
  }

  // ---------------------------------------------------------------- joining

  private void startJoin(LocalNode localNode, CompletableFuture<NodeRecord> f) {
    if (joined != null) {
      f.completeExceptionally(new IllegalStateException("join() already called on this mesh"));
      return;
    }
    this.local = localNode;
    this.joined = f;
    joinStartedAt = System.nanoTime();
    try {
      if (config.secret().isEmpty() && config.transport() == MeshConfig.Transport.TCP) {
        log.warn("*** WEFT MESH IS UNAUTHENTICATED AND UNENCRYPTED *** anyone who can reach {}:{} can join"
            + " the mesh and announce routes; give every agent the same --secret-file",
            config.bindAddress().getHostAddress(), config.port());
      }
      state = new MeshState(localNode.name(), config.clusterCidr(), config.subnetPrefix(),
          config.allowLoopback(), config.leaseTime(), config.timing().tombstoneTime());
      state.provisionalSelf(localNode, localNode.agentVersion());
      lease = readLeaseOrRecover(localNode).filter(l -> {
        if (!l.node().equals(localNode.name())) {
          log.warn("mesh lease in {} belongs to node {}, not {}: ignoring its subnet", config.stateDir(),
              l.node(), localNode.name());
          return false;
        }
        return true;
      });
      long now = System.currentTimeMillis();
      incarnation = Math.max(now, lease.map(l -> l.incarnation() + 1).orElse(0L));
      store.writeLease(new StateStore.Lease(localNode.name(), lease.flatMap(StateStore.Lease::subnet),
          lease.map(StateStore.Lease::source).orElse(SubnetSource.ALLOCATED),
          lease.map(StateStore.Lease::claimedAtMillis).orElse(0L), incarnation));

      MeshSecurity security = connections == null ? null : new MeshSecurity(
          Credentials.of(config.secret(), trust.identity(), localNode.name()), trust.bindings(), connections,
          config.bindAddress().getHostAddress() + ":" + config.port());
      MeshStack.Built built = MeshStack.build(config, security, faults, mergeCandidates(), this::rejoin);
      channel = new JChannel(built.protocols());
      TP tp = channel.getProtocolStack().getTransport();
      if (tp.getDiagnosticsHandler() != null) {
        tp.getDiagnosticsHandler().setEnabled(false);
      }
      discovery = built.discovery();
      meter = built.meter();
      channel.name(localNode.name());
      channel.setReceiver(new Receiver() {
        @Override
        public void receive(Message msg) {
          Address src = msg.getSrc();
          byte[] data = msg.hasArray() ? msg.getArray() : null;
          int off = msg.hasArray() ? msg.getOffset() : 0;
          int len = msg.hasArray() ? msg.getLength() : 0;
          onEvents(() -> onMessage(src, data, off, len));
        }

        @Override
        public void viewAccepted(View v) {
          onEvents(() -> onView(v));
        }
      });
    } catch (Exception e) {
      fail(new IllegalStateException("could not start the mesh on " + config.bindAddress().getHostAddress()
          + ":" + config.port() + ": " + e.getMessage(), e));
      return;
    }
    long every = config.timing().housekeeping().toMillis();
    events.scheduleWithFixedDelay(() -> guarded(this::housekeeping), every, every, TimeUnit.MILLISECONDS);
    stackBuiltAt = System.nanoTime();
    attempt();
  }

  /**
   * Leaves the current view and joins again (MergeProbe asks for it when this member is alone or
   * excluded while the mesh is reachable). Called from a JGroups thread.
   */
  private void rejoin(String why) {
    onEvents(() -> {
      if (closed || view == null || rejoining) {
        return;
      }
      rejoining = true;
      view = null; // the next view is a first view again: SYNC, and our record re-announced
      connector.execute(() -> {
        try {
          channel.disconnect();
        } finally {
          onEvents(() -> {
            rejoining = false;
            attempt();
          });
        }
      });
    });
  }

  private java.util.function.Supplier<List<Address>> mergeCandidates() {
    if (config.transport() == MeshConfig.Transport.SIMULATED) {
      // Every member registered under the cluster name: what DNS would return for a DaemonSet.
      String cluster = config.clusterName();
      return () -> {
        List<org.jgroups.protocols.PingData> all = org.jgroups.protocols.SHARED_LOOPBACK.getDiscoveryResponsesFor(cluster);
        return all == null ? List.of() : all.stream().map(org.jgroups.protocols.PingData::getAddress).toList();
      };
    }
    return () -> mergeCandidates;
  }

  private void setMergeCandidates(Collection<InetSocketAddress> all) {
    InetSocketAddress self = new InetSocketAddress(config.bindAddress(), config.port());
    mergeCandidates = all.stream().filter(a -> !a.equals(self) && a.getAddress() != null)
        .map(a -> (Address) new IpAddress(a.getAddress(), a.getPort())).distinct().toList();
  }

  /** Leases of long-down nodes, old tombstones and unused grants expire. */
  private void housekeeping() {
    if (closed) {
      return;
    }
    if (config.dnsQuery() != null && !connector.isShutdown()) {
      // DNS answers change as nodes come and go; merge probes follow them.
      connector.execute(() -> setMergeCandidates(candidates(store.readPeers())));
    }
    if (view != null) {
      rememberPeers(view);
      // Safety net: a member whose name resolved after its view and its Announce counts as up now.
      applyMembership(System.currentTimeMillis());
    }
    List<String> removed = state.housekeeping(System.currentTimeMillis());
    for (String name : removed) {
      log.info("{}: lease of node {} expired after {} down: its record is removed and its subnet free",
          local.name(), name, config.leaseTime());
      observe(name, null);
    }
    if (!removed.isEmpty()) {
      markDirty();
    }
  }

  private void attempt() {
    if (closed) {
      return;
    }
    int attempts = seeds.attempts() + 1;
    seeds = new SeedStatus(SeedStatus.State.JOINING, seeds.candidates(), attempts, 0, "joining the mesh");
    markDirty();
    boolean hasSeeds = !config.seeds().isEmpty() || config.dnsQuery() != null;
    refusedBeforeAttempt = connections == null ? 0 : connections.refusedOutgoing();
    List<InetSocketAddress> remembered = store.readPeers();
    connector.execute(() -> {
      List<InetSocketAddress> candidates = candidates(remembered);
      boolean firstSeed = isFirstListedSeed();
      setMergeCandidates(candidates);
      List<String> shown = candidates.stream().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).toList();
      boolean simulated = config.transport() == MeshConfig.Transport.SIMULATED;
      List<InetSocketAddress> live = simulated ? candidates : reachable(candidates);
      boolean reachable = candidates.isEmpty() || !live.isEmpty();
      if (!reachable && hasSeeds && !firstSeed) {
        onEvents(() -> retryLater(shown, attempts));
        return;
      }
      if (!reachable && hasSeeds) {
        // Seeds that list each other and start together would otherwise wait for each other forever
        // (nobody listens before it connects). One rule every seed evaluates the same way: the first
        // listed seed by address starts the mesh; the others keep retrying until it answers.
        log.info("no other seed of {} answers ({}) and this node is the first seed by address: starting the mesh",
            local.name(), shown);
      }
      if (!reachable) {
        log.info("no remembered peer of {} answers ({}): starting a new mesh", local.name(), shown);
      }
      try {
        if (discovery != null) {
          // Only the candidates that answered: a dead one first in the list would hold discovery up
          // for its whole connect timeout.
          discovery.setInitialHosts(live);
          discovery.resetAnswered();
        }
        probeReachedSeed = hasSeeds && !live.isEmpty();
        probedAt = System.nanoTime();
        channel.connect(config.clusterName());
        onEvents(() -> seeds = new SeedStatus(seeds.state(), shown, attempts, 0, seeds.message()));
      } catch (Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        if (root instanceof BindException || String.valueOf(e.getMessage()).contains("no port available")) {
          onEvents(() -> fail(new IllegalStateException("mesh port " + config.bindAddress().getHostAddress() + ":"
              + config.port() + " is busy or not bindable: " + e.getMessage(), e)));
        } else if (closed) {
          onEvents(() -> fail(new IllegalStateException("mesh closed while joining", e)));
        } else {
          log.warn("join attempt {} through {} failed: {}", attempts, shown, e.toString());
          onEvents(() -> retryLater(shown, attempts));
        }
      }
    });
  }

  /**
   * This node is one of its own seeds (a DaemonSet gives every node the same --peer list) and sorts
   * first among them by address and port. DNS answers are not counted: resolving them here again
   * would cost a lookup per attempt, and a DNS-only mesh has other seeds' bootstrap problems anyway.
   */
  private boolean isFirstListedSeed() {
    InetSocketAddress self = new InetSocketAddress(config.bindAddress(), config.port());
    return config.seeds().contains(self) && config.seeds().stream().allMatch(seed -> compareAddresses(self, seed) <= 0);
  }

  static int compareAddresses(InetSocketAddress a, InetSocketAddress b) {
    byte[] x = a.getAddress() == null ? new byte[0] : a.getAddress().getAddress();
    byte[] y = b.getAddress() == null ? new byte[0] : b.getAddress().getAddress();
    int byBytes = java.util.Arrays.compareUnsigned(x, y);
    return byBytes != 0 ? byBytes : Integer.compare(a.getPort(), b.getPort());
  }

  private List<InetSocketAddress> candidates(List<InetSocketAddress> remembered) {
    Set<InetSocketAddress> all = new LinkedHashSet<>(config.seeds());
    if (config.dnsQuery() != null) {
      try {
        for (InetAddress a : InetAddress.getAllByName(config.dnsQuery())) {
          all.add(new InetSocketAddress(a, config.port()));
        }
      } catch (Exception e) {
        log.warn("could not resolve mesh DNS name {}: {}", config.dnsQuery(), e.toString());
      }
    }
    all.addAll(remembered);
    InetSocketAddress self = new InetSocketAddress(config.bindAddress(), config.port());
    all.remove(self);
    return new ArrayList<>(all);
  }

  /**
   * The candidates where something listens, probed all at once with bare TCP connects (the mesh
   * handshake treats them as quiet probes): returns as soon as one answers (plus a moment for answers
   * arriving together), so dead seeds cost nothing while a live one is there.
   */
  private List<InetSocketAddress> reachable(List<InetSocketAddress> candidates) {
    List<InetSocketAddress> up = new ArrayList<>();
    if (candidates.isEmpty()) {
      return up;
    }
    try (Selector selector = Selector.open()) {
      for (InetSocketAddress c : candidates) {
        SocketChannel ch = SocketChannel.open();
        try {
          ch.configureBlocking(false);
          ch.bind(new InetSocketAddress(config.bindAddress(), 0));
          if (ch.connect(c)) {
            up.add(c);
            ch.close();
          } else {
            ch.register(selector, SelectionKey.OP_CONNECT, c);
          }
        } catch (IOException | RuntimeException e) {
          ch.close();
        }
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_TIMEOUT_MS);
      long firstAt = up.isEmpty() ? 0 : System.nanoTime();
      int pending = selector.keys().size();
      while (pending > 0) {
        long end = firstAt == 0 ? deadline : Math.min(deadline, firstAt + TimeUnit.MILLISECONDS.toNanos(PROBE_GRACE_MS));
        long waitMs = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (waitMs <= 0) {
          break;
        }
        selector.select(waitMs);
        for (SelectionKey k : selector.selectedKeys()) {
          SocketChannel ch = (SocketChannel) k.channel();
          pending--;
          try {
            if (ch.finishConnect()) {
              up.add((InetSocketAddress) k.attachment());
              if (firstAt == 0) {
                firstAt = System.nanoTime();
              }
            }
          } catch (IOException e) {
            // refused or unreachable: not a candidate this time
          }
          ch.close();
        }
        selector.selectedKeys().clear();
      }
      for (SelectionKey k : selector.keys()) {
        k.channel().close();
      }
    } catch (IOException e) {
      log.warn("could not probe mesh candidates {}: {}", candidates, e.toString());
    }
    return up;
  }

  private void retryLater(List<String> candidates, int attempts) {
    retryLater(candidates, attempts, "no seed peer reachable (" + String.join(", ", candidates) + ")");
  }

  private void retryLater(List<String> candidates, int attempts, String why) {
    if (closed) {
      return;
    }
    Duration t = config.timing().retryMin().multipliedBy(1L << Math.min(attempts - 1, 16));
    if (t.compareTo(config.timing().retryMax()) > 0) {
      t = config.timing().retryMax();
    }
    long next = System.currentTimeMillis() + t.toMillis();
    String msg = why + ", attempt " + attempts + "; retrying in " + t.toMillis() + " ms";
    if (attempts == 1 || Integer.bitCount(attempts) == 1) {
      log.warn("{}: {}", local.name(), msg);
    }
    seeds = new SeedStatus(SeedStatus.State.RETRYING, candidates, attempts, next, msg);
    markDirty();
    events.schedule(() -> guarded(this::attempt), t.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void fail(Exception e) {
    log.error("{}", e.getMessage());
    if (joined != null) {
      joined.completeExceptionally(e);
    }
    seeds = new SeedStatus(SeedStatus.State.LEFT, seeds.candidates(), seeds.attempts(), 0, e.getMessage());
    markDirty();
  }

  // ---------------------------------------------------------------- view changes

  private void onView(View v) {
    if (closed || channel == null) {
      return;
    }
    boolean first = view == null;
    Address me = channel.getAddress();
    Address oldCoord = view == null ? null : view.getCoord();
    view = v;
    long now = System.currentTimeMillis();
    names.keySet().retainAll(v.getMembers());
    applyMembership(now);
    log.debug("{}: view {}", local.name(), v);
    if (first && refusedBySeeds(v)) {
      // The seeds answered but refused this node (wrong or missing secret, other version): a mesh of
      // one would only hide that. Leave, say why, and try again later.
      String reason = "every reachable seed refused this node: " + connections.lastOutgoingRefusal();
      view = null;
      connector.execute(() -> {
        channel.disconnect();
        onEvents(() -> retryLater(seeds.candidates(), seeds.attempts(), reason));
      });
      return;
    }
    if (first && v.size() == 1 && probeReachedSeed && discovery != null && !discovery.answered()) {
      // A seed accepted our TCP connection, yet nobody answered discovery within the join timeout: the
      // mesh is there but too busy (many joins at once). A mesh of one would grant itself a subnet that
      // may collide; try again instead. (Seeds starting together do answer each other, as joiners, so
      // one of them still starts the mesh.)
      String reason = "a seed accepted the connection but no member answered discovery within "
          + config.timing().joinTimeout().toMillis() + " ms";
      view = null;
      connector.execute(() -> {
        channel.disconnect();
        onEvents(() -> retryLater(seeds.candidates(), seeds.attempts(), reason));
      });
      return;
    }
    if (first) {
      firstViewAt = System.nanoTime();
      seeds = new SeedStatus(SeedStatus.State.JOINED, seeds.candidates(), seeds.attempts(), 0,
          "joined a mesh of " + v.size());
      if (!v.getCoord().equals(me)) {
        send(v.getCoord(), new SyncRequest());
        events.schedule(() -> guarded(() -> {
          if (view != null && !view.getCoord().equals(channel.getAddress())) {
            send(view.getCoord(), new SyncRequest());
          }
          // The other way round: members that installed our view late dropped our first Announce
          // (NAKACK2 drops multicasts from non-members), and in a quiet mesh no later multicast from us
          // would show them the gap. One more Announce does (and, as a higher seqno, repairs the gap).
          state.self().ifPresent(a -> multicast(new Announce(a)));
        }), RESYNC_AFTER.toMillis(), TimeUnit.MILLISECONDS);
      }
      agreeSubnet();
    } else {
      if (v instanceof MergeView mv) {
        log.info("{}: mesh partitions merged: {}", local.name(), mv.getSubgroups());
        reconcileAfterMerge(mv);
        // Members install the merge view at slightly different moments and drop multicasts from
        // senders not yet in their view; a second round a moment later closes that window.
        events.schedule(() -> guarded(() -> {
          if (view == mv) {
            reconcileAfterMerge(mv);
          }
        }), MERGE_SECOND_ROUND.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (pendingAlloc != null && !Objects.equals(oldCoord, v.getCoord())) {
        requestSubnet(pendingAlloc);
      }
    }
    rememberPeersOnceResolved(v, PEER_ADDRESS_RECHECKS);
    markDirty();
  }

  /**
   * Marks up exactly the view members whose node name is known. A member that joined through another
   * node may not have its logical name in JGroups' NameCache yet when its view arrives here: it stays
   * unresolved (never named after its UUID) until its name resolves or its first Announce binds it.
   */
  private void applyMembership(long now) {
    Address me = channel.getAddress();
    Set<String> upNames = new HashSet<>();
    for (Address a : view.getMembers()) {
      if (a.equals(me)) {
        continue;
      }
      String name = names.get(a);
      if (name == null) {
        name = NameCache.get(a);
        if (name == null) {
          name = announcedNames.get(a);
        }
        if (name != null) {
          names.put(a, name);
        }
      }
      announcedNames.remove(a);
      if (name != null) {
        upNames.add(name);
      }
    }
    for (String changed : state.view(upNames, now)) {
      observe(changed, state.known(changed).map(MeshState.Known::state).orElse(null));
    }
  }

  /** Every member re-announces itself; each old subgroup's coordinator shares all it knows. */
  private void reconcileAfterMerge(MergeView mv) {
    Address me = channel.getAddress();
    state.self().ifPresent(a -> multicast(new Announce(a)));
    for (View sub : mv.getSubgroups()) {
      if (sub.getCoord().equals(me)) {
        multicast(state.sync(System.currentTimeMillis()));
      }
    }
  }

  /** A first view of one while seeds were configured and our own handshakes to them were refused. */
  private boolean refusedBySeeds(View v) {
    boolean hasSeeds = !config.seeds().isEmpty() || config.dnsQuery() != null;
    return hasSeeds && v.size() == 1 && connections != null && connections.refusedOutgoing() > refusedBeforeAttempt;
  }

  /**
   * A node forgotten for good (meshctl forget) is no longer a peer to rejoin through, to probe for merges
   * or to wait for at the next start: its address leaves the remembered peers and the merge candidates.
   * Known only while its record is (a node that starts after the forget learns the tombstone without the
   * address; its wait is bounded by the adoption grace).
   */
  private void stopExpecting(String nodeName) {
    Optional<InetAddress> ip = state.known(nodeName).map(k -> k.announcement().record().nodeIp());
    if (ip.isEmpty() || config.transport() != MeshConfig.Transport.TCP) {
      return;
    }
    List<InetSocketAddress> remembered = store.readPeers();
    List<InetSocketAddress> kept = remembered.stream().filter(a -> !ip.get().equals(a.getAddress())).toList();
    if (kept.size() != remembered.size()) {
      log.info("{}: node {} ({}) was forgotten mesh-wide: no longer a remembered peer", local.name(), nodeName,
          ip.get().getHostAddress());
      try {
        store.writePeers(kept);
      } catch (RuntimeException e) {
        log.warn("{}", e.getMessage());
      }
    }
    peersWritten = peersWritten.stream().filter(a -> !ip.get().equals(a.getAddress()))
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
    mergeCandidates = mergeCandidates.stream().filter(a -> !ip.get().equals(((IpAddress) a).getIpAddress())).toList();
  }

  /** Remembers the view's members, looking again while some of their addresses are not yet known. */
  private void rememberPeersOnceResolved(View v, int rechecksLeft) {
    if (closed || view != v || rememberPeers(v) || rechecksLeft == 0) {
      return;
    }
    events.schedule(() -> guarded(() -> rememberPeersOnceResolved(v, rechecksLeft - 1)),
        PEER_ADDRESS_RECHECK.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Adds the physical addresses of the view's other members to {@code mesh-peers.json} (written only
   * when one is new), so a restart finds the mesh through any of them when every seed is down.
   *
   * @return whether every other member's address was known
   */
  private boolean rememberPeers(View v) {
    if (config.transport() != MeshConfig.Transport.TCP || channel == null || channel.getAddress() == null) {
      return true;
    }
    TP tp = channel.getProtocolStack().getTransport();
    List<InetSocketAddress> peers = new ArrayList<>();
    boolean complete = true;
    for (Address a : v.getMembers()) {
      if (a.equals(channel.getAddress())) {
        continue;
      }
      PhysicalAddress pa = tp.getPhysicalAddressFromCache(a);
      if (pa instanceof IpAddress ip) {
        peers.add(new InetSocketAddress(ip.getIpAddress(), ip.getPort()));
      } else {
        complete = false;
      }
    }
    if (peers.isEmpty() || peersWritten.containsAll(peers)) {
      return complete;
    }
    Set<InetSocketAddress> all = new LinkedHashSet<>(peers);
    all.addAll(store.readPeers());
    try {
      store.writePeers(all);
      peersWritten = Set.copyOf(peers);
      Set<InetSocketAddress> merge = new LinkedHashSet<>(config.seeds());
      mergeCandidates.forEach(a -> merge.add(new InetSocketAddress(((IpAddress) a).getIpAddress(), ((IpAddress) a).getPort())));
      merge.addAll(all);
      setMergeCandidates(merge);
    } catch (RuntimeException e) {
      log.warn("{}", e.getMessage());
    }
    return complete;
  }

  // ---------------------------------------------------------------- subnet agreement

  private void agreeSubnet() {
    if (state.self().isPresent()) {
      state.self().ifPresent(a -> multicast(new Announce(a)));
      return;
    }
    long now = System.currentTimeMillis();
    Optional<Cidr> configured = local.configuredSubnet();
    if (configured.isPresent()) {
      long claimedAt = lease.filter(l -> l.subnet().equals(configured) && l.source() == SubnetSource.CONFIGURED)
          .map(StateStore.Lease::claimedAtMillis).filter(c -> c > 0).orElse(now);
      publishSelf(configured.get(), SubnetSource.CONFIGURED, claimedAt);
      return;
    }
    Optional<StateStore.Lease> kept = lease.filter(l -> l.subnet().isPresent() && l.source() == SubnetSource.ALLOCATED);
    Optional<Cidr> preferred = kept.flatMap(StateStore.Lease::subnet).or(local::rememberedSubnet);
    long claimedAt = kept.map(StateStore.Lease::claimedAtMillis).filter(c -> c > 0).orElse(now);
    requestSubnet(new AllocRequest(local.name(), preferred, claimedAt, local.subnetInUse()));
  }

  /**
   * The lease file, or, when it cannot be read, nothing: the subnet then comes from what else records it
   * (the pod bridge's address, the mesh's record of this node, a configured subnet) and the file is
   * rewritten. With none of those a new subnet would be taken under pods that may still hold addresses
   * of the old one: the start fails with the fix instead.
   */
  private Optional<StateStore.Lease> readLeaseOrRecover(LocalNode localNode) {
    try {
      return store.readLease();
    } catch (StateStore.UnreadableLeaseException e) {
      boolean meshCanTell = !config.seeds().isEmpty() || config.dnsQuery() != null || !store.readPeers().isEmpty();
      if (localNode.configuredSubnet().isEmpty() && localNode.rememberedSubnet().isEmpty() && !meshCanTell) {
        throw new IllegalStateException(e.getMessage() + "; nothing else records this node's pod subnet (no address"
            + " on the pod bridge, no seed or remembered peer to ask): start it with --pod-subnet set to the subnet it"
            + " had (the directory name under " + config.stateDir().resolve("ipam") + "), or remove the file to take"
            + " a new subnet", e);
      }
      Path aside = store.setLeaseAside();
      log.warn("{}; moved to {} and recovered from {}", e.getMessage(), aside,
          localNode.configuredSubnet().map(c -> "--pod-subnet " + c)
              .or(() -> localNode.rememberedSubnet().map(r -> "the pod bridge's address (" + r + ")"))
              .orElse("the mesh's record of " + localNode.name()));
      return Optional.empty();
    }
  }

  private void requestSubnet(AllocRequest req) {
    pendingAlloc = req;
    if (allocTimer != null) {
      allocTimer.cancel(false);
    }
    Address coord = view.getCoord();
    if (coord.equals(channel.getAddress())) {
      grant(req);
    } else {
      send(coord, req);
    }
    allocTimer = events.schedule(() -> guarded(() -> {
      if (pendingAlloc != null && view != null) {
        log.info("{}: no subnet grant from coordinator {} yet; asking again", local.name(), view.getCoord());
        requestSubnet(pendingAlloc);
      }
    }), ALLOC_RETRY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Coordinator: grants a subnet and tells everyone. */
  private void grant(AllocRequest req) {
    long now = System.currentTimeMillis();
    Reservation r;
    try {
      r = state.allocate(req, now, RESERVATION_TIME);
    } catch (SubnetExhaustedException e) {
      log.error("cannot grant a subnet to {}: {}", req.name(), e.getMessage());
      return;
    }
    log.debug("{}: granting {} to {}", local.name(), r.subnet(), r.name());
    onGrant(r);
    multicast(new AllocGrant(r));
  }

  private void onGrant(Reservation r) {
    if (r.name().equals(local.name())) {
      if (pendingAlloc != null && state.self().isEmpty()) {
        publishSelf(r.subnet(), SubnetSource.ALLOCATED, r.claimedAtMillis());
      }
    } else {
      state.reserve(r, System.currentTimeMillis());
    }
  }

  private void publishSelf(Cidr subnet, SubnetSource source, long claimedAt) {
    pendingAlloc = null;
    if (allocTimer != null) {
      allocTimer.cancel(false);
    }
    long now = System.currentTimeMillis();
    NodeRecord r = new NodeRecord(local.name(), local.hostname(), local.nodeIp(), local.mac(), subnet, source,
        incarnation, 1, local.agentVersion(), now);
    Announcement a = new Announcement(r, claimedAt, true);
    state.setSelf(a);
    try {
      store.writeLease(new StateStore.Lease(local.name(), Optional.of(subnet), source, claimedAt, incarnation));
    } catch (RuntimeException e) {
      log.error("{} (the subnet is used but will not survive a restart)", e.getMessage());
    }
    multicast(new Announce(a));
    long done = System.nanoTime();
    joinBreakdown = String.format("stack %d ms, seed probe %d ms, JGroups join (discovery, JOIN, view) %d ms,"
        + " subnet and records %d ms", ms(joinStartedAt, stackBuiltAt), ms(stackBuiltAt, probedAt),
        ms(probedAt, firstViewAt), ms(firstViewAt, done));
    log.info("{}: in the mesh with pod subnet {} ({}), incarnation {}, after {} ms ({})", local.name(), subnet,
        source.name().toLowerCase(java.util.Locale.ROOT), incarnation, ms(joinStartedAt, done), joinBreakdown);
    markDirty();
    joined.complete(r);
  }

  // ---------------------------------------------------------------- messages

  private void onMessage(Address src, byte[] data, int off, int len) {
    if (closed || state == null) {
      return;
    }
    messagesIn.incrementAndGet();
    if (data == null) {
      dropMalformed(src, "message without a byte payload");
      return;
    }
    Msg msg;
    try {
      msg = wire.decode(data, off, len);
    } catch (Wire.MalformedMessageException e) {
      dropMalformed(src, e.getMessage());
      return;
    }
    long now = System.currentTimeMillis();
    if (msg instanceof Announce a) {
      String sender = src == null ? null : names.get(src);
      if (sender == null && src != null) {
        sender = NameCache.get(src);
      }
      if (sender != null && !sender.equals(a.announcement().name())) {
        dropMalformed(src, "member " + sender + " announced a record for " + a.announcement().name());
        return;
      }
      // A member of the view whose name this side has not bound yet (its name was unknown when the view
      // came, or resolved only since): its own Announce binds it now and it counts as up at once. The
      // connection is already authenticated by the mesh secret (when set).
      boolean bindsName = src != null && !names.containsKey(src) && view != null && view.containsMember(src);
      if (bindsName) {
        names.put(src, a.announcement().name());
      } else if (src != null && !names.containsKey(src)) {
        // Ahead of the view that holds the member: keep the name for when that view arrives.
        announcedNames.put(src, a.announcement().name());
      }
      offer(a.announcement(), now);
      if (bindsName) {
        applyMembership(now);
        markDirty();
      }
    } else if (msg instanceof SyncRequest) {
      send(src, state.sync(now));
    } else if (msg instanceof Sync s) {
      boolean changed = false;
      for (Tombstone t : s.tombstones()) {
        stopExpecting(t.name());
        changed |= state.applyTombstone(t, now);
      }
      for (SyncEntry e : s.entries()) {
        MeshState.Offer o = state.offerSynced(e, now);
        if (o == MeshState.Offer.CHANGED) {
          changed = true;
          observe(e.announcement().name(), state.known(e.announcement().name()).map(MeshState.Known::state).orElse(null));
        } else if (o == MeshState.Offer.SELF_NEWER) {
          reincarnate(e.announcement());
        }
      }
      s.reservations().forEach(r -> state.reserve(r, now));
      if (changed) {
        markDirty();
      }
    } else if (msg instanceof AllocRequest r) {
      if (view != null && view.getCoord().equals(channel.getAddress())) {
        grant(r);
      }
    } else if (msg instanceof AllocGrant g) {
      onGrant(g.reservation());
    } else if (msg instanceof Forget f) {
      if (f.tombstone().name().equals(local.name())) {
        log.error("{}: this node was forgotten mesh-wide (meshctl forget) by {}; peers ignore it until its agent"
            + " restarts", local.name(), src);
        return;
      }
      stopExpecting(f.tombstone().name());
      // Any member may forget a node (it holds the secret); every node says who did, and the node's
      // key binding goes with it, so a reinstalled node with a new key can be bound on first sight.
      log.warn("{}: node {} forgotten mesh-wide by {} (meshctl forget)", local.name(), f.tombstone().name(),
          names.getOrDefault(src, String.valueOf(src)));
      trust.bindings().forget(f.tombstone().name());
      if (state.applyTombstone(f.tombstone(), now)) {
        observe(f.tombstone().name(), null);
        markDirty();
      }
    }
  }

  private void offer(Announcement a, long now) {
    MeshState.Offer o = state.offer(a, now);
    if (o == MeshState.Offer.CHANGED) {
      observe(a.name(), state.known(a.name()).map(MeshState.Known::state).orElse(null));
      markDirty();
    } else if (o == MeshState.Offer.SELF_NEWER) {
      reincarnate(a);
    }
  }

  /** A record of this node newer than its own (left over from before a restart): outbid it. */
  private void reincarnate(Announcement stale) {
    Announcement current = state.self().orElseThrow();
    incarnation = Math.max(incarnation, stale.record().incarnation()) + 1;
    NodeRecord c = current.record();
    NodeRecord r = new NodeRecord(c.name(), c.hostname(), c.nodeIp(), c.mac(), c.podSubnet(), c.subnetSource(),
        incarnation, 1, c.agentVersion(), System.currentTimeMillis());
    Announcement a = new Announcement(r, current.claimedAtMillis(), current.pinned());
    state.setSelf(a);
    store.writeLease(new StateStore.Lease(c.name(), Optional.of(c.podSubnet()), c.subnetSource(),
        current.claimedAtMillis(), incarnation));
    log.info("{}: the mesh held a newer record of this node (incarnation {}); re-announcing as incarnation {}",
        c.name(), stale.record().incarnation(), incarnation);
    multicast(new Announce(a));
    markDirty();
  }

  private void dropMalformed(Address src, String why) {
    long n = malformed.incrementAndGet();
    if (Long.bitCount(n) == 1) {
      log.warn("{}: dropped malformed mesh message from {} ({} so far): {}", local.name(), src, n, why);
    } else {
      log.debug("{}: dropped malformed mesh message from {}: {}", local.name(), src, why);
    }
    markDirty();
  }

  private void multicast(Msg msg) {
    send(null, msg);
  }

  private void send(Address dest, Msg msg) {
    if (channel == null || !channel.isConnected()) {
      return;
    }
    try {
      channel.send(new BytesMessage(dest, wire.encode(msg)));
      messagesOut.incrementAndGet();
    } catch (Exception e) {
      log.warn("{}: could not send {} to {}: {}", local.name(), msg.getClass().getSimpleName(),
          dest == null ? "the mesh" : dest, e.toString());
    }
  }

  private void observe(String name, PeerState s) {
    PeerObserver o = observer;
    if (o != null) {
      o.onPeer(name, s);
    }
  }

  // ---------------------------------------------------------------- snapshots

  private void markDirty() {
    dirty = true;
    if (!recomputeScheduled && !listeners.isEmpty() && !closed) {
      recomputeScheduled = true;
      events.schedule(() -> guarded(() -> {
        recomputeScheduled = false;
        if (dirty) {
          recompute();
        }
      }), SNAPSHOT_DEBOUNCE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void recompute() {
    dirty = false;
    long now = System.currentTimeMillis();
    MeshState.Derived d = state == null ? new MeshState.Derived(Map.of(), List.of(), List.of(), List.of())
        : state.derive(now);
    NodeRecord self = state == null ? null : state.self().map(Announcement::record).orElse(null);
    Counters counters = counters();
    String coord = view == null ? null
        : view.getCoord().equals(channel.getAddress()) ? local.name() : names.get(view.getCoord());
    MeshSnapshot s = new MeshSnapshot(self, d.peers(), d.rejected(), d.conflicts(), d.duplicates(), seeds,
        expectedPeers(), view == null ? 0 : view.size(), coord, counters, now);
    reportProblems(s);
    snapshot = s;
    for (MeshListener l : listeners) {
      notifyOne(l, s);
    }
  }

  /**
   * The node IPs of the merge candidates: seeds, DNS answers and remembered peers as of the last join
   * attempt, plus every member seen since. (None when simulated: its candidates are the whole cluster.)
   */
  private List<InetAddress> expectedPeers() {
    return mergeCandidates.stream().map(a -> ((IpAddress) a).getIpAddress()).distinct().toList();
  }

  /** Logs each problem once, when it appears. */
  private void reportProblems(MeshSnapshot s) {
    Set<String> now = new HashSet<>();
    for (SubnetConflict c : s.conflicts()) {
      now.add("conflict:" + c.reason());
    }
    s.duplicates().forEach(d -> now.add("duplicate:" + d.reason()));
    s.rejected().forEach(r -> now.add("rejected:" + r.nodeName() + ":" + r.reason()));
    for (String p : now) {
      if (!reportedProblems.contains(p)) {
        log.warn("{}: {}", local == null ? "mesh" : local.name(), p.substring(p.indexOf(':') + 1));
      }
    }
    reportedProblems = now;
  }

  private static void notifyOne(MeshListener l, MeshSnapshot s) {
    try {
      l.onChange(s);
    } catch (RuntimeException e) {
      log.warn("mesh listener {} failed: {}", l, e.toString(), e);
    }
  }

  // ---------------------------------------------------------------- plumbing

  private static long ms(long from, long to) {
    return from == 0 || to == 0 ? -1 : Math.max(0, (to - from) / 1_000_000);
  }

  /** The phases of the completed join, for JoinLatency. */
  String joinBreakdown() {
    return joinBreakdown;
  }

  private void onEvents(Runnable r) {
    try {
      events.execute(() -> guarded(r));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed: late JGroups callbacks have nowhere to go
    }
  }

  private void guarded(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("mesh event failed: {}", e.toString(), e);
    }
  }

  private void shutdown(Runnable last) {
    if (Thread.currentThread() == eventThread) {
      last.run();
      events.shutdown();
      connector.shutdownNow();
      return;
    }
    try {
      events.submit(() -> guarded(last)).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("mesh did not stop cleanly: {}", e.toString());
    }
    events.shutdown();
    connector.shutdownNow();
    try {
      events.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
